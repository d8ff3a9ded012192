/**
 * The JSON API at /api/v1. A request is authenticated (from its header alone) before its body
 * is read, then the body is parsed (100 kB at most; too-deep or too-big JSON is refused before parsing) and
 * its shape checked, then one router per
 * resource. Errors are JSON (middleware/errors.ts).
 */
import express, { Router } from 'express';
import { checkRequestBody, refuseMisshapenJson } from '../middleware/body-shape.js';
import { TokenVerifier } from '../services/auth.service.js';
import type { ServiceDeps } from '../services/deps.js';
import { apiHeaders } from './middleware/api-headers.js';
import { authenticate } from './middleware/auth.js';
import { agenciesRouter } from './routes/agencies.routes.js';
import { auditRouter } from './routes/audit.routes.js';
import { capacityRouter } from './routes/capacity.routes.js';
import { followUpsRouter } from './routes/follow-ups.routes.js';
import { organisationsRouter } from './routes/organisations.routes.js';
import { outcomesRouter } from './routes/outcomes.routes.js';
import { peopleRouter } from './routes/people.routes.js';
import { questionnairesRouter } from './routes/questionnaires.routes.js';
import { referralsRouter } from './routes/referrals.routes.js';
import { reportsRouter } from './routes/reports.routes.js';
import { slaRouter } from './routes/sla.routes.js';
import { submissionsRouter } from './routes/submissions.routes.js';

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

export { healthRouter } from './routes/health.routes.js';
export { errorHandler, notFoundHandler } from './middleware/errors.js';
