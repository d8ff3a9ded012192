/**
 * reminders queue. A job scheduler ('daily-contact-reminders', every day at REMINDER_CRON)
 * triggers one run for all agencies; a 'contact-reminders' job ({ agencyId, day }) reminds one
 * agency. Idempotency: each agency's mail is a notifications row with the dedupe key
 * `reminder:<agencyId>:<day>`, so a retry or a second run the same day sends nothing.
 * Retry: with backoff (a database hiccup); the mail itself is sent and retried by 'notify'.
 */
import { Worker, type Job } from 'bullmq';
import { JOBS } from '../src/jobs/registry.js';
import type { ServiceDeps } from '../src/services/deps.js';
import { keepScheduler } from './schedulers.js';
import { baseWorkerOptions, type WorkerDeps } from './worker-deps.js';
import { sendContactReminders, type ReminderResult } from '../src/services/reminder.service.js';

export const REMINDER_SCHEDULER_ID = 'daily-contact-reminders';
/** 08:00 in the hub's time zone: the mail is there when the agency's day starts. */
const REMINDER_CRON = { pattern: '0 8 * * *', tz: 'Europe/London' };

export async function processReminders(job: Pick<Job, 'id' | 'name' | 'data'>, deps: ServiceDeps): Promise<ReminderResult> {
  const d = { ...deps, logger: deps.logger.child({ queue: 'reminders', jobId: job.id }) };
  if (job.name === 'contact-reminders') {
    const { agencyId, requestId } = JOBS['contact-reminders'].payload.parse(job.data);
    return sendContactReminders(d, { agencyId, requestId });
  }
  return sendContactReminders(d);
}

export async function createRemindersWorker(deps: WorkerDeps): Promise<Worker> {
  const worker = new Worker('reminders', (job) => processReminders(job, deps), { ...baseWorkerOptions(deps), concurrency: 1 });
  worker.on('error', (err) => deps.logger.error({ queue: 'reminders', err: err.message }, 'worker error'));
  const upsert = () =>
    deps.jobs.queue('reminders').upsertJobScheduler(REMINDER_SCHEDULER_ID, REMINDER_CRON, {
      name: REMINDER_SCHEDULER_ID,
      data: {},
      opts: { attempts: 8, backoff: { type: 'exponential', delay: 30_000 } },
    });
  await keepScheduler(worker, deps.logger, REMINDER_SCHEDULER_ID, upsert, 10 * 60_000);
  return worker;
}
