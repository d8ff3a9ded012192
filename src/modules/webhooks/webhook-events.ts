/**
 * The events a webhook endpoint may ask for, and who hears each (docs/webhooks.md#events).
 * Referral events go to the referral's agency's endpoints and to the hub's; a checklist closing
 * is the hub's alone; an agency's capacity goes to the hub's endpoints and to its own.
 */
export const WEBHOOK_EVENT_TYPES = ['referral.forwarded', 'referral.status_changed', 'referral.breached', 'submission.closed', 'capacity.changed'] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Events an agency's own endpoint may ask for (a checklist is not one agency's). */
export const AGENCY_EVENT_TYPES: readonly WebhookEventType[] = ['referral.forwarded', 'referral.status_changed', 'referral.breached', 'capacity.changed'];

/**
 * One change to tell of. `data` is thin: ids, references, statuses and dates, never personal
 * data (the receiver reads the details through the API, where the read is audited).
 */
export interface WebhookEvent {
  type: WebhookEventType;
  at: Date;
  /** the agency the change is about (its endpoints hear it as well as the hub's); null: the hub's only */
  agencyId: string | null;
  data: { id: string; reference?: string; status: string } & Record<string, string | number | boolean | null>;
}

/** The body every delivery carries: `{ type, timestamp, data }`. */
export function webhookPayload(e: WebhookEvent): { type: WebhookEventType; timestamp: string; data: WebhookEvent['data'] } {
  return { type: e.type, timestamp: e.at.toISOString(), data: e.data };
}
