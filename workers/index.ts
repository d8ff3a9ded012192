/**
 * The worker process (`npm run worker`): starts a BullMQ Worker for each queue named in
 * WORKER_QUEUES (all by default), so that queues can be scaled out on separate processes.
 * Every queue of the job registry has its handler here (a missing one is a type error, and
 * start-up refuses it too); WORKER_QUEUES naming a queue the registry does not know stops
 * start-up with exit code 78, as a bad setting does.
 *
 * Shutdown (docs/failure.md, reliability rule 9), on SIGINT/SIGTERM: close the workers, letting active jobs finish
 * until SHUTDOWN_GRACE_MS, then force (an unfinished job is picked up again as stalled by
 * another worker: every handler is idempotent); then close the queues, destroy the pool, quit Redis.
 *
 * Its first import starts the traces, when the OTEL_* settings ask for them (src/instrument.ts).
 */
import { tracing } from '../src/instrument.js';
import type { Worker } from 'bullmq';
import { ConfigError } from '../config/env.js';
import { QUEUE_NAMES, type QueueName } from '../src/platform/jobs/registry.js';
import { exitOnUnhandledErrors, isEntryPoint, loadEnvOrExit, onShutdownSignals } from '../src/platform/process.js';
import { startWorkerHealth } from './health-server.js';
import { createRecordsWorker } from './records.js';
import { type WorkerDeps } from '../src/platform/jobs/worker.js';
import { createWorkerDeps } from '../src/context.js';
import { createForwardWorker } from '../src/modules/forwarding/index.js';
import { createSendNotificationWorker } from '../src/modules/notifications/index.js';
import { createSlaSweepWorker, createRemindersWorker } from '../src/modules/sla/index.js';
import { createFollowUpWorker } from '../src/modules/follow-up/index.js';
import { createWebhookWorker } from '../src/modules/webhooks/index.js';

export const WORKER_FACTORIES: Record<QueueName, (deps: WorkerDeps) => Worker | Promise<Worker>> = {
  forward: createForwardWorker,
  notify: createSendNotificationWorker,
  'sla-sweep': createSlaSweepWorker,
  'follow-up': createFollowUpWorker,
  reminders: createRemindersWorker,
  records: createRecordsWorker,
  webhooks: createWebhookWorker,
};

export interface RunningWorkers {
  workers: Map<QueueName, Worker>;
  /** closes the workers only (the caller owns deps); resolves within about graceMs */
  close(graceMs: number): Promise<void>;
}

/** The queues WORKER_QUEUES names (`all`: every queue); a name the registry does not know is a ConfigError. */
export function queuesToRun(names: readonly string[]): QueueName[] {
  if (names.includes('all')) return [...QUEUE_NAMES];
  const unknown = names.filter((n) => !(QUEUE_NAMES as string[]).includes(n));
  if (unknown.length) throw new ConfigError([{ key: 'WORKER_QUEUES', message: `unknown queue ${unknown.join(', ')}; the queues are: ${QUEUE_NAMES.join(', ')}` }]);
  return [...new Set(names as QueueName[])];
}

export async function startWorkers(deps: WorkerDeps, queues: readonly QueueName[] = queuesToRun(deps.env.WORKER_QUEUES)): Promise<RunningWorkers> {
  const missing = QUEUE_NAMES.filter((q) => typeof WORKER_FACTORIES[q] !== 'function');
  if (missing.length) throw new Error(`no handler for the queues: ${missing.join(', ')}`);
  const workers = new Map<QueueName, Worker>();
  for (const q of queues) workers.set(q, await WORKER_FACTORIES[q](deps));
  deps.logger.info({ queues: [...workers.keys()], concurrency: deps.env.WORKER_CONCURRENCY }, 'workers started');
  return {
    workers,
    async close(graceMs) {
      await Promise.all(
        [...workers.values()].map(async (w) => {
          let timer: NodeJS.Timeout | undefined;
          const deadline = new Promise<'late'>((resolve) => {
            timer = setTimeout(() => resolve('late'), graceMs);
          });
          const done = await Promise.race([w.close().then(() => 'closed' as const), deadline]);
          clearTimeout(timer);
          if (done === 'late') {
            deps.logger.warn({ queue: w.name }, 'active jobs did not finish in time; forcing (they will run again as stalled)');
            await w.close(true);
          }
        }),
      );
    },
  };
}

async function main(): Promise<void> {
  const env = loadEnvOrExit();
  try {
    queuesToRun(env.WORKER_QUEUES);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(78);
  }
  const deps = createWorkerDeps(env);
  exitOnUnhandledErrors(deps.logger);
  const running = await startWorkers(deps);
  const health = env.WORKER_HEALTH_PORT ? await startWorkerHealth(deps, running, env.WORKER_HEALTH_PORT, env.WORKER_HEALTH_HOST) : undefined;
  if (health) deps.logger.info({ url: health.url }, 'worker health endpoint listening');
  onShutdownSignals(async (signal) => {
    deps.logger.info({ signal }, 'shutting down workers');
    await health?.close();
    await running.close(env.SHUTDOWN_GRACE_MS);
    await deps.close();
    await tracing?.shutdown().catch((err: Error) => deps.logger.warn({ err: err.message }, 'traces could not be flushed'));
  });
}

if (isEntryPoint(import.meta.url)) {
  await main();
}
