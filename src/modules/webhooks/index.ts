/** The webhooks module's public surface: what other modules and the composition roots may use. */
export { webhooksApiRouter } from './api.js';
export { webhooksApiRoutes } from './api.schemas.js';
export { createWebhookWorker } from './deliver-webhook.worker.js';
export { webhooksRouter } from './pages/webhooks.routes.js';
export { WEBHOOK_EVENT_TYPES, type WebhookEvent, type WebhookEventType } from './webhook-events.js';
export { dispatchWebhookDeliveries, pendingWebhookDeliveriesPage, recordBreachEvents, recordWebhookEvent } from './webhook-outbox.service.js';
