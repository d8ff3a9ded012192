/**
 * Job schedulers live in Redis. A Redis flush (or a Redis that lost its data) deletes them, and
 * then no sweep would ever run again: the very sweep that repairs a flush. So the worker that
 * owns a schedule (src/platform/jobs/registry.ts SCHEDULES) registers it at start and again every
 * `reregisterEveryMs` for as long as it runs; upserting an existing scheduler only updates it,
 * so this is idempotent and cheap. Its jobs carry the registry's attempts, backoff and
 * (bounded) retention.
 */
import type { Worker } from 'bullmq';
import { JOBS, SCHEDULES, type ScheduleName } from './registry.js';
import type { WorkerDeps } from './worker.js';

export async function keepSchedule(deps: WorkerDeps, worker: Worker, name: ScheduleName): Promise<void> {
  const s = SCHEDULES[name];
  const job = JOBS[s.job];
  const upsert = () => deps.jobs.queue(job.queue).upsertJobScheduler(name, s.repeat(deps.env), { name: s.job, data: {}, opts: job.options });
  await upsert();
  const timer = setInterval(() => {
    upsert().catch((err: Error) => deps.logger.warn({ scheduler: name, err: err.message }, 'could not re-register the job scheduler; will try again'));
  }, s.reregisterEveryMs(deps.env));
  timer.unref();
  worker.once('closing', () => clearInterval(timer));
}
