import { Router } from 'express';
import type { ServiceDeps } from '../../platform/deps.js';
import { principalOf, requestIdOf, requireRole } from '../../platform/http/guards.js';
import { uuidParam } from '../../platform/http/params.js';
import { createWebhookEndpointRequest } from './api.schemas.js';
import {
  listWebhookDeliveries,
  listWebhookEndpoints,
  registerWebhookEndpoint,
  removeWebhookEndpoint,
  retryWebhookDelivery,
  rotateWebhookSecret,
  type WebhookServiceDeps,
} from './webhook-endpoint.service.js';

/**
 * Webhook endpoints (docs/webhooks.md, docs/api.md#webhooks): an agency's users manage their
 * agency's, admins the hub's. Requests and replies are the shapes of api.schemas.ts.
 */
export function webhooksApiRouter(deps: ServiceDeps & Pick<WebhookServiceDeps, 'resolveHost'>): Router {
  const r = Router();
  const who = requireRole('agency', 'admin');

  r.post('/webhook-endpoints', who, async (req, res) => {
    const body = createWebhookEndpointRequest.parse(req.body);
    res.status(201).json(await registerWebhookEndpoint(deps, principalOf(res), body, requestIdOf(req)));
  });

  r.get('/webhook-endpoints', who, async (_req, res) => {
    res.json(await listWebhookEndpoints(deps, principalOf(res)));
  });

  r.delete('/webhook-endpoints/:id', who, async (req, res) => {
    await removeWebhookEndpoint(deps, principalOf(res), uuidParam(req.params.id), requestIdOf(req));
    res.status(204).end();
  });

  r.post('/webhook-endpoints/:id/rotate-secret', who, async (req, res) => {
    res.json(await rotateWebhookSecret(deps, principalOf(res), uuidParam(req.params.id), requestIdOf(req)));
  });

  r.get('/webhook-endpoints/:id/deliveries', who, async (req, res) => {
    res.json(await listWebhookDeliveries(deps, principalOf(res), uuidParam(req.params.id)));
  });

  r.post('/webhook-endpoints/:id/deliveries/:deliveryId/retry', who, async (req, res) => {
    const id = uuidParam(req.params.id);
    const deliveryId = uuidParam(req.params.deliveryId, 'deliveryId');
    res.status(202).json(await retryWebhookDelivery(deps, principalOf(res), id, deliveryId, requestIdOf(req)));
  });

  return r;
}
