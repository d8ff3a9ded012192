/**
 * The forward queue sends referrals to their agencies. Two jobs, ids only:
 *  - 'forward-referral' { referralId }: one referral (the sweep's re-enqueue, a retry, a
 *    re-route, a held referral on the day its agency reopens);
 *  - 'forward-batch' { referralIds }: the referrals of the checklists the intake stored in one
 *    turn of its event loop (one Redis message for all of them).
 *
 * Idempotency: a 'forward-referral' job's id is `forward-<referralId>`, and the handler re-reads
 * Postgres and acts only on a pending referral (modules/forwarding/forward.service.ts), changing
 * it with a conditional UPDATE; the mail is a notifications row with a stable Message-ID that is
 * never sent twice, claimed for sending by one run at a time. A stalled job that runs again, a
 * batch run twice, or the SLA sweep enqueueing a referral that a batch is sending, is therefore
 * harmless (the second run finds it busy or forwarded).
 *
 * Retries: temporary SMTP failures (4xx, connection errors, and TLS refused while SMTP_REQUIRE_TLS:
 * no STARTTLS, an untrusted certificate; nothing was sent) throw, and BullMQ retries with the
 * registry's exponential backoff (12 attempts over about 2.8 hours; the SLA sweep watches T1
 * after that). A permanent failure (5xx) throws UnrecoverableError: no retries; the referral is
 * forward_failed and a coordinator is alerted. In a batch, a referral whose send fails for any
 * reason is handed to its own 'forward-referral' job, delayed by that job's first backoff, so it
 * gets the same retries; a permanent refusal is already recorded and is not handed on. The batch
 * fails (and is retried) only when that hand-over cannot be made; the sweep re-enqueues from
 * Postgres whatever is still pending in any case.
 *
 * Paused or closed agency: the job completes without sending and is then removed from Redis, so
 * that the sweep can enqueue `forward-<referralId>` again once the agency is active or reopens
 * (BullMQ ignores an add whose job id still exists). A batch leaves no such job behind.
 *
 * At most WORKER_CONCURRENCY sends run at once in a process, batches and single jobs together,
 * as before batches: each send holds a pooled connection for its SMTP conversation.
 */
import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import { JOBS, type JobPayload } from '../../platform/jobs/registry.js';
import { forwardReferral, type ForwardOutcome } from './forward.service.js';
import { MailError } from '../../platform/mail/transport.js';
import { createQueueWorker, jobLogger, type WorkerDeps } from '../../platform/jobs/worker.js';

const QUEUE = JOBS['forward-referral'].queue;
/** A 'forward-referral' job's first backoff: when a referral a batch could not send is tried again. */
const FIRST_RETRY_MS = (JOBS['forward-referral'].options.backoff as { delay: number }).delay;

/** A count of sends that may run at once; each waits for a free one. */
function sendSlots(size: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = size;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

export async function processForward(job: Job, deps: WorkerDeps, slot: ReturnType<typeof sendSlots> = (fn) => fn()): Promise<ForwardOutcome> {
  const log = jobLogger(deps, QUEUE, job);
  const { referralId, requestId } = JOBS['forward-referral'].payload.parse(job.data) as JobPayload<'forward-referral'>;
  try {
    const outcome = await slot(() => forwardReferral({ ...deps, logger: log }, referralId, requestId));
    log.info({ referralId, outcome }, 'forward job done');
    return outcome;
  } catch (err) {
    if (err instanceof MailError && err.permanent) {
      log.warn({ referralId, err: err.message }, 'forward refused permanently; referral forward_failed, coordinators alerted');
      throw new UnrecoverableError(err.message);
    }
    log.warn({ referralId, err: (err as Error).message }, 'forward failed; will retry');
    throw err;
  }
}

export interface BatchOutcome {
  referrals: number;
  forwarded: number;
  /** handed to their own 'forward-referral' job after a failure that may pass */
  handedOn: number;
}

export async function processForwardBatch(job: Job, deps: WorkerDeps, slot: ReturnType<typeof sendSlots>): Promise<BatchOutcome> {
  const batchLog = jobLogger(deps, QUEUE, job);
  const { referralIds, origins, requestId: batchRequestId, traceparent: batchTrace } = JOBS['forward-batch'].payload.parse(job.data) as JobPayload<'forward-batch'>;
  // each handed on as soon as its send fails, not when the batch ends: its retries start at once
  const handedOn: Promise<void>[] = [];
  let forwarded = 0;
  await Promise.all(
    referralIds.map((referralId, i) => {
      // the request this referral's checklist came in (a batch merges several), for its log lines and its retry
      const requestId = origins?.[i]?.requestId ?? batchRequestId;
      const traceparent = origins?.[i]?.traceparent ?? batchTrace;
      const log = requestId !== batchRequestId ? jobLogger(deps, QUEUE, job, requestId) : batchLog;
      return slot(() => forwardReferral({ ...deps, logger: log }, referralId, requestId)).then(
        (outcome) => {
          if (outcome === 'forwarded') forwarded++;
          log.info({ referralId, outcome }, 'forward done');
        },
        (err: unknown) => {
          if (err instanceof MailError && err.permanent) {
            log.warn({ referralId, err: err.message }, 'forward refused permanently; referral forward_failed, coordinators alerted');
            return;
          }
          log.warn({ referralId, err: (err as Error).message }, 'forward failed; handed to its own job to retry');
          handedOn.push(deps.jobs.enqueue('forward-referral', { referralId, requestId, traceparent }, { delayMs: FIRST_RETRY_MS }));
        },
      );
    }),
  );
  // throws if Redis would not take one: the batch is retried, and the sweep re-enqueues them anyway
  await Promise.all(handedOn);
  return { referrals: referralIds.length, forwarded, handedOn: handedOn.length };
}

export function createForwardWorker(deps: WorkerDeps): Worker {
  const slot = sendSlots(deps.env.WORKER_CONCURRENCY);
  const worker = createQueueWorker<ForwardOutcome | BatchOutcome>(deps, QUEUE, (job) => (job.name === 'forward-batch' ? processForwardBatch(job, deps, slot) : processForward(job, deps, slot)));
  worker.on('completed', (job, outcome: ForwardOutcome | BatchOutcome) => {
    if (job.name !== 'forward-referral') return;
    if (outcome === 'agency_paused' || outcome === 'agency_closed') {
      job.remove().catch((err: Error) => deps.logger.warn({ jobId: job.id, err: err.message }, 'could not remove a paused forward job'));
    }
  });
  return worker;
}
