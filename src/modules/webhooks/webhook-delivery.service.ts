/**
 * Sending one delivery, as the webhooks worker runs it (docs/webhooks.md#delivery).
 *
 * It re-reads Postgres and sends only a delivery still pending, of an endpoint still active.
 * Each attempt is signed at its own moment (`webhook-timestamp` is the attempt's, `webhook-id`
 * the delivery's, the same on every attempt, so a receiver can drop a repeat). Outcomes:
 *  - 2xx: delivered; the endpoint's run of failures ends;
 *  - 410 Gone: the receiver wants no more: the endpoint is disabled, the hub alerted;
 *  - anything else (another status, a redirect, no answer in WEBHOOK_TIMEOUT_MS, a refused
 *    address): the attempt is kept and the next one timed by the schedule (retry-schedule.ts,
 *    never before Retry-After); when the schedule is spent the delivery has failed; when the
 *    endpoint has been failing for three days it is disabled and the hub alerted.
 * Concurrency: at-least-once, like the specification's: two runs of one delivery (a "send again"
 * while a retry was running) may both reach the receiver, with the same webhook-id.
 */
import type { ServiceDeps } from '../../platform/deps.js';
import { raiseAlert, dispatchNotifications } from '../notifications/index.js';
import { nextRetryDelayMs, retryAfterMs } from './retry-schedule.js';
import { openWebhookSecret, sealingKey } from './webhook-secret.js';
import { sendDelivery, type SendResult } from './webhook-sender.js';
import { addressPolicy, type WebhookServiceDeps } from './webhook-endpoint.service.js';
import { clearEndpointFailing, disableEndpoint, findDeliveryWithEndpoint, markEndpointFailing, recordAttempt, type DeliveryWithEndpoint } from './webhook.repository.js';

/** An endpoint failing this long without one success is disabled. */
export const DISABLE_AFTER_FAILING_MS = 3 * 24 * 3600_000;

export type DeliveryOutcome =
  | { kind: 'missing' | 'not_pending' | 'delivered' }
  | { kind: 'endpoint_disabled'; reason: string }
  | { kind: 'retry'; delayMs: number; error: string }
  | { kind: 'failed'; error: string };

export interface DeliverOptions {
  /** in [0, 1): the jitter of the next delay (Math.random by default; tests hand in their own) */
  random?: () => number;
  requestId?: string | undefined;
}

function describe(r: SendResult): { httpStatus: number | null; error: string | null } {
  if (r.kind === 'error') return { httpStatus: null, error: r.message };
  if (r.status >= 200 && r.status < 300) return { httpStatus: r.status, error: null };
  if (r.status >= 300 && r.status < 400) return { httpStatus: r.status, error: `redirect (${r.status}): not followed` };
  return { httpStatus: r.status, error: `answered ${r.status}` };
}

/** Disables the endpoint and alerts the hub once (the alert mail is sent after commit). */
async function disableAndAlert(deps: ServiceDeps, d: DeliveryWithEndpoint, reason: string, at: Date, requestId?: string): Promise<void> {
  const notificationId = await deps.db.transaction().execute(async (trx) => {
    if (!(await disableEndpoint(trx, d.endpointId, reason, at))) return null;
    const host = new URL(d.url).host;
    const whose = d.agencyId ? 'an agency’s' : 'the hub’s';
    return raiseAlert(trx, deps, { kind: 'webhook_disabled', agencyId: d.agencyId, message: `Webhook endpoint ${host} (${whose}) was disabled: ${reason}` }, at);
  });
  if (notificationId) await dispatchNotifications(deps.jobs, [notificationId], requestId);
}

export async function deliverWebhook(deps: WebhookServiceDeps, deliveryId: string, opts: DeliverOptions = {}): Promise<DeliveryOutcome> {
  const d = await findDeliveryWithEndpoint(deps.db, deliveryId);
  if (!d) return { kind: 'missing' };
  if (d.status !== 'pending') return { kind: 'not_pending' };
  if (d.endpointStatus !== 'active') {
    await recordAttempt(deps.db, d.id, { at: deps.clock.now(), status: 'failed', httpStatus: null, error: 'the endpoint is disabled' });
    return { kind: 'endpoint_disabled', reason: 'the endpoint is disabled' };
  }
  const at = deps.clock.now();
  const key = sealingKey(deps.env);
  const secrets = [openWebhookSecret(key, d.endpointId, d.secretSealed)];
  if (d.previousSecretSealed && d.previousSecretUntil && d.previousSecretUntil > at) secrets.push(openWebhookSecret(key, d.endpointId, d.previousSecretSealed));
  const result = await sendDelivery(
    { url: d.url, msgId: d.id, at, body: JSON.stringify(d.payload), secrets, timeoutMs: deps.env.WEBHOOK_TIMEOUT_MS, userAgent: 'Signpost-Webhooks/1' },
    addressPolicy(deps),
  );
  // the moment the answer came (a slow receiver's attempt ends well after it began)
  const now = deps.clock.now();
  const { httpStatus, error } = describe(result);

  if (error === null) {
    await deps.db.transaction().execute(async (trx) => {
      await recordAttempt(trx, d.id, { at: now, status: 'delivered', httpStatus, error: null });
      await clearEndpointFailing(trx, d.endpointId);
    });
    return { kind: 'delivered' };
  }
  if (httpStatus === 410) {
    await recordAttempt(deps.db, d.id, { at: now, status: 'failed', httpStatus, error: 'answered 410 Gone: the endpoint is disabled' });
    await disableAndAlert(deps, d, 'it answered 410 Gone', now, opts.requestId);
    return { kind: 'endpoint_disabled', reason: '410 Gone' };
  }
  const failingSince = await markEndpointFailing(deps.db, d.endpointId, at);
  if (now.getTime() - failingSince.getTime() >= DISABLE_AFTER_FAILING_MS) {
    await recordAttempt(deps.db, d.id, { at: now, status: 'failed', httpStatus, error });
    await disableAndAlert(deps, d, 'every delivery has failed for three days', now, opts.requestId);
    return { kind: 'endpoint_disabled', reason: 'failing for three days' };
  }
  const retryAfter = result.kind === 'answered' && (httpStatus === 429 || httpStatus === 503) ? retryAfterMs(result.retryAfter, now) : undefined;
  const delayMs = nextRetryDelayMs(d.attempts + 1, (opts.random ?? Math.random)(), retryAfter);
  if (delayMs === null) {
    await recordAttempt(deps.db, d.id, { at: now, status: 'failed', httpStatus, error });
    return { kind: 'failed', error };
  }
  await recordAttempt(deps.db, d.id, { at: now, status: 'pending', httpStatus, error, nextAttemptAt: new Date(now.getTime() + delayMs) });
  return { kind: 'retry', delayMs, error };
}
