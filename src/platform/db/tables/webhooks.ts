/** Row types for the webhook tables (migrations/2026_12_08_1000_webhooks.ts), camelCased. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export type WebhookEndpointStatus = 'active' | 'disabled';
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** An endpoint that asked for events: an agency's (agencyId) or the hub's (null). */
export interface WebhookEndpointsTable {
  id: string;
  agencyId: string | null;
  url: string;
  events: string[];
  /** AES-256-GCM, under a key derived from WEBHOOK_KEY (or MFA_KEY) */
  secretSealed: Buffer;
  previousSecretSealed: Buffer | null;
  previousSecretUntil: Timestamp | null;
  status: Generated<WebhookEndpointStatus>;
  disabledReason: string | null;
  disabledAt: Timestamp | null;
  failingSince: Timestamp | null;
  createdBy: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

/** The outbox: one event for one endpoint, with its thin payload and its attempts. */
export interface WebhookDeliveriesTable {
  id: string;
  endpointId: string;
  eventType: string;
  payload: ColumnType<unknown, string, string>;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  nextAttemptAt: Timestamp;
  lastAttemptAt: Timestamp | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Timestamp;
  deliveredAt: Timestamp | null;
}

export interface WebhookTables {
  webhookEndpoints: WebhookEndpointsTable;
  webhookDeliveries: WebhookDeliveriesTable;
}
