/**
 * The job registry: the one source of every queue, job and schedule. Each job has its queue, a
 * payload schema (ids only: never personal data, docs/architecture.md#postgres-is-the-truth), its
 * job id (derived from the row id, so that enqueueing twice is a no-op), attempts, backoff and
 * retention; each queue its concurrency; each schedule its job and timing. Producers, workers and
 * the reconciliation sweep all read it: nothing else spells a queue name, and a worker process
 * refuses to start when a queue has no handler (workers/index.ts).
 */
import type { JobsOptions, RepeatOptions } from 'bullmq';
import { z } from 'zod';
import { TRACEPARENT } from '../tracing.js';

/** Each queue, and how many of its jobs one worker process runs at once. */
export const QUEUES = {
  forward: { concurrency: 'configured' },
  'follow-up': { concurrency: 'configured' },
  notify: { concurrency: 'configured' },
  webhooks: { concurrency: 'configured' },
  // one at a time per process; the sweep's advisory lock makes it one at a time everywhere
  'sla-sweep': { concurrency: 1 },
  reminders: { concurrency: 1 },
  // the person's data: sealing the audit chain and its daily checkpoint, retention (one at a time; each also locks)
  records: { concurrency: 1 },
} as const satisfies Record<string, { concurrency: 'configured' | number }>;

export type QueueName = keyof typeof QUEUES;
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];

/** How many jobs of this queue one process runs at once (WORKER_CONCURRENCY where configured). */
export function queueConcurrency(queue: QueueName, configured: number): number {
  const c = QUEUES[queue].concurrency;
  return c === 'configured' ? configured : c;
}

const requestId = z.string().max(200).optional();
/**
 * The W3C trace context of the work that enqueued the job (ids only: a trace id, a span id and
 * flags), so that the job's span continues that trace (docs/ops/tracing.md). Set by the producer
 * when a span is active; absent when traces are off.
 */
const traceparent = z.string().regex(TRACEPARENT, 'must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)').optional();

type ForwardBatchPayload = {
  referralIds: string[];
  origins?: { requestId?: string | undefined; traceparent?: string | undefined }[] | undefined;
  requestId?: string | undefined;
  traceparent?: string | undefined;
};

/** The most referrals one 'forward-batch' job carries. */
export const FORWARD_BATCH_MAX = 500;

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// Bounded retention (docs/failure.md, reliability rule 3): Redis keeps a day of finished jobs, a week of failures.
const retention = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
} satisfies JobsOptions;

