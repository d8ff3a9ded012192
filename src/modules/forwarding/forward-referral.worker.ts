/**
 * The forward queue, job 'forward-referral' { referralId }: sends the referral to its agency.
 *
 * Idempotency: the job id is `forward-<referralId>`, and the handler re-reads Postgres and acts
 * only on a pending referral (modules/forwarding/forward.service.ts), changing it with a conditional
 * UPDATE; the mail is a notifications row with a stable Message-ID that is never sent twice.
 * A stalled job that runs again, or a second enqueue by the SLA sweep, is therefore harmless.
 *
 * Retries: temporary SMTP failures (4xx, connection errors, and TLS refused while SMTP_REQUIRE_TLS:
 * no STARTTLS, an untrusted certificate; nothing was sent) throw, and BullMQ retries with the
 * registry's exponential backoff (12 attempts over about 2.8 hours; the SLA sweep watches T1
 * after that). A permanent failure (5xx) throws UnrecoverableError: no retries; the referral is
 * forward_failed and a coordinator is alerted.
 *
 * Paused or closed agency: the job completes without sending and is then removed from Redis, so
 * that the sweep can enqueue `forward-<referralId>` again once the agency is active or reopens
 * (BullMQ ignores an add whose job id still exists).
 */
import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import { JOBS, type JobPayload } from '../../platform/jobs/registry.js';
import { forwardReferral, type ForwardOutcome } from './forward.service.js';
import { MailError } from '../../platform/mail/transport.js';
import { createQueueWorker, jobLogger, type WorkerDeps } from '../../platform/jobs/worker.js';

const QUEUE = JOBS['forward-referral'].queue;

export async function processForward(job: Job, deps: WorkerDeps): Promise<ForwardOutcome> {
  const log = jobLogger(deps, QUEUE, job);
  const { referralId, requestId } = JOBS['forward-referral'].payload.parse(job.data) as JobPayload<'forward-referral'>;
  try {
    const outcome = await forwardReferral({ ...deps, logger: log }, referralId, requestId);
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

export function createForwardWorker(deps: WorkerDeps): Worker {
  const worker = createQueueWorker(deps, QUEUE, (job) => processForward(job, deps));
  worker.on('completed', (job, outcome: ForwardOutcome) => {
    if (outcome === 'agency_paused' || outcome === 'agency_closed') {
      job.remove().catch((err: Error) => deps.logger.warn({ jobId: job.id, err: err.message }, 'could not remove a paused forward job'));
    }
  });
  return worker;
}
