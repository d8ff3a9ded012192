/**
 * sla-sweep queue. The registry's 'sla-sweep' schedule (every SLA_SWEEP_EVERY_MS) puts one job
 * here; any worker may take it. Idempotency: the sweep holds a Postgres advisory transaction
 * lock (a second sweep at the same time returns { skipped: true }), every breach insert is
 * ON CONFLICT DO NOTHING, and reconciliation enqueues by job id. Retry: none (attempts 1);
 * the next tick is the retry.
 */
import type { Job, Worker } from 'bullmq';
import { JOBS } from '../../platform/jobs/registry.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { runSweep, type SweepResult } from './sla.service.js';
import { keepSchedule } from '../../platform/jobs/schedulers.js';
import { createQueueWorker, type WorkerDeps } from '../../platform/jobs/worker.js';
import { sweepLastRunGauge } from './sla.metrics.js';

const QUEUE = JOBS['sla-sweep'].queue;

export async function processSlaSweep(job: Pick<Job, 'id' | 'data'>, deps: ServiceDeps): Promise<SweepResult> {
  JOBS['sla-sweep'].payload.parse(job.data ?? {});
  return runSweep({ ...deps, logger: deps.logger.child({ queue: QUEUE, jobId: job.id }) });
}

/** Starts the worker and keeps the schedule registered (a Redis flush cannot stop the sweeps). */
export async function createSlaSweepWorker(deps: WorkerDeps): Promise<Worker> {
  const worker = createQueueWorker(deps, QUEUE, (job) => processSlaSweep(job, deps));
  worker.on('failed', (job, err) => deps.logger.error({ err: err.message, jobId: job?.id }, 'sla sweep failed'));
  if (deps.metrics) {
    // only a sweep that ran: one skipped for another's lock says nothing (a stuck sweep holding
    // the lock must not look like sweeps running); the process that ran it sets its own
    const lastRun = sweepLastRunGauge(deps.metrics);
    worker.on('completed', (_job, result: SweepResult) => {
      if (!result.skipped) lastRun.set(deps.clock.now().getTime() / 1000);
    });
  }
  await keepSchedule(deps, worker, 'sla-sweep');
  return worker;
}
