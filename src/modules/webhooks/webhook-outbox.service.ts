/**
 * The outbox (docs/webhooks.md#delivery; docs/failure.md, reliability rules 1 and 5): whoever
 * makes a change that endpoints hear of calls recordWebhookEvent in the change's own transaction,
 * so the event is kept exactly when the change is; after the commit, dispatchWebhookDeliveries
 * enqueues one job per delivery (job id from the delivery's id). An enqueue that is lost (Redis
 * down, a process killed between the commit and the enqueue) is made good by the reconciliation
 * sweep, which reads the pending deliveries from Postgres.
 */
import type { Executor } from '../../platform/db/database.js';
import type { JobProducer } from '../../platform/jobs/producer.js';
import type { WebhookEvent } from './webhook-events.js';
import { insertDeliveriesForEvents, pendingDeliveriesPage, referralFacts } from './webhook.repository.js';

/** Writes the deliveries of these events (one per endpoint that hears each); returns their ids, to dispatch after commit. */
export async function recordWebhookEvent(trx: Executor, events: WebhookEvent | readonly WebhookEvent[]): Promise<string[]> {
  const list = Array.isArray(events) ? events : [events as WebhookEvent];
  if (list.length === 0) return [];
  return insertDeliveriesForEvents(trx, list);
}

/** `referral.breached` for each breach the SLA sweep has just recorded, in its transaction. */
export async function recordBreachEvents(trx: Executor, clock: string, breaches: readonly { referralId: string; dueAt: Date }[], at: Date): Promise<string[]> {
  if (breaches.length === 0) return [];
  const due = new Map(breaches.map((b) => [b.referralId, b.dueAt]));
  const facts = await referralFacts(trx, [...due.keys()]);
  return recordWebhookEvent(
    trx,
    // a breach of a referral not yet forwarded (the forward clock) is the hub's alone: the agency
    // has not been sent it, so hears nothing of it
    facts.map((r) => ({ type: 'referral.breached' as const, at, agencyId: r.forwardedAt ? r.agencyId : null, data: { id: r.id, reference: r.reference, status: r.status, clock, dueAt: due.get(r.id)!.toISOString() } })),
  );
}

/** After commit: one job per delivery. Never throws (the sweep picks up what is lost). */
export async function dispatchWebhookDeliveries(jobs: JobProducer, deliveryIds: readonly string[], requestId?: string): Promise<void> {
  if (deliveryIds.length === 0) return;
  await jobs.enqueueSafely('deliver-webhook', deliveryIds.map((deliveryId) => ({ deliveryId, requestId })));
}

export { pendingDeliveriesPage as pendingWebhookDeliveriesPage };
