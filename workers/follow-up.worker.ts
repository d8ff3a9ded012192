/**
 * follow-up queue: 'follow-up-due', a delayed job at the follow-up's due_at. It only makes the
 * follow-up prompt (logs that it is due); the worklist and the T3 clock read Postgres, so a lost
 * job loses nothing. Idempotency: it re-reads the row and changes nothing. A job that fires
 * before the row's due_at (the call moved later when another referral was forwarded) just
 * finishes; the sweep's reconciliation then enqueues it again with the new delay.
 */
import { Worker, type Job } from 'bullmq';
import { findFollowUpDue } from '../src/db/follow-up.repository.js';
import { JOBS } from '../src/jobs/registry.js';
import type { ServiceDeps } from '../src/services/deps.js';
import { baseWorkerOptions, type WorkerDeps } from './worker-deps.js';

export type FollowUpDueResult = { state: 'missing' | 'not_scheduled' | 'not_yet_due' | 'due'; dueAt?: Date };

export async function processFollowUpDue(job: Pick<Job, 'id' | 'data'>, deps: ServiceDeps): Promise<FollowUpDueResult> {
  const { followUpId } = JOBS['follow-up-due'].payload.parse(job.data);
  const log = deps.logger.child({ queue: 'follow-up', jobId: job.id, followUpId });
  const f = await findFollowUpDue(deps.db, followUpId);
  if (!f) return { state: 'missing' };
  if (f.status !== 'scheduled') return { state: 'not_scheduled' };
  if (f.dueAt > deps.clock.now()) {
    log.info({ dueAt: f.dueAt }, 'follow-up not yet due (moved later); the sweep re-times it');
    return { state: 'not_yet_due', dueAt: f.dueAt };
  }
  log.info({ dueAt: f.dueAt }, 'follow-up due: on the coordinators\' worklist');
  return { state: 'due', dueAt: f.dueAt };
}

export function createFollowUpWorker(deps: WorkerDeps): Worker {
  const worker = new Worker('follow-up', (job) => processFollowUpDue(job, deps), baseWorkerOptions(deps));
  worker.on('error', (err) => deps.logger.error({ queue: 'follow-up', err: err.message }, 'worker error'));
  return worker;
}
