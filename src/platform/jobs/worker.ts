/**
 * What every worker gets: the services' dependencies (ServiceDeps), the one pooled mailer, a
 * Redis connection factory in BullMQ's worker mode (maxRetriesPerRequest: null: ride out a
 * Redis restart instead of failing jobs), and a child logger per job.
 */
import { Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/transport.js';
import type { ServiceDeps } from '../deps.js';
import type { Metrics } from '../metrics/metrics.js';
import { queueConcurrency, WEBHOOK_BACKOFF, type QueueName } from './registry.js';
import { contextFromTraceparent, SpanKind, withSpan } from '../tracing.js';

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
  const run = deps.metrics ? timed(deps.metrics, queue, processor) : processor;
  const worker = new Worker(queue, (job: Job) => traceJob(queue, job, () => run(job)), {
    connection: deps.redis(),
    prefix: deps.env.QUEUE_PREFIX,
    concurrency: queueConcurrency(queue, deps.env.WORKER_CONCURRENCY),
    // the registry's custom backoffs (only 'webhook' so far); built-in ones are BullMQ's own
    settings: { backoffStrategy: WEBHOOK_BACKOFF },
    ...deps.workerOptions,
  });
  worker.on('error', (err) => deps.logger.error({ queue, err: err.message }, 'worker error'));
  return worker;
}

/**
 * Each run of a job is a span (docs/ops/tracing.md), continuing the trace of the work that
 * enqueued it when its data carries a `traceparent` (a retry is another child of the same
 * parent), or a trace of its own (a scheduled job). Ids only: the queue, the job's name and id
 * (derived from a row id), the attempt.
 */
function traceJob<R>(queue: QueueName, job: Job, run: () => Promise<R>): Promise<R> {
  const data = job.data as { traceparent?: unknown } | undefined;
  return withSpan(
    `${queue} process`,
    {
      kind: SpanKind.CONSUMER,
      parent: contextFromTraceparent(data?.traceparent),
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': queue,
        'messaging.message.id': job.id ?? '',
        'signpost.job.name': job.name,
        'signpost.job.attempt': job.attemptsMade + 1,
      },
    },
    run,
  );
}

/** The processor, with each run's duration observed (bullmq_job_duration_seconds) by outcome. */
function timed<R>(metrics: Metrics, queue: QueueName, processor: (job: Job) => Promise<R>): (job: Job) => Promise<R> {
  return async (job) => {
    const start = metrics.monotonicMs();
    let outcome = 'failed';
    try {
      const result = await processor(job);
      outcome = 'completed';
      return result;
    } finally {
      metrics.jobDuration.observe({ queue, job: job.name, outcome }, (metrics.monotonicMs() - start) / 1000);
    }
  };
}

/** The logger a job logs with: queue, job id, attempt and the request that caused it (`requestId`: one of several a job carries). */
export function jobLogger(deps: Pick<WorkerDeps, 'logger'>, queue: QueueName, job: Job, requestId?: string): Logger {
  const data = job.data as { requestId?: string } | undefined;
  return deps.logger.child({ queue, jobId: job.id, job: job.name, attempt: job.attemptsMade + 1, requestId: requestId ?? data?.requestId });
}
