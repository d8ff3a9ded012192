/**
 * The JSON API at /api/v1. A request is authenticated (from its header alone) before its body
 * is read, then the body is parsed (100 kB at most; too-deep or too-big JSON is refused before parsing) and
 * its shape checked, then one router per
 * resource. Errors are JSON (src/platform/http/errors.ts).
 */
import express, { Router } from 'express';
import { checkRequestBody, refuseMisshapenJson } from './platform/http/body-shape.js';
import type { ServiceDeps } from './platform/deps.js';
import { apiHeaders } from './platform/http/api-headers.js';
import { TokenVerifier, authenticate } from './modules/accounts/index.js';
import { agenciesApiRouter, organisationsApiRouter, outcomesApiRouter } from './modules/directory/index.js';
import { auditApiRouter } from './modules/audit/index.js';
import { capacityApiRouter } from './modules/capacity/index.js';
import { followUpsApiRouter } from './modules/follow-up/index.js';
import { peopleApiRouter } from './modules/people/index.js';
import { questionnairesApiRouter } from './modules/questionnaires/index.js';
import { referralsApiRouter } from './modules/referrals/index.js';
import { reportsApiRouter } from './modules/reports/index.js';
import { slaApiRouter } from './modules/sla/index.js';
import { submissionsApiRouter } from './modules/intake/index.js';
import { webhooksApiRouter } from './modules/webhooks/index.js';

export function apiRouter(deps: ServiceDeps): Router {
  const api = Router();
  api.use(apiHeaders);
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
