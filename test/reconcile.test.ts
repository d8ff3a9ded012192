import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { runSweep } from '../src/modules/sla/sla.service.js';
import { createNotification } from '../src/modules/notifications/notification.service.js';
import { createTestContext, deleteRedisPrefix, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { makeUser, seedChecklist, type TestUser } from './helpers/factories.js';
import { forward, submit, type Submitted } from './helpers/sla-fixtures.js';
import { settle, startTestSink, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil } from './helpers/workers.js';

let ctx: TestContext;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let worker: TestUser;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  worker = await makeUser(ctx, 'link_worker');
});
afterAll(async () => {
  await ctx?.close();
  await sink?.stop();
});

const forwardState = (referralId: string) => ctx.jobs.queue('forward').getJobState(`forward-${referralId}`);
const pendingIds = async () =>
  (await ctx.db.selectFrom('referrals').select('id').where('status', '=', 'pending').execute()).map((r) => r.id);

/** A "Redis flush" scoped to this file's queue prefix (never FLUSHALL: other files share Redis). */
const flushOurRedis = () => deleteRedisPrefix(ctx.env.QUEUE_PREFIX);

describe('reconciliation', () => {
  it('re-enqueues the forward job of every pending referral after Redis lost them, and only once', async () => {
    const subs: Submitted[] = [];
    for (let i = 0; i < 4; i++) subs.push(await submit(api, worker, q, [0, 3, 15]));
    const ids = subs.flatMap((s) => s.referrals.map((r) => r.id));
    // the intake enqueued one batch job a checklist (each was sent alone), holding its referrals
    // (after each reply, so the last may still be on its way)
    await waitUntil(async () => (await ctx.jobs.queue('forward').getWaitingCount()) >= subs.length, 10_000);
    const batches = await ctx.jobs.queue('forward').getWaiting();
    expect(batches.map((j) => j.name)).toEqual(['forward-batch', 'forward-batch', 'forward-batch', 'forward-batch']);
    expect(batches.flatMap((j) => (j.data as { referralIds: string[] }).referralIds).sort()).toEqual([...ids].sort());

    await flushOurRedis();
    expect(await ctx.jobs.queue('forward').getWaitingCount()).toBe(0);

    const res = await runSweep(ctx);
    expect(res.reenqueued.forward).toBe((await pendingIds()).length);
    for (const id of ids) expect(await forwardState(id)).toBe('waiting');
    expect(await ctx.jobs.queue('forward').getWaitingCount()).toBe((await pendingIds()).length);

    // nothing is missing now: a second sweep adds nothing
    expect((await runSweep(ctx)).reenqueued.forward).toBe(0);
    expect(await ctx.jobs.queue('forward').getWaitingCount()).toBe((await pendingIds()).length);
  });

  it('replaces a finished job left under the same id (BullMQ would drop the add as a duplicate)', async () => {
    const s = await submit(api, worker, q, [0]);
    const id = s.referrals[0]!.id;
    // the referral's own job (a retry's, or the sweep's), beside the intake's batch
    await ctx.jobs.enqueue('forward-referral', { referralId: id });
    // a worker that finished the jobs without forwarding (e.g. it died after acking)
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const done = new Set<string>();
    const w = new Worker('forward', async (job) => void done.add(job.id!), { connection, prefix: ctx.env.QUEUE_PREFIX });
    try {
      await expect.poll(() => done.has(`forward-${id}`), { timeout: 10_000 }).toBe(true);
    } finally {
      await w.close();
      connection.disconnect();
    }
    await expect.poll(() => forwardState(id)).toBe('completed');

    const res = await runSweep(ctx);
    expect(res.reenqueued.forward).toBeGreaterThanOrEqual(1);
    expect(await forwardState(id)).toBe('waiting');
  });

  it('does not enqueue referrals of a paused agency (they wait for a coordinator)', async () => {
    const s = await submit(api, worker, q, [3]);
    const r = s.referrals[0]!;
    await ctx.db.updateTable('agencies').set({ status: 'paused' }).where('id', '=', r.agencyId).execute();
    await flushOurRedis();
    await runSweep(ctx);
    expect(await forwardState(r.id)).toBe('unknown');
    await ctx.db.updateTable('agencies').set({ status: 'active' }).where('id', '=', r.agencyId).execute();
    await runSweep(ctx);
    expect(await forwardState(r.id)).toBe('waiting');
  });

  it('re-times a scheduled follow-up whose delayed job is gone', async () => {
    const s = await submit(api, worker, q, [0]);
    const f = await forward(ctx, [s.referrals[0]!.id]);
    const job = () => ctx.jobs.queue('follow-up').getJob(`follow-up-${f.followUpId}`);
    expect(await job()).toBeUndefined();
    const res = await runSweep(ctx);
    expect(res.reenqueued.followUp).toBeGreaterThanOrEqual(1);
    const j = await job();
    expect(await j!.getState()).toBe('delayed');
    // the call is due on Wednesday 21 January (the fire service's date is the 20th): its job is
    // timed for the start of that day
    const row = await ctx.db.selectFrom('followUps').select('dueAt').where('id', '=', f.followUpId).executeTakeFirstOrThrow();
    expect(row.dueAt.toISOString()).toBe('2026-01-21T17:00:00.000Z');
    expect(j!.opts.delay).toBe(new Date('2026-01-21T00:00:00Z').getTime() - ctx.clock.now().getTime());
    expect((await runSweep(ctx)).reenqueued.followUp).toBe(0);
  });

  it('re-enqueues a notification still queued after a minute, not a fresh one', async () => {
    const n = await createNotification(
      ctx.db,
      ctx,
      { kind: 'test', dedupeKey: `test:${crypto.randomUUID()}`, recipient: 'hub@example.org', subject: 's', bodyText: 'b' },
      ctx.clock.now(),
    );
    const state = () => ctx.jobs.queue('notify').getJobState(`notify-${n.id}`);
    await runSweep(ctx);
    expect(await state()).toBe('unknown');
    ctx.clock.advance(2 * 60_000);
    const res = await runSweep(ctx);
    expect(res.reenqueued.notify).toBe(1);
    expect(await state()).toBe('waiting');
  });

  it('after a Redis flush, the forward worker forwards every referral exactly once, with one mail each', async () => {
    const subs: Submitted[] = [];
    for (let i = 0; i < 3; i++) subs.push(await submit(api, worker, q, [0, 15]));
    const refs = subs.flatMap((s) => s.referrals);
    await flushOurRedis();
    const workers = await startTestWorkers(ctx, ['forward', 'notify']);
    try {
      const res = await runSweep(ctx);
      expect(res.reenqueued.forward).toBeGreaterThanOrEqual(refs.length);
      await waitUntil(async () => {
        const rows = await ctx.db.selectFrom('referrals').select('id').where('id', 'in', refs.map((r) => r.id)).where('status', '=', 'forwarded').execute();
        return rows.length === refs.length;
      });
      // a second sweep finds nothing pending, and no second copy of any mail arrives
      expect((await runSweep(ctx)).reenqueued.forward).toBe(0);
      const mails = await settle(sink, (m) => refs.some((r) => m.subject.includes(r.reference)), 1_000);
      for (const r of refs) expect(mails.filter((m) => m.subject.includes(r.reference)).map((m) => m.subject)).toHaveLength(1);
      expect(mails).toHaveLength(refs.length);
    } finally {
      await workers.stop();
    }
  });
});
