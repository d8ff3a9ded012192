/**
 * The hub's webhook pages (admins): every endpoint with its state, and one endpoint's delivery
 * log with "Send again" on each delivery. Registering an endpoint is the API's (the secret is
 * shown once, to the system that will use it).
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ServiceDeps } from '../../../platform/deps.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { getWebhookEndpoint, listWebhookDeliveries, listWebhookEndpoints, retryWebhookDelivery } from '../webhook-endpoint.service.js';

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));
const uuid = z.uuid();

export function webhooksRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub/webhooks', requireUser('admin'));

  r.get('/hub/webhooks', async (_req, res) => {
    const { data } = await listWebhookEndpoints(deps, principalFromSession(res));
    page(res, 'hub-webhooks.njk', { title: 'Webhooks', section: 'webhooks', endpoints: data });
  });

  r.get('/hub/webhooks/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const principal = principalFromSession(res);
    const endpoint = await getWebhookEndpoint(deps, principal, id.data);
    const { data } = await listWebhookDeliveries(deps, principal, id.data);
    page(res, 'hub-webhook.njk', { title: `Webhook deliveries: ${new URL(endpoint.url).host}`, section: 'webhooks', endpoint, deliveries: data, done: req.query.done === 'resent' });
  });

  r.post('/hub/webhooks/:id/deliveries/:deliveryId/retry', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    const deliveryId = uuid.safeParse(req.params.deliveryId);
    if (!id.success || !deliveryId.success) return next();
    await retryWebhookDelivery(deps, principalFromSession(res), id.data, deliveryId.data, rid(req));
    res.redirect(303, `/hub/webhooks/${id.data}?done=resent`);
  });

  return r;
}
