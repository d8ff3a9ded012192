import { Router } from 'express';
import { pingDatabase } from '../../db/health.repository.js';
import type { ServiceDeps } from '../../services/deps.js';

/** Liveness (the process answers) and readiness (Postgres and Redis both reachable). */
export function healthRouter(deps: Pick<ServiceDeps, 'db' | 'jobs'>): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const withTimeout = (p: Promise<unknown>) =>
      Promise.race([p.then(() => 'ok' as const), new Promise<'down'>((resolve) => setTimeout(() => resolve('down'), 2_000).unref())]).catch(
        () => 'down' as const,
      );
    const [postgres, redis] = await Promise.all([withTimeout(pingDatabase(deps.db)), withTimeout(deps.jobs.ping())]);
    const ready = postgres === 'ok' && redis === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { postgres, redis } });
  });
  return r;
}
