/**
 * reminders queue. The registry's 'daily-contact-reminders' schedule (08:00 London time) puts
 * one 'contact-reminders' job here a day; it reminds every agency with referrals close to their
 * contact deadline. Idempotency: each agency's mail is a notifications row with the dedupe key
 * `reminder:<agencyId>:<day>`, so a retry or a second run the same day sends nothing.
 * Retry: with backoff (a database hiccup); the mail itself is sent and retried by the notify queue.
 */
import type { Job, Worker } from 'bullmq';
import { JOBS } from '../../platform/jobs/registry.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { sendContactReminders, type ReminderResult } from './reminder.service.js';
import { keepSchedule } from '../../platform/jobs/schedulers.js';
import { createQueueWorker, type WorkerDeps } from '../../platform/jobs/worker.js';

const QUEUE = JOBS['contact-reminders'].queue;

export async function processReminders(job: Pick<Job, 'id' | 'data'>, deps: ServiceDeps): Promise<ReminderResult> {
  const { requestId } = JOBS['contact-reminders'].payload.parse(job.data ?? {});
  return sendContactReminders({ ...deps, logger: deps.logger.child({ queue: QUEUE, jobId: job.id }) }, { requestId });
}

export async function createRemindersWorker(deps: WorkerDeps): Promise<Worker> {
  const worker = createQueueWorker(deps, QUEUE, (job) => processReminders(job, deps));
  await keepSchedule(deps, worker, 'daily-contact-reminders');
  return worker;
}
