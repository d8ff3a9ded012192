/**
 * The webhook routes' request and reply shapes (docs/api.md#webhooks), in zod, so that the
 * OpenAPI document can take them as they are: the routes parse requests with these, and the
 * services' replies are built to these (webhook-endpoint.service.ts).
 */
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './webhook-events.js';
import { errorOf, notFoundReply, uuid, type ApiRoute } from '../../platform/http/openapi.js';

export const webhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);

/** POST /webhook-endpoints */
export const createWebhookEndpointRequest = z.strictObject({
  url: z.string().trim().min(8).max(2000),
  events: z.array(webhookEventTypeSchema).min(1).max(WEBHOOK_EVENT_TYPES.length).refine((e) => new Set(e).size === e.length, 'must not repeat an event'),
});
export type CreateWebhookEndpointRequest = z.infer<typeof createWebhookEndpointRequest>;

export const webhookDeliverySchema = z.object({
  id: z.uuid(),
  endpointId: z.uuid(),
  type: webhookEventTypeSchema,
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int().min(0),
  createdAt: z.iso.datetime(),
  lastAttemptAt: z.iso.datetime().nullable(),
  nextAttemptAt: z.iso.datetime().nullable().describe('when the next attempt is due (pending deliveries only)'),
  lastStatus: z.number().int().nullable().describe("the receiver's last HTTP status"),
  lastError: z.string().nullable(),
  deliveredAt: z.iso.datetime().nullable(),
  payload: z.object({ type: webhookEventTypeSchema, timestamp: z.iso.datetime(), data: z.record(z.string(), z.unknown()) }),
});

export const webhookEndpointSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(webhookEventTypeSchema),
  agencyId: z.uuid().nullable().describe("null: the hub's own endpoint, which hears about every agency"),
  status: z.enum(['active', 'disabled']),
  disabledReason: z.string().nullable(),
  failingSince: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  previousSecretUntil: z.iso.datetime().nullable().describe('after a rotation: deliveries carry both signatures until then'),
});

/** 201 of POST /webhook-endpoints and 200 of POST /webhook-endpoints/:id/rotate-secret: the secret, shown this once. */
export const webhookEndpointWithSecretReply = webhookEndpointSchema.extend({ secret: z.string().startsWith('whsec_') });

/** GET /webhook-endpoints */
export const webhookEndpointListReply = z.object({
  data: z.array(webhookEndpointSchema.extend({ lastDeliveries: z.array(webhookDeliverySchema) })),
});

/** GET /webhook-endpoints/:id/deliveries */
export const webhookDeliveryListReply = z.object({ data: z.array(webhookDeliverySchema) });

/** POST /webhook-endpoints/:id/deliveries/:deliveryId/retry (202) */
export const webhookDeliveryReply = webhookDeliverySchema;

export type WebhookEndpointView = z.infer<typeof webhookEndpointSchema>;
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

const endpointParams = z.object({ id: uuid() });
const notFoundEndpoint = notFoundReply('webhook endpoint');

/** The webhook routes' contract (src/platform/http/openapi.ts): an agency's users and admins. */
export const webhooksApiRoutes: ApiRoute[] = [
  {
    method: 'post',
    path: '/webhook-endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Register an endpoint for signed webhooks (the secret is shown this once)',
    description: 'An agency user registers its own agency’s endpoints, an admin the hub’s. The URL must be https in production and must not resolve to a private, loopback or link-local address (docs/webhooks.md).',
    tag: 'Webhooks',
    roles: ['agency', 'admin'],
    body: createWebhookEndpointRequest,
    bodyExample: { url: 'https://crm.example.org/signpost/webhooks', events: ['referral.forwarded', 'referral.status_changed'] },
    replies: { 201: { description: 'The endpoint, with its secret (`whsec_…`), shown this once.', schema: webhookEndpointWithSecretReply } },
  },
  {
    method: 'get',
    path: '/webhook-endpoints',
    operationId: 'listWebhookEndpoints',
    summary: 'The caller’s endpoints (an agency’s own; every one for an admin), each with its last deliveries',
    tag: 'Webhooks',
    roles: ['agency', 'admin'],
    replies: { 200: { description: 'The endpoints.', schema: webhookEndpointListReply } },
  },
  {
    method: 'delete',
    path: '/webhook-endpoints/:id',
    operationId: 'deleteWebhookEndpoint',
    summary: 'Remove an endpoint: nothing more is sent to it',
    tag: 'Webhooks',
    roles: ['agency', 'admin'],
    params: endpointParams,
    replies: { 204: { description: 'Removed.' }, 404: notFoundEndpoint },
  },
  {
    method: 'post',
    path: '/webhook-endpoints/:id/rotate-secret',
    operationId: 'rotateWebhookSecret',
    summary: 'A new secret (shown this once); for a day, deliveries carry a signature by each',
    tag: 'Webhooks',
    roles: ['agency', 'admin'],
    params: endpointParams,
    replies: { 200: { description: 'The endpoint with its new secret.', schema: webhookEndpointWithSecretReply }, 404: notFoundEndpoint },
  },
  {
    method: 'get',
    path: '/webhook-endpoints/:id/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: 'The endpoint’s delivery log, newest first',
    tag: 'Webhooks',
    roles: ['agency', 'admin'],
    params: endpointParams,
    replies: { 200: { description: 'The deliveries.', schema: webhookDeliveryListReply }, 404: notFoundEndpoint },
  },
  {
    method: 'post',
    path: '/webhook-endpoints/:id/deliveries/:deliveryId/retry',
    operationId: 'retryWebhookDelivery',
    summary: 'Send a delivery again, now',
    tag: 'Webhooks',
    roles: ['agency', 'admin'],
    params: z.object({ id: uuid(), deliveryId: uuid() }),
    replies: {
      202: { description: 'The delivery, queued to be sent again.', schema: webhookDeliveryReply },
      404: errorOf('No webhook endpoint or delivery has this id, or it is not the caller’s to see (which looks exactly the same).'),
      409: errorOf('`endpoint_disabled`: the endpoint is disabled; register it again to receive events.'),
    },
  },
];