export const JOBS = {
  'forward-referral': {
    queue: 'forward',
    payload: z.object({ referralId: z.uuid(), requestId, traceparent }),
    jobId: (p: { referralId: string }) => `forward-${p.referralId}`,
    // Temporary SMTP failures back off 5 s, 10 s, 20 s ... for about 2.8 hours in all; the
    // reconciliation sweep re-enqueues a referral still pending after that, and T1 is watched.
    options: { attempts: 12, backoff: { type: 'exponential', delay: 5_000 }, ...retention },
  },
  // The referrals of the checklists the intake stored in one turn of its event loop, as one job
  // (one Redis message instead of one a referral: docs/benchmarks.md, "What 0.60 would take").
  // The forward worker sends each as 'forward-referral' would; one that fails is handed to its
  // own 'forward-referral' job, with that job's retries, so this job never fails because of one
  // referral and its error text never concerns a person. It retries only when the hand-over
  // cannot be made (Redis gone); running it again is harmless, as every send is idempotent.
  'forward-batch': {
    queue: 'forward',
    // `origins`, beside `referralIds` and as long: the request and the trace each referral came
    // from (several checklists share a batch; a log line or a retry names the referral's own)
    payload: z
      .object({
        referralIds: z.array(z.uuid()).min(1).max(FORWARD_BATCH_MAX),
        origins: z.array(z.object({ requestId, traceparent })).max(FORWARD_BATCH_MAX).optional(),
        requestId,
        traceparent,
      })
      .refine((p) => !p.origins || p.origins.length === p.referralIds.length, { message: 'origins must be as long as referralIds', path: ['origins'] }),
    // the first referral's id: each referral is put in one batch, once, by the intake
    jobId: (p: { referralIds: string[] }) => `forward-batch-${p.referralIds[0]}`,
    // the producer merges the calls of one event-loop turn into as few jobs as this allows; the
    // job's own request id and trace are its first checklist's, and each referral keeps its own
    merge: (payloads: ForwardBatchPayload[]) => {
      const items = payloads.flatMap((p) => p.referralIds.map((id, i) => ({ id, origin: p.origins?.[i] ?? { requestId: p.requestId, traceparent: p.traceparent } })));
      return chunk(items, FORWARD_BATCH_MAX).map((part) => ({
        referralIds: part.map((x) => x.id),
        origins: part.map((x) => x.origin),
        requestId: part[0]!.origin.requestId,
        traceparent: part[0]!.origin.traceparent,
      }));
    },
    options: { attempts: 8, backoff: { type: 'exponential', delay: 5_000 }, ...retention },
  },
  'follow-up-due': {
    queue: 'follow-up',
    payload: z.object({ followUpId: z.uuid(), requestId, traceparent }),
    jobId: (p: { followUpId: string }) => `follow-up-${p.followUpId}`,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 }, ...retention },
  },
  'send-notification': {
    queue: 'notify',
    payload: z.object({ notificationId: z.uuid(), requestId, traceparent }),
    jobId: (p: { notificationId: string }) => `notify-${p.notificationId}`,
    options: { attempts: 12, backoff: { type: 'exponential', delay: 5_000 }, ...retention },
  },
  // One delivery of a webhook (modules/webhooks): the row decides when to try again (the Standard
  // Webhooks schedule over about three days, Retry-After honoured) and the handler's error carries
  // that delay to the 'webhook' backoff (WEBHOOK_BACKOFF); the attempts only bound it (the
  // schedule has 11), and the reconciliation sweep re-enqueues a pending delivery Redis lost.
  'deliver-webhook': {
    queue: 'webhooks',
    payload: z.object({ deliveryId: z.uuid(), requestId, traceparent }),
    jobId: (p: { deliveryId: string }) => `webhook-${p.deliveryId}`,
    options: { attempts: 16, backoff: { type: 'webhook' }, ...retention, removeOnFail: { age: 7 * 24 * 3600, count: 50_000 } },
  },
  // scheduled (SCHEDULES below): one run at a time; the next tick is the retry
  'sla-sweep': {
    queue: 'sla-sweep',
    payload: z.object({ requestId, traceparent }),
    jobId: () => undefined,
    options: { attempts: 1, removeOnComplete: { age: 3600, count: 100 }, removeOnFail: retention.removeOnFail },
  },
  // scheduled: every agency's reminder mail for the day (idempotent by its dedupe key)
  'contact-reminders': {
    queue: 'reminders',
    payload: z.object({ requestId, traceparent }),
    jobId: () => undefined,
    options: { attempts: 8, backoff: { type: 'exponential', delay: 30_000 }, ...retention },
  },
  // scheduled: new audit rows sealed into the hash chain (an advisory lock keeps it one sealer)
  'audit-seal': {
    queue: 'records',
    payload: z.object({ requestId, traceparent }),
    jobId: () => undefined,
    options: { attempts: 1, removeOnComplete: { age: 3600, count: 100 }, removeOnFail: retention.removeOnFail },
  },
  // scheduled: the audit chain's head verified and kept as a checkpoint (a second run the same day
  // writes a second checkpoint of the same head, which is harmless)
  'audit-checkpoint': {
    queue: 'records',
    payload: z.object({ requestId, traceparent }),
    jobId: () => undefined,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 60_000 }, ...retention },
  },
  // scheduled: the people of new checklists added to the person search's name index (idempotent:
  // a person already indexed is left as they are; the next tick is the retry)
  'person-search-index': {
    queue: 'records',
    payload: z.object({ requestId, traceparent }),
    jobId: () => undefined,
    options: { attempts: 1, removeOnComplete: { age: 3600, count: 100 }, removeOnFail: retention.removeOnFail },
  },
  // scheduled: personal data past retention erased (idempotent: an erased person is not claimed again)
  'retention-run': {
    queue: 'records',
    payload: z.object({ requestId, traceparent }),
    jobId: () => undefined,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 60_000 }, ...retention },
  },
} as const satisfies Record<
  string,
  {
    queue: QueueName;
    payload: z.ZodType;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    jobId: (p: any) => string | undefined;
    /** Jobs whose calls in one event-loop turn the producer merges (their payloads, into fewer). */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    merge?: (payloads: any[]) => unknown[];
    options: JobsOptions;
  }
