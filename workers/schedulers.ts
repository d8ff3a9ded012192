/**
 * Job schedulers live in Redis. A Redis flush (or a Redis that lost its data) deletes them, and
 * then no sweep would ever run again: the very sweep that repairs a flush. So a worker that owns
 * a scheduler registers it at start and again every `everyMs` for as long as it runs; upserting
 * an existing scheduler only updates it, so this is idempotent and cheap.
 */
import type { Worker } from 'bullmq';
import type { Logger } from '../src/logger.js';

export async function keepScheduler(worker: Worker, logger: Logger, name: string, upsert: () => Promise<unknown>, everyMs: number): Promise<void> {
  await upsert();
  const timer = setInterval(() => {
    upsert().catch((err: Error) => logger.warn({ scheduler: name, err: err.message }, 'could not re-register the job scheduler; will try again'));
  }, everyMs);
  timer.unref();
  worker.once('closing', () => clearInterval(timer));
}
