/**
 * The notify queue, job 'send-notification' { notificationId }: sends one notifications row
 * (coordinator alerts, agency reminders, the submitter's closing mail), written by the code
 * that decided to send it, in its own transaction.
 *
 * Idempotency: the job id is `notify-<notificationId>`; a row already 'sent' is never sent again
 * and a row being sent by another worker is locked (modules/notifications/delivery.service.ts). Each message
 * keeps the row's Message-ID on every attempt.
 *
 * Retries: temporary SMTP failures (4xx, connection errors) throw for BullMQ to retry with
 * backoff (the row stays 'queued', its attempts and last error recorded); a permanent failure
 * (5xx) marks the row 'failed' and throws UnrecoverableError (no retries).
 */
import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import { JOBS, type JobPayload } from '../../platform/jobs/registry.js';
import { deliverNotification } from './delivery.service.js';
import { createQueueWorker, jobLogger, type WorkerDeps } from '../../platform/jobs/worker.js';

const QUEUE = JOBS['send-notification'].queue;

export async function processSendNotification(job: Job, deps: WorkerDeps): Promise<string> {
  const log = jobLogger(deps, QUEUE, job);
  const { notificationId } = JOBS['send-notification'].payload.parse(job.data) as JobPayload<'send-notification'>;
  const result = await deliverNotification(deps, notificationId);
  if (result.kind === 'failed') {
    log.warn({ notificationId, err: result.error.message, permanent: result.error.permanent }, 'notification not sent');
    if (result.error.permanent) throw new UnrecoverableError(result.error.message);
    throw result.error;
  }
  log.info({ notificationId, outcome: result.kind }, 'notification job done');
  return result.kind;
}

export function createSendNotificationWorker(deps: WorkerDeps): Worker {
  return createQueueWorker(deps, QUEUE, (job) => processSendNotification(job, deps));
}