>;

export type JobName = keyof typeof JOBS;

/**
 * The 'webhook' backoff: the delay a failed job's error names (`retryDelayMs`, computed by the
 * handler from the delivery's row), or a minute when it names none (an unexpected error).
 */
export const WEBHOOK_BACKOFF = (_attemptsMade: number, type?: string, err?: Error): number => {
  if (type !== 'webhook') return 0;
  const ms = (err as { retryDelayMs?: unknown } | undefined)?.retryDelayMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : 60_000;
};
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;

/**
 * Job schedulers live in Redis, so a Redis flush deletes them; the worker that owns a schedule
 * registers it at start and again every `reregisterEveryMs` (src/platform/jobs/schedulers.ts).
 */
export const SCHEDULES = {
  'sla-sweep': {
    job: 'sla-sweep',
    repeat: (env: { SLA_SWEEP_EVERY_MS: number }): RepeatOptions => ({ every: env.SLA_SWEEP_EVERY_MS }),
    reregisterEveryMs: (env: { SLA_SWEEP_EVERY_MS: number }) => env.SLA_SWEEP_EVERY_MS,
  },
  // 08:00 in the hub's time zone: the mail is there when the agency's day starts
  'daily-contact-reminders': {
    job: 'contact-reminders',
    repeat: (): RepeatOptions => ({ pattern: '0 8 * * *', tz: 'Europe/London' }),
    reregisterEveryMs: () => 10 * 60_000,
  },
  'audit-seal': {
    job: 'audit-seal',
    repeat: (env: { AUDIT_SEAL_EVERY_MS: number }): RepeatOptions => ({ every: env.AUDIT_SEAL_EVERY_MS }),
    reregisterEveryMs: (env: { AUDIT_SEAL_EVERY_MS: number }) => Math.max(env.AUDIT_SEAL_EVERY_MS, 60_000),
  },
  'person-search-index': {
    job: 'person-search-index',
    repeat: (env: { PERSON_SEARCH_INDEX_EVERY_MS: number }): RepeatOptions => ({ every: env.PERSON_SEARCH_INDEX_EVERY_MS }),
    reregisterEveryMs: (env: { PERSON_SEARCH_INDEX_EVERY_MS: number }) => Math.max(env.PERSON_SEARCH_INDEX_EVERY_MS, 60_000),
  },
  // 02:30 in the hub's time zone, when nobody is working
  'daily-retention': {
    job: 'retention-run',
    repeat: (): RepeatOptions => ({ pattern: '30 2 * * *', tz: 'Europe/London' }),
    reregisterEveryMs: () => 10 * 60_000,
  },
  // 03:00 in the hub's time zone: after the retention run, so its audit rows are in the checkpoint
  'daily-audit-checkpoint': {
    job: 'audit-checkpoint',
    repeat: (): RepeatOptions => ({ pattern: '0 3 * * *', tz: 'Europe/London' }),
    reregisterEveryMs: () => 10 * 60_000,
  },
} as const satisfies Record<string, { job: JobName; repeat: (env: never) => RepeatOptions; reregisterEveryMs: (env: never) => number }>;

export type ScheduleName = keyof typeof SCHEDULES;
