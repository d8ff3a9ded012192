/**
 * The JSON API at /api/v1. A request is authenticated (from its header alone) before its body
 * is read, then the body is parsed (100 kB at most; too-deep or too-big JSON is refused before parsing) and
 * its shape checked, then one router per
 * resource. Errors are JSON (src/platform/http/errors.ts).
 *
 * Its contract: `apiRoutes` lists every route's description (each module's api.schemas.ts), and
 * GET /api/v1/openapi.json (no sign-in) serves the OpenAPI 3.1 document made from them. A module
 * that adds routers here adds its routes to `apiRoutes` too; test/openapi.test.ts names any
 * route Express serves that the document lacks, and the reverse.
 */
import express, { Router } from 'express';
import { checkRequestBody, refuseMisshapenJson } from './platform/http/body-shape.js';
import type { ServiceDeps } from './platform/deps.js';
import { openApiDocument, openApiRoute, type ApiRoute } from './platform/http/openapi.js';
import { apiHeaders } from './platform/http/api-headers.js';
import { TokenVerifier, authenticate } from './modules/accounts/index.js';
import { agenciesApiRouter, directoryApiRoutes, organisationsApiRouter, outcomesApiRouter } from './modules/directory/index.js';
import { auditApiRouter, auditApiRoutes } from './modules/audit/index.js';
import { capacityApiRouter, capacityApiRoutes } from './modules/capacity/index.js';
import { followUpApiRoutes, followUpsApiRouter } from './modules/follow-up/index.js';
import { peopleApiRouter, peopleApiRoutes } from './modules/people/index.js';
import { questionnairesApiRouter, questionnairesApiRoutes } from './modules/questionnaires/index.js';
import { referralsApiRouter, referralsApiRoutes } from './modules/referrals/index.js';
import { reportsApiRouter, reportsApiRoutes } from './modules/reports/index.js';
import { slaApiRouter, slaApiRoutes } from './modules/sla/index.js';
import { intakeApiRoutes, submissionsApiRouter } from './modules/intake/index.js';
import { webhooksApiRouter, webhooksApiRoutes } from './modules/webhooks/index.js';

/** Every /api/v1 route's description, module by module, in the order the routers are mounted. */
export const apiRoutes: readonly ApiRoute[] = [
  openApiRoute,
  ...questionnairesApiRoutes,
  ...directoryApiRoutes,
  ...capacityApiRoutes,
  ...intakeApiRoutes,
  ...referralsApiRoutes,
  ...slaApiRoutes,
  ...followUpApiRoutes,
  ...peopleApiRoutes,
  ...auditApiRoutes,
  ...reportsApiRoutes,
  ...webhooksApiRoutes,
];

let document: string | undefined;
/** The OpenAPI 3.1 document of the API, as JSON (made once: it depends on the code alone). */
export function openApiJson(): string {
  document ??= JSON.stringify(openApiDocument(apiRoutes, { version: API_VERSION }));
  return document;
}
const API_VERSION = '1.0.0';

export function apiRouter(deps: ServiceDeps): Router {
  const api = Router();
  api.use(apiHeaders);
  // the contract is public: it says what the API is, never what it holds
  api.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openApiJson());
  });
  api.use(authenticate(new TokenVerifier(deps.db, deps.clock, deps.env.AUTH_CACHE_TTL_MS)));
  api.use(express.json({ limit: '100kb', verify: refuseMisshapenJson }));
  api.use(checkRequestBody);
  api.use(questionnairesApiRouter(deps));
  api.use(agenciesApiRouter(deps));
  api.use(capacityApiRouter(deps));
  api.use(outcomesApiRouter(deps));
  api.use(organisationsApiRouter(deps));
  api.use(submissionsApiRouter(deps));
  api.use(referralsApiRouter(deps));
  api.use(slaApiRouter(deps));
  api.use(followUpsApiRouter(deps));
  api.use(peopleApiRouter(deps));
  api.use(auditApiRouter(deps));
  api.use(reportsApiRouter(deps));
  api.use(webhooksApiRouter(deps));
  return api;
}

export { healthRouter } from './platform/health/health.routes.js';
export { errorHandler, notFoundHandler } from './platform/http/errors.js';
