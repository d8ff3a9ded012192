/**
 * The JSON API at /api/v1. A request is authenticated (from its header alone) before its body
 * is read, then the body is parsed (100 kB at most; too-deep or too-big JSON is refused before parsing) and
 * its shape checked, then one router per
 * resource. Errors are JSON (middleware/errors.ts).
 */
import express, { Router } from 'express';
import { checkRequestBody, refuseMisshapenJson } from './platform/http/body-shape.js';
import { TokenVerifier } from './modules/accounts/auth.service.js';
import type { ServiceDeps } from './platform/deps.js';
import { apiHeaders } from './platform/http/api-headers.js';
import { authenticate } from './modules/accounts/api-auth.js';
import { agenciesApiRouter } from './modules/directory/api/agencies.api.js';
import { auditApiRouter } from './modules/audit/api.js';
import { capacityApiRouter } from './modules/capacity/api.js';
import { followUpsApiRouter } from './modules/follow-up/api.js';
import { organisationsApiRouter } from './modules/directory/api/organisations.api.js';
import { outcomesApiRouter } from './modules/directory/api/outcomes.api.js';
import { peopleApiRouter } from './modules/people/api.js';
import { questionnairesApiRouter } from './modules/questionnaires/api.js';
import { referralsApiRouter } from './modules/referrals/api.js';
import { reportsApiRouter } from './modules/reports/api.js';
import { slaApiRouter } from './modules/sla/api.js';
import { submissionsApiRouter } from './modules/intake/api.js';

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
  return api;
}

export { healthRouter } from './platform/health/health.routes.js';
export { errorHandler, notFoundHandler } from './platform/http/errors.js';
