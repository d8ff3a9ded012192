/**
 * A worker process's health, on a small HTTP endpoint of its own (WORKER_HEALTH_PORT; off when
 * 0, the default), for a supervisor or a container HEALTHCHECK:
 *   GET /healthz  200 while the process answers;
 *   GET /readyz   200 when Postgres and Redis answer now and every worker is running, else 503,
 *                 with { checks: { postgres, redis, workers } } either way;
 *   GET /metrics  the process's Prometheus metrics, with `Authorization: Bearer <METRICS_TOKEN>`
 *                 (401 without it, 404 when no token is set).
 * It reads the same checks as the API's /readyz (platform/health/health.service.ts), so during an
 * outage both say which service is down, and both recover with it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readiness } from '../src/platform/health/health.service.js';
import type { RunningWorkers } from './index.js';
import { serveMetrics } from '../src/platform/metrics/endpoint.js';
import type { WorkerDeps } from '../src/platform/jobs/worker.js';

export async function startWorkerHealth(deps: WorkerDeps, running: RunningWorkers, port: number, host: string): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { status: 'method_not_allowed' });
    if (req.url === '/healthz') return send(200, { status: 'ok' });
    if (req.url === '/metrics') return void serveMetrics(req, res, deps.metrics, deps.env.METRICS_TOKEN);
    if (req.url !== '/readyz') return send(404, { status: 'not_found' });
    readiness(deps).then(
      ({ ready, checks }) => {
        const stopped = [...running.workers].filter(([, w]) => !w.isRunning() || w.closing).map(([q]) => q);
        const workers = stopped.length ? 'down' : 'ok';
        send(ready && workers === 'ok' ? 200 : 503, { status: ready && workers === 'ok' ? 'ready' : 'not_ready', checks: { ...checks, workers }, ...(stopped.length ? { stopped } : {}) });
      },
      () => send(503, { status: 'not_ready' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${bound}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
