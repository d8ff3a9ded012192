/**
 * Enqueueing, always AFTER the transaction that made the rows has committed (docs/failure.md,
 * reliability rule 1), with the job id derived from the row id so that enqueueing twice is a no-op.
 *
 * The API's producer fails fast: if Redis is down the caller logs and carries on, because the
 * row is committed and the reconciliation sweep enqueues whatever Postgres says is due.
 */
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { JOBS, type JobName, type JobPayload, type QueueName } from './registry.js';
import { currentTraceparent } from '../tracing.js';

const ENQUEUE_TIMEOUT_MS = 2_000;

/** One job by its name and payload (its id derives from the payload). */
export type JobRef = { [N in JobName]: { name: N; payload: JobPayload<N> } }[JobName];

export interface EnqueueOptions {
  delayMs?: number;
}

export interface JobProducer {
  /** One job, or several of one kind in one round trip (addBulk). */
  enqueue<N extends JobName>(name: N, payload: JobPayload<N> | JobPayload<N>[], opts?: EnqueueOptions): Promise<void>;
  /** Never throws: logs and returns false (the sweep will pick the work up). */
  enqueueSafely<N extends JobName>(name: N, payload: JobPayload<N> | JobPayload<N>[], opts?: EnqueueOptions): Promise<boolean>;
  /**
   * Like enqueueSafely, for work that ran before under the same job id (a forward retried by a
   * coordinator), or that is timed anew (a held referral whose agency reopens earlier or later):
   * a finished or delayed job kept under that id is removed first, or BullMQ would treat the
   * add as a duplicate and drop it.
   */
  requeueSafely<N extends JobName>(name: N, payload: JobPayload<N>, opts?: EnqueueOptions): Promise<boolean>;
  /**
   * Forgets these jobs (erasure): each is removed from Redis whatever its state, with its data,
   * error text, stack traces and log, and so are the queue's event-stream entries about it. A job
   * running right now is locked by its worker and stays: it carries ids only, and its error text
   * holds no address (platform/mail/transport.ts). A job removed while still due (a mail to an agency not
   * yet sent) is enqueued again by the reconciliation sweep, from Postgres. Never throws and never
   * waits long: false when Redis did not answer (what is left expires with the queue's retention).
   */
  forgetSafely(jobs: JobRef[]): Promise<boolean>;
  queue(name: QueueName): Queue;
  /** Resolves when Redis answers PING (readiness). */
  ping(): Promise<void>;
  /**
   * The producer's connection, for the self-referral page's rate-limit counters (hashed keys,
   * counts and expiries: no personal data). Fail-fast in the API, so a limiter never waits on it.
   */
  redis(): Redis;
  close(): Promise<void>;
}

export interface ProducerOptions {
  redisUrl: string;
  prefix: string;
  logger: Logger;
  /** 'fail-fast' for the API; 'wait' for workers, which must ride out a Redis restart. */
  mode: 'fail-fast' | 'wait';
}

export function redisOptions(mode: 'fail-fast' | 'wait'): RedisOptions {
  return mode === 'wait'
    ? { maxRetriesPerRequest: null, enableReadyCheck: true }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 };
}

const FORGET_TIMEOUT_MS = 5_000;
/** Entries of a queue's event stream read per round trip (BullMQ keeps about 10,000). */
const EVENTS_PAGE = 1_000;

/** Removes the jobs, then the event-stream entries that name them (a 'failed' event carries its error text). */
async function forgetInQueue(queue: Queue, redis: Redis, jobIds: Set<string>): Promise<void> {
  await Promise.all([...jobIds].map((id) => queue.remove(id)));
  const key = queue.toKey('events');
  let start = '-';
  for (;;) {
    const page = await redis.xrange(key, start, '+', 'COUNT', EVENTS_PAGE);
    const doomed = page.filter(([, fields]) => fields.some((f, i) => i % 2 === 1 && fields[i - 1] === 'jobId' && jobIds.has(f))).map(([id]) => id);
    if (doomed.length) await redis.xdel(key, ...doomed);
    if (page.length < EVENTS_PAGE) return;
    start = `(${page.at(-1)![0]}`;
  }
}

/** The registry's merge for this job, if it has one. */
function mergeOf(name: JobName): ((payloads: unknown[]) => unknown[]) | undefined {
  const def = JOBS[name] as { merge?: (payloads: never[]) => unknown[] };
  return def.merge as ((payloads: unknown[]) => unknown[]) | undefined;
}

