/**
 * A forward worker in a process of its own, for the test that kills a worker in the middle of a
 * job (SIGKILL: no shutdown, no finally blocks, its Postgres transaction aborted by the server).
 * Configured by the environment the test passes; short BullMQ lock timings so that the job is
 * seen as stalled in about a second rather than thirty.
 */
import { loadEnv } from '../../config/env.js';
import { createForwardWorker } from '../../src/modules/forwarding/forward-referral.worker.js';
import { createWorkerDeps } from '../../src/context.js';

const deps = createWorkerDeps(loadEnv());
deps.workerOptions = { lockDuration: 1_000, stalledInterval: 500 };
const worker = createForwardWorker(deps);
worker.on('active', (job) => process.send?.({ active: job.id }));
await worker.waitUntilReady();
process.send?.({ ready: true });
