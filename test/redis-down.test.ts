/**
 * Redis down at intake (issue 3, item 6): the API's producer fails fast, the request still
 * answers 201 because the submission is committed, and the next sweep (once Redis is back)
 * enqueues what Postgres says is due.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createProducer } from '../src/platform/jobs/producer.js';
import { runSweep } from '../src/modules/sla/sla.service.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import type { TestContext } from './helpers/context.js';
import { TEST_REDIS_URL } from './helpers/env.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;

beforeAll(async () => {
  // nothing listens on port 1: every Redis call from the API fails
  ({ ctx, api, q, worker } = await createWorld({ worker: 'link_worker' }, { REDIS_URL: 'redis://127.0.0.1:1' }));
});
afterAll(async () => ctx?.close());

describe('Redis down at intake', () => {
  it('still answers 201 promptly, and the sweep enqueues the forward once Redis is back', async () => {
    const started = performance.now();
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id, q.questions[3]!.id]));
    const took = performance.now() - started;
    expect(res.status).toBe(201);
    expect(took).toBeLessThan(5_000); // bounded by the producer's fail-fast timeout, never hanging
    const rows = await ctx.db.selectFrom('referrals').select(['id', 'status']).where('submissionId', '=', res.body.id).execute();
    expect(rows.map((r) => r.status)).toEqual(['pending', 'pending']);

    // Redis is back (the real one, same prefix): the sweep's reconciliation enqueues both
    const jobs = createProducer({ redisUrl: TEST_REDIS_URL, prefix: ctx.env.QUEUE_PREFIX, logger: ctx.logger, mode: 'wait' });
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('forward', { connection, prefix: ctx.env.QUEUE_PREFIX });
    try {
      const swept = await runSweep({ ...ctx, jobs });
      expect(swept.reenqueued.forward).toBe(2);
      for (const r of rows) expect(await queue.getJobState(`forward-${r.id}`)).toBe('waiting');
    } finally {
      await queue.close();
      connection.disconnect();
      await jobs.close();
    }
  });
});
