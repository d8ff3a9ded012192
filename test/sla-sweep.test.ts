import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DAY, HOUR } from '../src/kernel/clock.js';
import { runSweep, SWEEP_LOCK_KEY } from '../src/modules/sla/sla.service.js';
import { processSlaSweep } from '../src/modules/sla/sla-sweep.worker.js';
import { deleteRedisPrefix, type TestContext } from './helpers/context.js';
import { makeUser, submissionBody, type TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { breachesOf, forward, setStatus, submit } from './helpers/sla-fixtures.js';
import { startTestWorkers, waitUntil } from './helpers/workers.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
const MINUTE = 60_000;

beforeAll(async () => {
  ({ ctx, api, q, worker } = await createWorld({ worker: 'link_worker' }));
});
afterAll(async () => ctx?.close());

const breachCount = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM sla_breaches`.execute(ctx.db)).rows[0]!.n);

describe('T1 forward (24 h from receipt)', () => {
  it('records one breach per late referral after 24 h, not before, and resolves it with late_by when forwarded', async () => {
    const s = await submit(api, worker, q, [0, 15]);
    const ids = s.referrals.map((r) => r.id);

    ctx.clock.advance(24 * HOUR - MINUTE);
    await runSweep(ctx);
    expect(await breachesOf(ctx, ids)).toEqual([]);

    ctx.clock.advance(2 * MINUTE);
    const res = await runSweep(ctx);
    expect(res.skipped).toBe(false);
    expect(res.breaches.forward).toBeGreaterThanOrEqual(2);
    const open = await breachesOf(ctx, ids);
    expect(open).toHaveLength(2);
    for (const b of open) {
      expect(b.clock).toBe('forward');
      expect(b.dueAt.toISOString()).toBe(s.referrals[0]!.forwardDueAt);
      expect(b.detectedAt).toEqual(ctx.clock.now());
      expect(b.resolvedAt).toBeNull();
    }

    // forwarded 6 h late: the forward worker resolves the breach; how late is kept
    ctx.clock.advance(6 * HOUR - MINUTE);
    await forward(ctx, ids);
    const resolved = await breachesOf(ctx, ids);
    expect(resolved.map((b) => b.resolvedAt)).toEqual([ctx.clock.now(), ctx.clock.now()]);
    expect(resolved.map((b) => b.lateBySeconds)).toEqual([6 * 3600, 6 * 3600]);
  });

  it('also breaches forward_failed referrals, and resolves a breach whose forwarding was missed by the resolution', async () => {
    const s = await submit(api, worker, q, [0]);
    const [r] = s.referrals;
    await ctx.db.updateTable('referrals').set({ status: 'forward_failed' }).where('id', '=', r!.id).execute();
    ctx.clock.advance(25 * HOUR);
    await runSweep(ctx);
    expect((await breachesOf(ctx, [r!.id])).map((b) => b.clock)).toEqual(['forward']);

    // a coordinator sends it again; it is forwarded while its breach was being recorded, so
    // the worker found nothing to resolve
    await ctx.db.updateTable('referrals').set({ status: 'pending' }).where('id', '=', r!.id).execute();
    ctx.clock.advance(HOUR);
    await forward(ctx, [r!.id], { resolve: false });
    expect((await breachesOf(ctx, [r!.id]))[0]!.resolvedAt).toBeNull();
    ctx.clock.advance(5 * MINUTE);
    const res = await runSweep(ctx);
    expect(res.resolved).toBeGreaterThanOrEqual(1);
    const [b] = await breachesOf(ctx, [r!.id]);
    // resolved at the time of the forwarding, not of the sweep
    expect(b!.resolvedAt).toEqual(new Date(ctx.clock.now().getTime() - 5 * MINUTE));
    expect(b!.lateBySeconds).toBe(2 * 3600);
  });
});

describe('T2 contact (the agency’s contact days from forwarding)', () => {
  it('breaches after the agency’s contact days and resolves when the person is contacted', async () => {
    const s = await submit(api, worker, q, [0, 15]);
    const ids = s.referrals.map((r) => r.id);
    await forward(ctx, ids);
    const rows = await ctx.db.selectFrom('referrals').select(['id', 'contactDueAt']).where('id', 'in', ids).execute();
    const due = new Map(rows.map((r) => [r.id, r.contactDueAt!]));
    // the advice team has 10 contact days, the fire service the default 14
    const [soon, late] = [...due.entries()].sort((a, b) => a[1].getTime() - b[1].getTime());
    expect(late![1].getTime() - soon![1].getTime()).toBe(4 * DAY);

    ctx.clock.set(new Date(soon![1].getTime() - MINUTE));
    await runSweep(ctx);
    expect((await breachesOf(ctx, ids)).filter((b) => b.clock === 'contact')).toEqual([]);

    ctx.clock.set(new Date(soon![1].getTime() + MINUTE));
    await runSweep(ctx);
    let contact = (await breachesOf(ctx, ids)).filter((b) => b.clock === 'contact');
    expect(contact.map((b) => b.referralId)).toEqual([soon![0]]);
    expect(contact[0]!.dueAt).toEqual(soon![1]);

    // contacted 3 h late; the transition service's resolution is missed, the sweep catches it
    ctx.clock.set(new Date(soon![1].getTime() + 3 * HOUR));
    await setStatus(ctx, soon![0], 'contacted');
    await runSweep(ctx);
    contact = (await breachesOf(ctx, ids)).filter((b) => b.clock === 'contact');
    expect(contact[0]!.resolvedAt).toEqual(ctx.clock.now());
    expect(contact[0]!.lateBySeconds).toBe(3 * 3600);
  });
});

describe('T3 follow-up (due date passed, not recorded)', () => {
  it('breaches every referral of the submission except cancelled ones, once the follow-up is overdue', async () => {
    const s = await submit(api, worker, q, [0, 3, 15]);
    const ids = s.referrals.map((r) => r.id);
    const f = await forward(ctx, ids);
    await setStatus(ctx, ids[1]!, 'cancelled');

    ctx.clock.set(new Date(f.dueAt.getTime() - MINUTE));
    await runSweep(ctx);
    expect((await breachesOf(ctx, ids)).filter((b) => b.clock === 'follow_up')).toEqual([]);

    ctx.clock.set(new Date(f.dueAt.getTime() + MINUTE));
    const res = await runSweep(ctx);
    expect(res.breaches.follow_up).toBeGreaterThanOrEqual(2);
    const t3 = (await breachesOf(ctx, ids)).filter((b) => b.clock === 'follow_up');
    expect(t3.map((b) => b.referralId).sort()).toEqual([ids[0], ids[2]].sort());
    expect(t3.every((b) => b.dueAt.getTime() === f.dueAt.getTime() && b.resolvedAt === null)).toBe(true);
  });
});

describe('the sweep itself', () => {
  it('is idempotent: a second sweep records nothing again', async () => {
    const s = await submit(api, worker, q, [0, 15]);
    ctx.clock.advance(2 * DAY);
    const first = await runSweep(ctx);
    expect(first.breaches.forward).toBeGreaterThanOrEqual(2);
    const n = await breachCount();
    const second = await runSweep(ctx);
    expect(second.breaches).toEqual({ forward: 0, contact: 0, follow_up: 0 });
    expect(await breachCount()).toBe(n);
    expect(await breachesOf(ctx, s.referrals.map((r) => r.id))).toHaveLength(2);
  });

  it('two sweeps at once record nothing twice (one skips, or both complete without duplicates)', async () => {
    const subs = [];
    for (let i = 0; i < 5; i++) subs.push(await submit(api, worker, q, [0, 3, 15]));
    ctx.clock.advance(2 * DAY);
    const before = await breachCount();
    const results = await Promise.all([runSweep(ctx), runSweep(ctx), processSlaSweep({ id: 'x', data: {} }, ctx)]);
    expect(results.some((r) => !r.skipped)).toBe(true);
    // what the sweeps report is exactly what was written, and every new referral has one breach
    const reported = results.reduce((n, r) => n + r.breaches.forward + r.breaches.contact + r.breaches.follow_up, 0);
    expect(await breachCount()).toBe(before + reported);
    const ours = await breachesOf(ctx, subs.flatMap((s) => s.referrals.map((r) => r.id)));
    expect(ours.map((b) => b.clock)).toEqual(Array(15).fill('forward'));
    const dupes = await sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT referral_id, clock FROM sla_breaches GROUP BY 1, 2 HAVING count(*) > 1) d`.execute(ctx.db);
    expect(Number(dupes.rows[0]!.n)).toBe(0);
  });

  it('skips, recording nothing, while another sweep holds the advisory lock', async () => {
    const s = await submit(api, worker, q, [0]);
    ctx.clock.advance(25 * HOUR);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const hasLock = new Promise<void>((r) => (locked = r));
    // another process's sweep, mid-transaction
    const other = ctx.db.transaction().execute(async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(${SWEEP_LOCK_KEY})`.execute(tx);
      locked();
      await held;
    });
    await hasLock;
    const res = await runSweep(ctx);
    expect(res.skipped).toBe(true);
    expect(await breachesOf(ctx, [s.referrals[0]!.id])).toEqual([]);
    release();
    await other;
    expect((await runSweep(ctx)).skipped).toBe(false);
    expect(await breachesOf(ctx, [s.referrals[0]!.id])).toHaveLength(1);
  });

  it('deletes expired Idempotency-Keys in the same pass', async () => {
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, []), { 'Idempotency-Key': 'sweep-expiry-1' });
    expect(res.status).toBe(201);
    const key = () => ctx.db.selectFrom('idempotencyKeys').select('key').where('key', '=', 'sweep-expiry-1').executeTakeFirst();
    await runSweep(ctx);
    expect(await key()).toBeDefined();
    ctx.clock.advance(ctx.env.IDEMPOTENCY_KEY_TTL_HOURS * HOUR + MINUTE);
    const swept = await runSweep(ctx);
    expect(swept.idempotencyKeysDeleted).toBeGreaterThanOrEqual(1);
    expect(await key()).toBeUndefined();
  });

  it('deletes expired web sessions and keeps live ones', async () => {
    const user = await makeUser(ctx, 'coordinator');
    const now = ctx.clock.now();
    const session = (id: string, expiresAt: Date) => ({ idHash: Buffer.from(id), userId: user.id, csrfToken: 'x', createdAt: now, lastSeenAt: now, expiresAt });
    await ctx.db.insertInto('webSessions').values([session('expired', new Date(now.getTime() - MINUTE)), session('live', new Date(now.getTime() + HOUR))]).execute();
    const swept = await runSweep(ctx);
    expect(swept.sessionsDeleted).toBeGreaterThanOrEqual(1);
    const left = await ctx.db.selectFrom('webSessions').select('idHash').where('userId', '=', user.id).execute();
    expect(left.map((r) => r.idHash.toString())).toEqual(['live']);
  });

  it('runs by itself as a BullMQ job scheduler on the sla-sweep queue once the worker starts', async () => {
    const s = await submit(api, worker, q, [0]);
    ctx.clock.advance(25 * HOUR);
    const workers = await startTestWorkers(ctx, ['sla-sweep']);
    try {
      const schedulers = await ctx.jobs.queue('sla-sweep').getJobSchedulers();
      expect(schedulers.map((x) => [x.key, x.every])).toEqual([['sla-sweep', ctx.env.SLA_SWEEP_EVERY_MS]]);
      const [b] = await waitUntil(async () => (await breachesOf(ctx, [s.referrals[0]!.id])).length > 0 && breachesOf(ctx, [s.referrals[0]!.id]));
      expect(b!.clock).toBe('forward');
    } finally {
      await workers.stop();
    }
  });

  it('registers its scheduler again after a Redis flush, so sweeps resume without a restart', async () => {
    // the sweep's own period, an operational setting (not a clock policy), made short to watch it
    const workers = await startTestWorkers(ctx, ['sla-sweep'], { env: { SLA_SWEEP_EVERY_MS: 1000 } });
    try {
      const queue = ctx.jobs.queue('sla-sweep');
      expect(await queue.getJobScheduler('sla-sweep')).toBeDefined();
      await deleteRedisPrefix(ctx.env.QUEUE_PREFIX); // a flush, scoped to this file's keys
      expect(await queue.getJobScheduler('sla-sweep')).toBeUndefined();
      const back = await waitUntil(() => queue.getJobScheduler('sla-sweep'));
      expect(back!.every).toBe(1000);
    } finally {
      await workers.stop();
    }
  });
});
