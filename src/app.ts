/**
 * The composition root: the one place that builds the Express app and mounts its parts, the
 * health probes, the JSON API (api.ts), the public directory feed (/oruk) and the web pages (pages.ts), which never import each
 * other. Request ids and logging come first; the JSON error handler last.
 */
import express, { type Express } from 'express';
import { apiRouter, errorHandler, healthRouter, notFoundHandler } from './api.js';
import { apiDocsRouter } from './platform/http/api-docs.js';
import { requestLogger } from './platform/http/request-log.js';
import { httpMetrics } from './platform/metrics/http-metrics.js';
import { serveMetrics } from './platform/metrics/endpoint.js';
import type { ServiceDeps } from './platform/deps.js';
import { webRouter } from './pages.js';
import { orukRouter } from './modules/oruk/index.js';
import { fhirRouter } from './modules/fhir/index.js';

export function createApp(deps: ServiceDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // who may name the client's address (X-Forwarded-For): TRUST_PROXY, none by default, so that
  // req.ip (which the self-referral limits count) is the connection's own unless a proxy is set
  app.set('trust proxy', deps.env.TRUST_PROXY);
  app.use(requestLogger(deps.logger));
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.use(httpMetrics(metrics, (path) => path === '/metrics'));
    // Prometheus's scrape (METRICS_TOKEN; 404 when it is not set): platform/metrics/endpoint.ts
    app.get('/metrics', (req, res) => serveMetrics(req, res, metrics, deps.env.METRICS_TOKEN));
  }
  app.use(healthRouter(deps));
  // the API's reference page (Swagger UI over /api/v1/openapi.json), its assets served here
  app.use('/api/docs', apiDocsRouter({ production: deps.env.NODE_ENV === 'production' }));
  app.use('/api/v1', apiRouter(deps));
  // the public Open Referral UK feed of the partner agencies (docs/oruk.md), outside /api/v1
  app.use('/oruk', orukRouter(deps));
  // the FHIR R4 face of the same services (docs/fhir.md): its own errors, as OperationOutcomes
  app.use('/fhir', fhirRouter(deps));
  app.use(webRouter(deps));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
