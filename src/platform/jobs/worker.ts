/**
 * What every worker gets: the services' dependencies (ServiceDeps), the one pooled mailer, a
 * Redis connection factory in BullMQ's worker mode (maxRetriesPerRequest: null: ride out a
 * Redis restart instead of failing jobs), and a child logger per job.
 */
import { Worker, type Job, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Env } from '../../../config/env.js';
import { createContext } from '../../context.js';
import type { Logger } from '../logger.js';
import { redisOptions } from './producer.js';
import { createMailer, type Mailer } from '../mail/transport.js';
import type { ServiceDeps } from '../deps.js';
import { queueConcurrency, type QueueName } from './registry.js';

export interface WorkerDeps extends ServiceDeps {
  mailer: Mailer;
  /** a new connection for one BullMQ Worker (each worker blocks on its own) */
  redis(): Redis;
  /** test-only overrides of BullMQ's worker settings (lock and stall timings) */
  workerOptions?: Partial<Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount' | 'drainDelay'>>;
}

/**
 * The BullMQ Worker for one queue of the registry: its own blocking connection, the queue
 * prefix, the registry's concurrency, and an error listener (a Worker's 'error' event without
 * one would end the process).
 */
export function createQueueWorker<R>(deps: WorkerDeps, queue: QueueName, processor: (job: Job) => Promise<R>): Worker {
  const worker = new Worker(queue, processor, {
    connection: deps.redis(),
    prefix: deps.env.QUEUE_PREFIX,
    concurrency: queueConcurrency(queue, deps.env.WORKER_CONCURRENCY),
    ...deps.workerOptions,
  });
  worker.on('error', (err) => deps.logger.error({ queue, err: err.message }, 'worker error'));
  return worker;
}

/** The logger a job logs with: queue, job id, attempt and the request that caused it. */
export function jobLogger(deps: Pick<WorkerDeps, 'logger'>, queue: QueueName, job: Job): Logger {
  const data = job.data as { requestId?: string } | undefined;
  return deps.logger.child({ queue, jobId: job.id, job: job.name, attempt: job.attemptsMade + 1, requestId: data?.requestId });
}

/** Builds the real dependencies for a worker process; close() ends the mailer, the pool and Redis. */
export function createWorkerDeps(env: Env, logger?: Logger): WorkerDeps & { close(): Promise<void> } {
  const ctx = createContext({ env, role: 'worker', logger });
  const mailer = createMailer(env, (err) => ctx.logger.warn({ err: err.message }, 'mail transport error; the next send opens a new connection'));
  const connections: Redis[] = [];
  return {
    ...ctx,
    mailer,
    redis() {
      const r = new Redis(env.REDIS_URL, redisOptions('wait'));
      r.on('error', (err) => ctx.logger.warn({ err: err.message }, 'redis connection error (worker)'));
      connections.push(r);
      return r;
    },
    async close() {
      mailer.close();
      await ctx.close();
      await Promise.all(connections.map((r) => r.quit().catch(() => r.disconnect())));
    },
  };
}
