/**
 * follow-up queue: 'follow-up-due', a delayed job at the follow-up's due_at. It only makes the
 * follow-up prompt (logs that it is due); the worklist and the T3 clock read Postgres, so a lost
 * job loses nothing. Idempotency: it re-reads the row and changes nothing. A job that fires
 * before the row's due_at (the call moved later when another referral was forwarded) just
 * finishes; the sweep's reconciliation then enqueues it again with the new delay.
 */
import type { Job, Worker } from 'bullmq';
import { followUpDueState } from './follow-up.service.js';
import { JOBS } from '../../platform/jobs/registry.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { createQueueWorker, type WorkerDeps } from '../../platform/jobs/worker.js';

const QUEUE = JOBS['follow-up-due'].queue;

export type FollowUpDueResult = { state: 'missing' | 'not_scheduled' | 'not_yet_due' | 'due'; dueAt?: Date };

export async function processFollowUpDue(job: Pick<Job, 'id' | 'data'>, deps: ServiceDeps): Promise<FollowUpDueResult> {
  const { followUpId } = JOBS['follow-up-due'].payload.parse(job.data);
  const log = deps.logger.child({ queue: QUEUE, jobId: job.id, followUpId });
  const f = await followUpDueState(deps, followUpId, deps.clock.now());
  if (f.state === 'not_yet_due') log.info({ dueAt: f.dueAt }, 'follow-up not yet due (moved later); the sweep re-times it');
  if (f.state === 'due') log.info({ dueAt: f.dueAt }, "follow-up due: on the coordinators' worklist");
  return f;
}

export function createFollowUpWorker(deps: WorkerDeps): Worker {
  return createQueueWorker(deps, QUEUE, (job) => processFollowUpDue(job, deps));
}
