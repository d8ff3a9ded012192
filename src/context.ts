/**
 * Builds the real dependencies from configuration: one place that knows how the I/O edges are
 * made, shared by the API server, the workers, the CLI and the demo. Tests build their own
 * (a per-file database, a ManualClock, a prefixed queue).
 */
import type { Env } from '../config/env.js';
import { systemClock, type Clock } from './kernel/clock.js';
import { randomIds, type IdGenerator } from './kernel/ids.js';
import { createDb } from './platform/db/kysely.js';
import { Redis } from 'ioredis';
import { createProducer, redisOptions } from './platform/jobs/producer.js';
import type { WorkerDeps } from './platform/jobs/worker.js';
import { createMailer } from './platform/mail/transport.js';
import { createLogger, type Logger } from './platform/logger.js';
import type { ServiceDeps } from './platform/deps.js';
import { HolidayCalendar } from './modules/clocks/index.js';
import { PublishedQuestionnaires } from './modules/questionnaires/index.js';
import { AgencyCapacities } from './modules/capacity/index.js';
import { createMetrics, type Metrics, type ProcessRole } from './platform/metrics/metrics.js';
import { registerPoolMetrics, registerQueueMetrics } from './platform/metrics/infrastructure.js';
import { registerBreachMetrics } from './modules/clocks/index.js';
import { registerReferralMetrics } from './modules/referrals/index.js';
import { registerSelfReferralMetrics } from './modules/self-referral/index.js';
import { registerPersonSearchIndexMetrics } from './modules/people/index.js';
import { registerDueSoonMetrics, registerSweepMetrics } from './modules/sla/index.js';
import { registerMailMetrics } from './modules/notifications/index.js';
import { registerForwardMetrics } from './modules/forwarding/index.js';

export interface ContextOptions {
  env: Env;
  role: 'api' | 'worker' | 'cli';
  logger?: Logger;
  clock?: Clock;
  ids?: IdGenerator;
}

export function createContext({ env, role, logger, clock, ids }: ContextOptions): ServiceDeps & { close(): Promise<void> } {
  const log = logger ?? createLogger(env.LOG_LEVEL);
  // A mail send holds its notification row (and so a connection) for the length of one SMTP
  // conversation; forward and notify each run WORKER_CONCURRENCY of them at once. A worker's
  // pool keeps room beyond that for the sweep and the other queues.
  const poolSize = role === 'worker' ? Math.max(env.DATABASE_POOL_SIZE, 2 * env.WORKER_CONCURRENCY + 4) : env.DATABASE_POOL_SIZE;
  const db = createDb({
    connectionString: env.DATABASE_URL,
    poolSize,
    applicationName: `signpost-${role}`,
    onConnectionError: (err) => log.warn({ err: err.message, code: (err as { code?: string }).code }, 'a Postgres connection failed; the pool will open another'),
  });
  const jobs = createProducer({
    redisUrl: env.REDIS_URL,
    prefix: env.QUEUE_PREFIX,
    logger: log,
    mode: role === 'worker' ? 'wait' : 'fail-fast',
  });
  const theClock = clock ?? systemClock;
  const deps: ServiceDeps = {
    env,
    db,
    jobs,
    logger: log,
    clock: theClock,
    holidays: new HolidayCalendar(db, theClock, env),
    ids: ids ?? randomIds,
    questionnaires: new PublishedQuestionnaires(db),
    capacities: new AgencyCapacities(db, theClock, env.CAPACITY_CACHE_TTL_MS),
  };
  // the API and the workers are measured (GET /metrics, when METRICS_TOKEN is set); the CLI is not
  if (role !== 'cli') deps.metrics = createProcessMetrics(deps, role);
  return {
    ...deps,
    async close() {
      await jobs.close();
      await db.destroy();
    },
  };
}

/**
 * A process's metrics: the platform's (the process, the event loop, the Postgres pool, the queues,
 * HTTP requests or jobs) and the hub's own from the modules that own their data. The gauges read
 * from Postgres at scrape time are the API's (each API process answers the same; alerts take the
 * max); what happens inside a job (mail failures, the forward's latency, the sweep's last run) is
 * counted by the worker process that ran it.
 */
export function createProcessMetrics(deps: Pick<ServiceDeps, 'db' | 'jobs' | 'clock' | 'logger'>, role: ProcessRole, opts: { cacheMs?: number } = {}): Metrics {
  const metrics = createMetrics({ role, logger: deps.logger, cacheMs: opts.cacheMs });
  registerPoolMetrics(metrics, deps.db);
  registerQueueMetrics(metrics, deps.jobs);
  if (role === 'api') {
    registerReferralMetrics(metrics, deps);
    registerBreachMetrics(metrics, deps);
    registerDueSoonMetrics(metrics, deps);
    registerSelfReferralMetrics(metrics, deps);
    registerPersonSearchIndexMetrics(metrics, deps);
  } else {
    registerMailMetrics(metrics);
    registerForwardMetrics(metrics);
    registerSweepMetrics(metrics);
  }
  return metrics;
}

/** Builds the real dependencies for a worker process; close() ends the mailer, the pool and Redis. */
export function createWorkerDeps(env: Env, logger?: Logger): WorkerDeps & { close(): Promise<void> } {
  const ctx = createContext({ env, role: 'worker', logger });
  const mailer = createMailer(env, (err) => ctx.logger.warn({ err: err.message }, 'mail transport error; the next send opens a new connection'));
  const connections: Redis[] = [];
  return {
    ...ctx,
    mailer,
    redis() {
      const r = new Redis(env.REDIS_URL, redisOptions('wait'));
      r.on('error', (err) => ctx.logger.warn({ err: err.message }, 'redis connection error (worker)'));
      connections.push(r);
      return r;
    },
    async close() {
      mailer.close();
      await ctx.close();
      await Promise.all(connections.map((r) => r.quit().catch(() => r.disconnect())));
    },
  };
}
