import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { loadEnv } from '../config/env.js';
import { ManualClock } from '../src/kernel/clock.js';
import { randomIds } from '../src/kernel/ids.js';
import { createDb } from '../src/platform/db/kysely.js';
import { createApp } from '../src/app.js';
import { createProducer } from '../src/platform/jobs/producer.js';
import { createLogger } from '../src/platform/logger.js';
import { HolidayCalendar } from '../src/modules/clocks/holiday-calendar.js';
import { AgencyCapacities } from '../src/modules/capacity/capacity-cache.js';
import { PublishedQuestionnaires } from '../src/modules/questionnaires/questionnaire-cache.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { makeUser } from './helpers/factories.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

/** The app wired to a Postgres and a Redis that are not there (nothing listens on port 1). */
async function appWithoutBackends() {
  const env = loadEnv({ NODE_ENV: 'test', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent' });
  const logger = createLogger('silent');
  const db = createDb({ connectionString: env.DATABASE_URL, poolSize: 1 });
  const jobs = createProducer({ redisUrl: env.REDIS_URL, prefix: 'none', logger, mode: 'fail-fast' });
  const clock = new ManualClock();
  const app = createApp({ env, db, jobs, logger, clock, ids: randomIds, questionnaires: new PublishedQuestionnaires(db), holidays: new HolidayCalendar(db, clock, env), capacities: new AgencyCapacities(db, clock, 0) });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await jobs.close();
      await db.destroy();
    },
  };
}

describe('health', () => {
  it('is live and ready when Postgres and Redis answer', async () => {
    const api = apiClient(ctx.baseUrl);
    expect((await api.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await api.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    expect(ready.headers.get('x-request-id')).toMatch(/.+/);
  });

  it('honours a sane x-request-id and replaces an unsafe one', async () => {
    const res = await fetch(`${ctx.baseUrl}/api/v1/questionnaire`, { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(((await res.json()) as { requestId: string }).requestId).toBe('abc-123');
    const bad = await fetch(`${ctx.baseUrl}/healthz`, { headers: { 'x-request-id': '<script>' } });
    expect(bad.headers.get('x-request-id')).not.toBe('<script>');
  });

  it('answers 404 in the error shape for an unknown API route, and 401 to a caller it does not know', async () => {
    const api = apiClient(ctx.baseUrl);
    const user = await makeUser(ctx, 'coordinator');
    const res = await api.get('/api/v1/nothing-here', user.token);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /api/v1/nothing-here' }, requestId: res.headers.get('x-request-id') });
    // authentication comes first: a stranger learns nothing of which routes exist
    const stranger = await api.get('/api/v1/nothing-here', 'sp_x');
    expect(stranger.status).toBe(401);
    expect(stranger.body.error.code).toBe('unauthenticated');
  });

  it('is not ready, and answers 503 rather than 500, when the backing services are down', async () => {
    const down = await appWithoutBackends();
    try {
      const api = apiClient(down.url);
      expect((await api.get('/healthz')).status).toBe(200);
      const ready = await api.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toEqual({ postgres: 'down', redis: 'down' });
      const res = await api.get('/api/v1/questionnaire', 'sp_some-token-value');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body.error.code).toBe('unavailable');
    } finally {
      await down.close();
    }
  });
});
