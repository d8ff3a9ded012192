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
import { agenciesRouter } from './modules/directory/api/agencies.api.js';
import { auditRouter } from './modules/audit/api.js';
import { capacityRouter } from './modules/capacity/api.js';
import { followUpsRouter } from './modules/follow-up/api.js';
import { organisationsRouter } from './modules/directory/api/organisations.api.js';
import { outcomesRouter } from './modules/directory/api/outcomes.api.js';
import { peopleRouter } from './modules/people/api.js';
import { questionnairesRouter } from './modules/questionnaires/api.js';
import { referralsRouter } from './modules/referrals/api.js';
import { reportsRouter } from './modules/reports/api.js';
import { slaRouter } from './modules/sla/api.js';
import { submissionsRouter } from './modules/intake/api.js';

export function apiRouter(deps: ServiceDeps): Router {
  const api = Router();
  api.use(apiHeaders);
  api.use(authenticate(new TokenVerifier(deps.db, deps.clock, deps.env.AUTH_CACHE_TTL_MS)));
  api.use(express.json({ limit: '100kb', verify: refuseMisshapenJson }));
  api.use(checkRequestBody);
  api.use(questionnairesRouter(deps));
  api.use(agenciesRouter(deps));
  api.use(capacityRouter(deps));
  api.use(outcomesRouter(deps));
  api.use(organisationsRouter(deps));
  api.use(submissionsRouter(deps));
  api.use(referralsRouter(deps));
  api.use(slaRouter(deps));
  api.use(followUpsRouter(deps));
  api.use(peopleRouter(deps));
  api.use(auditRouter(deps));
  api.use(reportsRouter(deps));
  return api;
}

export { healthRouter } from './platform/health/health.routes.js';
export { errorHandler, notFoundHandler } from './platform/http/errors.js';
