/**
 * A webhooks worker in a process of its own, for the test that kills a worker in the middle of a
 * delivery (SIGKILL: no shutdown, no finally blocks, the POST cut off unanswered). Configured by
 * the environment the test passes; short BullMQ lock timings so that the job is seen as stalled
 * in about a second rather than thirty.
 */
import { loadEnv } from '../../config/env.js';
import { createWebhookWorker } from '../../src/modules/webhooks/index.js';
import { createWorkerDeps } from '../../src/context.js';

const deps = createWorkerDeps(loadEnv());
deps.workerOptions = { lockDuration: 1_000, stalledInterval: 500 };
const worker = createWebhookWorker(deps);
worker.on('active', (job) => process.send?.({ active: job.id }));
await worker.waitUntilReady();
process.send?.({ ready: true });
