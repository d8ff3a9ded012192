import { Router } from 'express';
import type { ServiceDeps } from '../deps.js';
import { readiness } from './health.service.js';

/** Liveness (the process answers) and readiness (Postgres and Redis both reachable). */
export function healthRouter(deps: Pick<ServiceDeps, 'db' | 'jobs'>): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const { ready, checks } = await readiness(deps);
    res.set('Cache-Control', 'no-store').status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  return r;
}
