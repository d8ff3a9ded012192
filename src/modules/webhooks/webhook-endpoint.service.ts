/**
 * Registering, listing, rotating and removing webhook endpoints, and an endpoint's delivery log
 * (docs/webhooks.md). An agency's users manage their own agency's endpoints; an admin manages
 * the hub's (which hear about every agency) and sees every endpoint. Another agency's endpoint is
 * "not found". Each act is audited. A secret is shown once, when made, and kept sealed.
 */
import type { WebhookDelivery } from '../../platform/db/database.js';
import type { ServiceDeps } from '../../platform/deps.js';
import type { Principal } from '../../kernel/principal.js';
import { badRequest, conflict, forbidden, notFound } from '../../kernel/errors.js';
import { recordAudit } from '../audit/index.js';
import type { CreateWebhookEndpointRequest, WebhookDeliveryView, WebhookEndpointView } from './api.schemas.js';
import { AGENCY_EVENT_TYPES, type WebhookEventType } from './webhook-events.js';
import { assertSafeUrl, systemResolver, UnsafeAddressError, type Resolver } from './webhook-address.js';
import { newWebhookSecret, openWebhookSecret, sealingKey, sealWebhookSecret } from './webhook-secret.js';
import {
  deleteEndpoint,
  findDelivery,
  findEndpoint,
  insertEndpoint,
  lastDeliveriesOf,
  listDeliveries,
  listEndpoints,
  resetDeliveryForRetry,
  rotateEndpointSecret,
  type EndpointRow,
} from './webhook.repository.js';

/** After a rotation, deliveries carry the old signature beside the new one for this long. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;
const LOG_LENGTH = 100;
const LAST_DELIVERIES = 5;

export type WebhookServiceDeps = ServiceDeps & { resolveHost?: Resolver };

/** Who may touch this endpoint: an admin any; an agency user its own agency's. */
function canManage(p: Principal, e: Pick<EndpointRow, 'agencyId'>): boolean {
  if (p.role === 'admin') return true;
  return p.role === 'agency' && p.agencyId !== null && e.agencyId === p.agencyId;
}

function requireManager(p: Principal): void {
  if (p.role !== 'admin' && !(p.role === 'agency' && p.agencyId)) throw forbidden('webhook endpoints are managed by an agency’s users (their own) and by admins (the hub’s)');
}

