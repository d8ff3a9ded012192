/**
 * sla-sweep queue. A BullMQ job scheduler ('sla-sweep', every SLA_SWEEP_EVERY_MS) puts one job
 * here; any worker may take it. Idempotency: the sweep holds a Postgres advisory transaction
 * lock (a second sweep at the same time returns { skipped: true }), every breach insert is
 * ON CONFLICT DO NOTHING, and reconciliation enqueues by job id. Retry: none (attempts 1);
 * the next tick is the retry.
 */
import { Worker, type Job } from 'bullmq';
import { JOBS } from '../src/jobs/registry.js';
import type { ServiceDeps } from '../src/services/deps.js';
import { baseWorkerOptions, type WorkerDeps } from './worker-deps.js';
import { keepScheduler } from './schedulers.js';
import { runSweep, type SweepResult } from '../src/services/sla.service.js';

export const SWEEP_SCHEDULER_ID = 'sla-sweep';

export async function processSlaSweep(job: Pick<Job, 'id' | 'data'>, deps: ServiceDeps): Promise<SweepResult> {
  JOBS['sla-sweep'].payload.parse(job.data ?? {});
  return runSweep({ ...deps, logger: deps.logger.child({ queue: 'sla-sweep', jobId: job.id }) });
}

/** Starts the worker and (re)registers the scheduler; upserting an existing scheduler only updates it. */
export async function createSlaSweepWorker(deps: WorkerDeps): Promise<Worker> {
  // one sweep at a time per worker; the advisory lock makes it one at a time across workers
  const worker = new Worker('sla-sweep', (job) => processSlaSweep(job, deps), { ...baseWorkerOptions(deps), concurrency: 1 });
  worker.on('failed', (job, err) => deps.logger.error({ err: err.message, jobId: job?.id }, 'sla sweep failed'));
  worker.on('error', (err) => deps.logger.error({ queue: 'sla-sweep', err: err.message }, 'worker error'));
  const upsert = () =>
    deps.jobs.queue('sla-sweep').upsertJobScheduler(
      SWEEP_SCHEDULER_ID,
      { every: deps.env.SLA_SWEEP_EVERY_MS },
      { name: 'sla-sweep', data: {}, opts: { removeOnComplete: JOBS['sla-sweep'].options.removeOnComplete, removeOnFail: JOBS['sla-sweep'].options.removeOnFail } },
    );
  // re-registered while the worker runs, so that a Redis flush cannot stop the sweeps for good
  await keepScheduler(worker, deps.logger, SWEEP_SCHEDULER_ID, upsert, deps.env.SLA_SWEEP_EVERY_MS);
  return worker;
}
