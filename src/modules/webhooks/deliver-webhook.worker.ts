/**
 * The webhooks queue, job 'deliver-webhook' { deliveryId }: one delivery to one endpoint
 * (webhook-delivery.service.ts).
 *
 * Idempotency: the job id is `webhook-<deliveryId>`; the handler re-reads the row and sends only
 * a pending delivery of an active endpoint, and records each attempt on the row only while it is
 * still pending. A receiver may still see one delivery twice (a worker killed after the POST and
 * before the row was written): the webhook-id is the same, as the specification allows.
 *
 * Retries: the row decides. A failed attempt stores when the next is due (the Standard Webhooks
 * schedule with jitter, never before Retry-After) and throws a RetryLater carrying that delay,
 * which the registry's 'webhook' backoff hands to BullMQ; a delivery delivered, given up, or whose
 * endpoint was disabled ends the job. A lost job (Redis flushed) is re-enqueued by the
 * reconciliation sweep, delayed to the row's next attempt.
 */
import type { Job, Worker } from 'bullmq';
import { JOBS, type JobPayload } from '../../platform/jobs/registry.js';
import { createQueueWorker, jobLogger, type WorkerDeps } from '../../platform/jobs/worker.js';
import { deliverWebhook, type DeliverOptions } from './webhook-delivery.service.js';
import type { Resolver } from './webhook-address.js';

const QUEUE = JOBS['deliver-webhook'].queue;

/** A failed attempt to be tried again after `retryDelayMs` (read by the 'webhook' backoff). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly retryDelayMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

export type WebhookWorkerDeps = WorkerDeps & { resolveHost?: Resolver };

export async function processDeliverWebhook(job: Job, deps: WebhookWorkerDeps, opts: Omit<DeliverOptions, 'requestId'> = {}): Promise<string> {
  const log = jobLogger(deps, QUEUE, job);
  const { deliveryId, requestId } = JOBS['deliver-webhook'].payload.parse(job.data) as JobPayload<'deliver-webhook'>;
  const outcome = await deliverWebhook(deps, deliveryId, { ...opts, requestId });
  if (outcome.kind === 'retry') {
    log.warn({ deliveryId, err: outcome.error, retryInMs: outcome.delayMs }, 'webhook delivery failed; retrying');
    throw new RetryLater(outcome.error, outcome.delayMs);
  }
  log.info({ deliveryId, outcome: outcome.kind }, 'webhook job done');
  return outcome.kind;
}

export function createWebhookWorker(deps: WebhookWorkerDeps): Worker {
  return createQueueWorker(deps, QUEUE, (job) => processDeliverWebhook(job, deps));
}