async function endpointFor(deps: Pick<ServiceDeps, 'db'>, p: Principal, id: string): Promise<EndpointRow> {
  requireManager(p);
  const e = await findEndpoint(deps.db, id);
  if (!e || !canManage(p, e)) throw notFound('webhook endpoint');
  return e;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function endpointView(e: EndpointRow): WebhookEndpointView {
  return {
    id: e.id,
    url: e.url,
    events: e.events as WebhookEventType[],
    agencyId: e.agencyId,
    status: e.status,
    disabledReason: e.disabledReason,
    failingSince: iso(e.failingSince),
    createdAt: e.createdAt.toISOString(),
    previousSecretUntil: iso(e.previousSecretUntil),
  };
}

export function deliveryView(d: WebhookDelivery): WebhookDeliveryView {
  return {
    id: d.id,
    endpointId: d.endpointId,
    type: d.eventType as WebhookEventType,
    status: d.status,
    attempts: d.attempts,
    createdAt: d.createdAt.toISOString(),
    lastAttemptAt: iso(d.lastAttemptAt),
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    deliveredAt: iso(d.deliveredAt),
    payload: d.payload as WebhookDeliveryView['payload'],
  };
}

/** The address rules of the settings: https in production, private ranges only when allowed. */
export function addressPolicy(deps: Pick<WebhookServiceDeps, 'env' | 'resolveHost'>) {
  return { allowPrivate: deps.env.WEBHOOK_ALLOW_PRIVATE, httpsOnly: deps.env.NODE_ENV === 'production', resolve: deps.resolveHost ?? systemResolver };
}

export async function registerWebhookEndpoint(deps: WebhookServiceDeps, p: Principal, input: CreateWebhookEndpointRequest, requestId?: string) {
  requireManager(p);
  const agencyId = p.role === 'admin' ? null : p.agencyId!;
  if (agencyId !== null) {
    const notAllowed = input.events.filter((e) => !AGENCY_EVENT_TYPES.includes(e));
    if (notAllowed.length) throw badRequest('invalid webhook endpoint', [{ path: 'events', message: `an agency cannot ask for ${notAllowed.join(', ')} (the hub's own events)` }]);
  }
  try {
    await assertSafeUrl(input.url, addressPolicy(deps));
  } catch (err) {
    if (err instanceof UnsafeAddressError) throw badRequest('invalid webhook endpoint', [{ path: 'url', message: err.message }]);
    throw err;
  }
  const id = deps.ids.uuid();
  const secret = newWebhookSecret();
  const now = deps.clock.now();
  const row = await deps.db.transaction().execute(async (trx) => {
    const e = await insertEndpoint(trx, { id, agencyId, url: input.url, events: input.events, secretSealed: sealWebhookSecret(sealingKey(deps.env), id, secret), createdBy: p.userId, at: now });
    await recordAudit(trx, { principal: p, action: 'webhook.register', entity: 'webhook_endpoint', entityId: id, requestId, at: now });
    return e;
  });
  return { ...endpointView(row), secret };
}

export async function listWebhookEndpoints(deps: Pick<ServiceDeps, 'db'>, p: Principal) {
  requireManager(p);
  const rows = await listEndpoints(deps.db, p.role === 'admin' ? undefined : p.agencyId);
  const last = await lastDeliveriesOf(deps.db, rows.map((r) => r.id), LAST_DELIVERIES);
  return {
    data: rows.map((r) => ({ ...endpointView(r), lastDeliveries: last.filter((d) => d.endpointId === r.id).map(deliveryView) })),
  };
}

export async function getWebhookEndpoint(deps: Pick<ServiceDeps, 'db'>, p: Principal, id: string) {
  return endpointView(await endpointFor(deps, p, id));
}

export async function removeWebhookEndpoint(deps: ServiceDeps, p: Principal, id: string, requestId?: string): Promise<void> {
  await endpointFor(deps, p, id);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await deleteEndpoint(trx, id))) throw notFound('webhook endpoint');
    await recordAudit(trx, { principal: p, action: 'webhook.remove', entity: 'webhook_endpoint', entityId: id, requestId, at: now });
  });
}

/** A new secret, shown once; the old one keeps signing beside it for a day, so the receiver can switch without losing a delivery. */
export async function rotateWebhookSecret(deps: ServiceDeps, p: Principal, id: string, requestId?: string) {
  const e = await endpointFor(deps, p, id);
  const key = sealingKey(deps.env);
  const secret = newWebhookSecret();
  const now = deps.clock.now();
  const until = new Date(now.getTime() + ROTATION_OVERLAP_MS);
  const previous = sealWebhookSecret(key, id, openWebhookSecret(key, id, e.secretSealed));
  await deps.db.transaction().execute(async (trx) => {
    await rotateEndpointSecret(trx, id, sealWebhookSecret(key, id, secret), previous, until, now);
    await recordAudit(trx, { principal: p, action: 'webhook.rotate_secret', entity: 'webhook_endpoint', entityId: id, requestId, at: now });
  });
  return { ...endpointView({ ...e, previousSecretUntil: until, updatedAt: now }), secret };
}

export async function listWebhookDeliveries(deps: Pick<ServiceDeps, 'db'>, p: Principal, endpointId: string) {
  await endpointFor(deps, p, endpointId);
  return { data: (await listDeliveries(deps.db, endpointId, LOG_LENGTH)).map(deliveryView) };
}

/** "Send again": the delivery goes once more, now, whatever became of it. */
export async function retryWebhookDelivery(deps: ServiceDeps, p: Principal, endpointId: string, deliveryId: string, requestId?: string) {
  const e = await endpointFor(deps, p, endpointId);
  const d = await findDelivery(deps.db, deliveryId);
  if (!d || d.endpointId !== endpointId) throw notFound('webhook delivery');
  if (e.status !== 'active') throw conflict('endpoint_disabled', `this endpoint is disabled (${e.disabledReason ?? 'no reason kept'}); register it again to receive events`);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await resetDeliveryForRetry(trx, deliveryId, now);
    await recordAudit(trx, { principal: p, action: 'webhook.resend', entity: 'webhook_endpoint', entityId: endpointId, requestId, at: now });
  });
  await deps.jobs.requeueSafely('deliver-webhook', { deliveryId, requestId });
  return deliveryView((await findDelivery(deps.db, deliveryId))!);
}
