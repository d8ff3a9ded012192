/** The Express app: middleware, the API v1 routers, the web pages, and the error handler last. */
import express, { Router, type Express } from 'express';
import { TokenVerifier } from '../services/auth.service.js';
import type { ServiceDeps } from '../services/deps.js';
import { authenticate } from './middleware/auth.js';
import { errorHandler, notFoundHandler } from './middleware/errors.js';
import { rejectNulBytes } from './middleware/nul-bytes.js';
import { requestLogger } from './middleware/request-log.js';
import { agenciesRouter } from './routes/agencies.routes.js';
import { healthRouter } from './routes/health.routes.js';
import { questionnairesRouter } from './routes/questionnaires.routes.js';
import { referralsRouter } from './routes/referrals.routes.js';
import { slaRouter } from './routes/sla.routes.js';
import { followUpsRouter } from './routes/follow-ups.routes.js';
import { submissionsRouter } from './routes/submissions.routes.js';
import { webRouter } from '../web/index.js';

export function createApp(deps: ServiceDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use(requestLogger(deps.logger));

  app.use(healthRouter(deps));

  const api = Router();
  api.use(express.json({ limit: '100kb' }));
  api.use(authenticate(new TokenVerifier(deps.db, deps.clock, deps.env.AUTH_CACHE_TTL_MS)));
  api.use(rejectNulBytes);
  api.use(questionnairesRouter(deps));
  api.use(agenciesRouter(deps));
  api.use(submissionsRouter(deps));
  api.use(referralsRouter(deps));
  api.use(slaRouter(deps));
  api.use(followUpsRouter(deps));
  app.use('/api/v1', api);

  app.use(webRouter(deps));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
