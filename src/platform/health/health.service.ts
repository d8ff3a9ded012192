/** Readiness: whether Postgres and Redis answer now, each within a bound. */
import { pingDatabase } from './health.repository.js';
import type { ServiceDeps } from '../deps.js';

export type Check = 'ok' | 'down';

export async function withTimeout(p: Promise<unknown>, ms = 2_000): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Check>((resolve) => {
    timer = setTimeout(() => resolve('down'), ms);
  });
  try {
    return await Promise.race([p.then(() => 'ok' as const, () => 'down' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(deps: Pick<ServiceDeps, 'db' | 'jobs'>): Promise<{ ready: boolean; checks: { postgres: Check; redis: Check } }> {
  const [postgres, redis] = await Promise.all([withTimeout(pingDatabase(deps.db)), withTimeout(deps.jobs.ping())]);
  return { ready: postgres === 'ok' && redis === 'ok', checks: { postgres, redis } };
}
