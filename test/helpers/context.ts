/**
 * A test file's world: its own database copied from the migrated template, a ManualClock, a
 * queue prefix of its own in the real Redis, the real services over them, and the Express app
 * listening on a free port. close() drops the database and the file's Redis keys.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pg from 'pg';
import { inject } from 'vitest';
import { loadEnv, type Env } from '../../config/env.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { randomIds } from '../../src/kernel/ids.js';
import { createDb } from '../../src/platform/db/kysely.js';
import { createProducer } from '../../src/platform/jobs/producer.js';
import { createLogger } from '../../src/platform/logger.js';
import { createApp } from '../../src/app.js';
import { createHttpServer, listen } from '../../src/server.js';
import { createProcessMetrics } from '../../src/context.js';
import { HolidayCalendar } from '../../src/modules/clocks/holiday-calendar.js';
import { PublishedQuestionnaires } from '../../src/modules/questionnaires/questionnaire-cache.js';
import { AgencyCapacities } from '../../src/modules/capacity/capacity-cache.js';
import type { ServiceDeps } from '../../src/platform/deps.js';
import { TEST_PG_URL, TEST_REDIS_URL, dbUrl } from './env.js';
import { deleteRedisPrefix as deleteRedisPrefixOn } from './redis-prefix.js';

export interface TestContext extends ServiceDeps {
  clock: ManualClock;
  databaseUrl: string;
  baseUrl: string;
  server: Server;
  close(): Promise<void>;
}

export async function createTestDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `signpost_t_${inject('testRunId')}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${inject('templateDb')}"`);
  await admin.end();
  return {
    name,
    url: dbUrl(name),
    async drop() {
      const a = new pg.Client({ connectionString: TEST_PG_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  await deleteRedisPrefixOn(TEST_REDIS_URL, prefix);
}

export async function createTestContext(overrides: Partial<Record<keyof Env, string>> = {}, opts: { poolSize?: number; port?: number; metrics?: boolean } = {}): Promise<TestContext> {
  const database = await createTestDatabase();
  const prefix = `sp-test-${randomBytes(6).toString('hex')}`;
  const env = loadEnv({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    AUTH_CACHE_TTL_MS: '0',
    // no role must have a second factor unless a test says so: the other tests' sign-ins stay one step
    MFA_REQUIRED_ROLES: '',
    ...overrides,
  });
  const logger = createLogger(env.LOG_LEVEL);
  // small by default (many files run at once); a file that races requests asks for more
  const db = createDb({ connectionString: env.DATABASE_URL, poolSize: opts.poolSize ?? 5 });
  const jobs = createProducer({ redisUrl: env.REDIS_URL, prefix, logger, mode: 'fail-fast' });
  const clock = new ManualClock();
  const deps: ServiceDeps = { env, db, jobs, logger, clock, ids: randomIds, questionnaires: new PublishedQuestionnaires(db), holidays: new HolidayCalendar(db, clock, env), capacities: new AgencyCapacities(db, clock, env.CAPACITY_CACHE_TTL_MS) };
  // the API's metrics, as src/context.ts composes them, with readings never reused (a test reads what it just did)
  if (opts.metrics) deps.metrics = createProcessMetrics(deps, 'api', { cacheMs: 0 });
  const server = await listen(createHttpServer(createApp(deps), env), opts.port ?? 0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    ...deps,
    clock,
    databaseUrl: database.url,
    baseUrl: `http://127.0.0.1:${port}`,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await jobs.close();
      await db.destroy();
      await database.drop();
      await deleteRedisPrefix(prefix);
    },
  };
}
