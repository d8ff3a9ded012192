/**
 * The webhook routes' request and reply shapes (docs/api.md#webhooks), in zod, so that the
 * OpenAPI document can take them as they are: the routes parse requests with these, and the
 * services' replies are built to these (webhook-endpoint.service.ts).
 */
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './webhook-events.js';

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