export function createProducer({ redisUrl, prefix, logger, mode }: ProducerOptions): JobProducer {
  const connection = new Redis(redisUrl, redisOptions(mode));
  connection.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error (producer)'));
  const queues = new Map<QueueName, Queue>();
  const queue = (name: QueueName) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix });
      q.on('error', (err) => logger.warn({ err: err.message, queue: name }, 'queue error'));
      queues.set(name, q);
    }
    return q;
  };

  // Calls made in the same turn of the event loop are coalesced into one addBulk per queue:
  // under load, many requests finish per turn, and each Redis round trip (a syscall and a
  // MULTI of Lua scripts) is paid once per turn instead of once per request. No added delay.
  // A job with a `merge` in the registry goes further: its payloads of the turn become as few
  // jobs as the merge allows (the intake's 'forward-batch': one job for every referral).
  type BulkJob = Parameters<Queue['addBulk']>[0][number];
  type Pending = { jobs: BulkJob[]; merge?: { name: JobName; payloads: unknown[] }; resolve: () => void; reject: (e: unknown) => void };
  const pending = new Map<QueueName, Pending[]>();

  const bulkJob = (name: JobName, payload: unknown, opts: EnqueueOptions): BulkJob => {
    const def = JOBS[name];
    const data = def.payload.parse(payload);
    const jobId = def.jobId(data as never);
    return {
      name,
      data,
      opts: {
        ...def.options,
        ...(jobId ? { jobId } : {}),
        ...(opts.delayMs ? { delay: Math.max(0, Math.round(opts.delayMs)) } : {}),
      },
    };
  };

  const flush = (queueName: QueueName) => {
    const batch = pending.get(queueName) ?? [];
    pending.delete(queueName);
    // close() may have sent this turn's jobs already
    if (batch.length === 0) return;
    let jobs: BulkJob[];
    try {
      const merged = new Map<JobName, unknown[]>();
      for (const b of batch) if (b.merge) merged.set(b.merge.name, [...(merged.get(b.merge.name) ?? []), ...b.merge.payloads]);
      jobs = [
        ...batch.flatMap((b) => b.jobs),
        ...[...merged].flatMap(([name, payloads]) => mergeOf(name)!(payloads).map((p) => bulkJob(name, p, {}))),
      ];
    } catch (err) {
      batch.forEach((b) => b.reject(err));
      return;
    }
    const sent = queue(queueName)
      .addBulk(jobs)
      .then(
        () => batch.forEach((b) => b.resolve()),
        (err) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
  };
  /** addBulk calls under way: close() lets them finish (a reply may have gone before its job did) */
  const inFlight = new Set<Promise<void>>();

  const enqueue: JobProducer['enqueue'] = (name, payload, opts = {}) => {
    const def = JOBS[name];
    // the enqueuing work's trace context travels in the data, so that the job's span continues it
    const traceparent = currentTraceparent();
    const payloads = (Array.isArray(payload) ? payload : [payload]).map((p) => (traceparent && !(p as { traceparent?: string }).traceparent ? { ...p, traceparent } : p));
    const merge = opts.delayMs ? undefined : mergeOf(name);
    let item: Omit<Pending, 'resolve' | 'reject'>;
    try {
      item = merge
        ? { jobs: [], merge: { name, payloads: payloads.map((p) => def.payload.parse(p)) } }
        : { jobs: payloads.map((p) => bulkJob(name, p, opts)) };
    } catch (err) {
      return Promise.reject(err);
    }
    if (payloads.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let list = pending.get(def.queue);
      if (!list) {
        list = [];
        pending.set(def.queue, list);
        setImmediate(flush, def.queue);
      }
      list.push({ ...item, resolve, reject });
    });
  };

  return {
    enqueue,
    async enqueueSafely(name, payload, opts) {
      let timer: NodeJS.Timeout | undefined;
      try {
        // bounded: a request must never hang on Redis; the row is already committed
        await Promise.race([
          enqueue(name, payload, opts),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS);
          }),
        ]);
        return true;
      } catch (err) {
        logger.warn({ err: (err as Error).message, job: name }, 'enqueue failed; the reconciliation sweep will pick it up');
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async requeueSafely(name, payload, opts) {
      const def = JOBS[name];
      const jobId = def.jobId(def.payload.parse(payload) as never);
      if (jobId) {
        const q = queue(def.queue);
        try {
          const state = await q.getJobState(jobId);
          if (state === 'completed' || state === 'failed' || state === 'delayed') await q.remove(jobId);
        } catch (err) {
          logger.warn({ err: (err as Error).message, job: name }, 'could not clear the earlier job; the sweep will retry');
        }
      }
      return this.enqueueSafely(name, payload, opts);
    },
    async forgetSafely(list) {
      const byQueue = new Map<QueueName, Set<string>>();
      for (const { name, payload } of list) {
        const def = JOBS[name];
        const jobId = def.jobId(def.payload.parse(payload) as never);
        if (!jobId) continue;
        byQueue.set(def.queue, (byQueue.get(def.queue) ?? new Set()).add(jobId));
      }
      if (byQueue.size === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.all([...byQueue].map(([name, ids]) => forgetInQueue(queue(name), connection, ids))),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out')), FORGET_TIMEOUT_MS);
          }),
        ]);
        return true;
      } catch (err) {
        logger.warn({ err: (err as Error).message, jobs: list.length }, 'could not forget jobs in Redis; they expire with the queue retention');
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    queue,
    async ping() {
      // a fail-fast connection refuses commands until it is ready: give it a moment to get there
      if (connection.status !== 'ready') {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`redis is ${connection.status}`)), 1_000);
          connection.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      await connection.ping();
    },
    redis: () => connection,
    async close() {
      // what this turn queued is sent, and what is being sent lands, before the queues close
      // (bounded: Redis gone leaves them to the reconciliation sweep)
      for (const name of [...pending.keys()]) flush(name);
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, ENQUEUE_TIMEOUT_MS).unref())]);
      await Promise.all([...queues.values()].map((q) => q.close()));
      connection.disconnect();
    },
  };
}
