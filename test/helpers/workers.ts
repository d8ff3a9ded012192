/**
 * Running the real workers inside a test file: WorkerDeps over the file's TestContext (its
 * database, queue prefix and ManualClock), with a real pooled mailer pointed at the file's sink.
 */
import { Redis } from 'ioredis';
import type { Env } from '../../config/env.js';
import { redisOptions } from '../../src/platform/jobs/producer.js';
import type { QueueName } from '../../src/platform/jobs/registry.js';
import { createMailer } from '../../src/platform/mail/transport.js';
import { startWorkers, type RunningWorkers } from '../../workers/index.js';
import type { WorkerDeps } from '../../src/platform/jobs/worker.js';
import type { TestContext } from './context.js';
import type { Metrics } from '../../src/platform/metrics/metrics.js';

export interface TestWorkers extends RunningWorkers {
  deps: WorkerDeps;
  stop(): Promise<void>;
}

export async function startTestWorkers(
  ctx: TestContext,
  queues: QueueName[],
  opts: { env?: Partial<Env>; workerOptions?: WorkerDeps['workerOptions']; metrics?: Metrics } = {},
): Promise<TestWorkers> {
  const env = Object.freeze({ ...ctx.env, ...opts.env }) as Env;
  const mailer = createMailer(env);
  const connections: Redis[] = [];
  const deps: WorkerDeps = {
    ...ctx,
    env,
    mailer,
    workerOptions: opts.workerOptions,
    // a worker process's own registry when given (else the context's, if it has one)
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    redis() {
      const r = new Redis(env.REDIS_URL, redisOptions('wait'));
      connections.push(r);
      return r;
    },
  };
  const running = await startWorkers(deps, queues);
  return {
    ...running,
    deps,
    async stop() {
      await running.close(5_000);
      mailer.close();
      await Promise.all(connections.map((r) => r.quit().catch(() => r.disconnect())));
    },
  };
}

/** Polls until fn returns a truthy value (or throws after timeoutMs). */
export async function waitUntil<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('waitUntil: timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
