/** The webhook tables: webhook_endpoints and webhook_deliveries (the outbox), written here only. */
import { sql } from 'kysely';
import type { Executor, WebhookDelivery, WebhookEndpoint } from '../../platform/db/database.js';
import type { WebhookEvent } from './webhook-events.js';
import { webhookPayload } from './webhook-events.js';

export type EndpointRow = WebhookEndpoint;

export async function insertEndpoint(db: Executor, row: { id: string; agencyId: string | null; url: string; events: string[]; secretSealed: Buffer; createdBy: string; at: Date }): Promise<EndpointRow> {
  return db
    .insertInto('webhookEndpoints')
    .values({ id: row.id, agencyId: row.agencyId, url: row.url, events: row.events, secretSealed: row.secretSealed, createdBy: row.createdBy, createdAt: row.at, updatedAt: row.at })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findEndpoint(db: Executor, id: string): Promise<EndpointRow | undefined> {
  return db.selectFrom('webhookEndpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every endpoint (agencyId undefined), the hub's (null), or one agency's. */
export async function listEndpoints(db: Executor, agencyId: string | null | undefined): Promise<EndpointRow[]> {
  let q = db.selectFrom('webhookEndpoints').selectAll();
  if (agencyId === null) q = q.where('agencyId', 'is', null);
  else if (agencyId !== undefined) q = q.where('agencyId', '=', agencyId);
  return q.orderBy('createdAt').orderBy('id').execute();
}

export async function deleteEndpoint(db: Executor, id: string): Promise<boolean> {
  const res = await db.deleteFrom('webhookEndpoints').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}

/** A new secret; the old one still signs (beside it) until `previousUntil`. */
export async function rotateEndpointSecret(db: Executor, id: string, sealed: Buffer, previousSealed: Buffer, previousUntil: Date, at: Date): Promise<void> {
  await db
    .updateTable('webhookEndpoints')
    .set({ secretSealed: sealed, previousSecretSealed: previousSealed, previousSecretUntil: previousUntil, updatedAt: at })
    .where('id', '=', id)
    .execute();
}

/** Disables an active endpoint; false when it was not active. Its pending deliveries fail with it. */
export async function disableEndpoint(db: Executor, id: string, reason: string, at: Date): Promise<boolean> {
  const res = await db
    .updateTable('webhookEndpoints')
    .set({ status: 'disabled', disabledReason: reason.slice(0, 300), disabledAt: at, updatedAt: at })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return false;
  await db
    .updateTable('webhookDeliveries')
    .set({ status: 'failed', lastError: 'the endpoint was disabled' })
    .where('endpointId', '=', id)
    .where('status', '=', 'pending')
    .execute();
  return true;
}

/** A delivered attempt ends the endpoint's run of failures. */
export async function clearEndpointFailing(db: Executor, id: string): Promise<void> {
  await db.updateTable('webhookEndpoints').set({ failingSince: null }).where('id', '=', id).where('failingSince', 'is not', null).execute();
}

/** A failed attempt: when the endpoint's run of failures began (now, if this is its first). */
export async function markEndpointFailing(db: Executor, id: string, at: Date): Promise<Date> {
  const row = await db
    .updateTable('webhookEndpoints')
    .set({ failingSince: sql<Date>`COALESCE(failing_since, ${at}::timestamptz)` })
    .where('id', '=', id)
    .returning('failingSince')
    .executeTakeFirstOrThrow();
  return row.failingSince ?? at;
}

/**
 * The outbox: one pending delivery per event and active endpoint that asked for its type and
 * may hear it (the hub's endpoints, and the event's agency's own), in the caller's transaction.
 * One statement for the whole list, however many events and endpoints (the SLA sweep records a
 * batch of breaches at once); the ids are made by Postgres for that reason. Returns the new
 * deliveries' ids, to enqueue after commit.
 */
export async function insertDeliveriesForEvents(db: Executor, events: readonly WebhookEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const rows = events.map((e) => ({ type: e.type, agency_id: e.agencyId, at: e.at.toISOString(), payload: webhookPayload(e) }));
  const { rows: inserted } = await sql<{ id: string }>`
    INSERT INTO webhook_deliveries (id, endpoint_id, event_type, payload, next_attempt_at, created_at)
    SELECT gen_random_uuid(), w.id, e.type, e.payload, e.at, e.at
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS e(type text, agency_id uuid, at timestamptz, payload jsonb)
    JOIN webhook_endpoints w ON w.status = 'active' AND e.type = ANY (w.events) AND (w.agency_id IS NULL OR w.agency_id = e.agency_id)
    RETURNING id`.execute(db);
  return inserted.map((r) => r.id);
}

export type DeliveryWithEndpoint = WebhookDelivery & Pick<EndpointRow, 'url' | 'agencyId' | 'secretSealed' | 'previousSecretSealed' | 'previousSecretUntil'> & { endpointStatus: EndpointRow['status'] };

export async function findDeliveryWithEndpoint(db: Executor, id: string): Promise<DeliveryWithEndpoint | undefined> {
  return db
    .selectFrom('webhookDeliveries as d')
    .innerJoin('webhookEndpoints as w', 'w.id', 'd.endpointId')
    .selectAll('d')
    .select(['w.url', 'w.agencyId', 'w.secretSealed', 'w.previousSecretSealed', 'w.previousSecretUntil', 'w.status as endpointStatus'])
    .where('d.id', '=', id)
    .executeTakeFirst();
}

export async function findDelivery(db: Executor, id: string): Promise<WebhookDelivery | undefined> {
  return db.selectFrom('webhookDeliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** One attempt's result, on a delivery still pending (a delivery sent meanwhile by another run is left as it is). */
export async function recordAttempt(
  db: Executor,
  id: string,
  r: { at: Date; status: 'pending' | 'delivered' | 'failed'; httpStatus: number | null; error: string | null; nextAttemptAt?: Date },
): Promise<boolean> {
  const res = await db
    .updateTable('webhookDeliveries')
    .set({
      status: r.status,
      attempts: sql<number>`attempts + 1`,
      lastAttemptAt: r.at,
      lastStatus: r.httpStatus,
      lastError: r.error === null ? null : r.error.slice(0, 500),
      ...(r.status === 'delivered' ? { deliveredAt: r.at } : {}),
      ...(r.nextAttemptAt ? { nextAttemptAt: r.nextAttemptAt } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** "Send again": the delivery is pending once more, due now, its retry schedule started afresh. */
export async function resetDeliveryForRetry(db: Executor, id: string, at: Date): Promise<void> {
  await db.updateTable('webhookDeliveries').set({ status: 'pending', nextAttemptAt: at, attempts: 0 }).where('id', '=', id).execute();
}

/** What a referral event names: its reference, status and agency (no personal data). */
export async function referralFacts(db: Executor, ids: string[]): Promise<{ id: string; reference: string; status: string; agencyId: string; forwardedAt: Date | null }[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('referrals').select(['id', 'reference', 'status', 'agencyId', 'forwardedAt']).where('id', 'in', ids).execute();
}

/** An endpoint's delivery log, newest first. */
export async function listDeliveries(db: Executor, endpointId: string, limit: number): Promise<WebhookDelivery[]> {
  return db.selectFrom('webhookDeliveries').selectAll().where('endpointId', '=', endpointId).orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** The last few deliveries of each endpoint (the list's summary). */
export async function lastDeliveriesOf(db: Executor, endpointIds: string[], each: number): Promise<WebhookDelivery[]> {
  if (endpointIds.length === 0) return [];
  const { rows } = await sql<WebhookDelivery>`
    SELECT d.id, d.endpoint_id AS "endpointId", d.event_type AS "eventType", d.payload, d.status, d.attempts,
           d.next_attempt_at AS "nextAttemptAt", d.last_attempt_at AS "lastAttemptAt", d.last_status AS "lastStatus",
           d.last_error AS "lastError", d.created_at AS "createdAt", d.delivered_at AS "deliveredAt"
    FROM unnest(${endpointIds}::uuid[]) AS e(id)
    CROSS JOIN LATERAL (
      SELECT * FROM webhook_deliveries x WHERE x.endpoint_id = e.id ORDER BY x.created_at DESC, x.id DESC LIMIT ${each}
    ) d`.execute(db);
  return rows;
}

/** Deliveries still to be sent, by when (the reconciliation sweep's keyset, through webhook_deliveries_pending_idx). */
export async function pendingDeliveriesPage(db: Executor, page: { after?: { at: Date; id: string } | undefined; limit: number }): Promise<{ id: string; at: Date }[]> {
  let q = db.selectFrom('webhookDeliveries as d').select(['d.id', 'd.nextAttemptAt as at']).where('d.status', '=', 'pending');
  if (page.after) q = q.where(sql<boolean>`(d.next_attempt_at, d.id) > (${page.after.at}, ${page.after.id})`);
  return q.orderBy('d.nextAttemptAt').orderBy('d.id').limit(page.limit).execute();
}
