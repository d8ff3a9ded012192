/**
 * Edges of the lifecycle where a submission could be stranded open, closed too early, or a
 * referral never sent again: each found in review, each pinned here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { markForwarded, moveThrough, submit } from './helpers/referrals.js';
import { scheduleFollowUp } from '../src/modules/follow-up/follow-up.service.js';
import { addDays } from '../src/kernel/clock.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let hub: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, hub } = await createWorld({ worker: 'link_worker', hub: 'coordinator' }));
});
afterAll(async () => ctx?.close());

const submissionStatus = async (id: string) => (await ctx.db.selectFrom('submissions').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

describe('closing and reopening', () => {
  it('closes a submission whose referrals all ended before any was forwarded', async () => {
    const s = await submit(api, worker, q, [q.questions[0]!.id]);
    await moveThrough(api, hub.token, s.referrals[0]!.id, [{ to: 'cancelled', reason: 'consent withdrawn' }]);
    expect(await submissionStatus(s.submissionId)).toBe('closed');
    const mail = await ctx.db.selectFrom('notifications').select('kind').where('submissionId', '=', s.submissionId).execute();
    expect(mail.map((m) => m.kind)).toEqual(['submission_closed']);
  });

  it('reopens a closed submission when one of its referrals is reopened', async () => {
    // reopening needs a referral that reached its agency: forward one, complete it, close it
    const t = await submit(api, worker, q, [q.questions[3]!.id]);
    const r = t.referrals[0]!.id;
    await markForwarded(ctx, r);
    await moveThrough(api, hub.token, r, [{ to: 'contacted' }, { to: 'completed', outcome: 'advice_given' }]);
    // every referral has ended, but the hub has not made its call yet: still open
    expect(await submissionStatus(t.submissionId)).toBe('open');
    const followUp = await ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', t.submissionId).executeTakeFirstOrThrow();
    const call = await api.post(`/api/v1/follow-ups/${followUp.id}`, hub.token, { contactMade: true, outcomes: [{ referralId: r, needsMet: 'partly' }] });
    expect(call.status).toBe(200);
    expect(await submissionStatus(t.submissionId)).toBe('closed');
    await moveThrough(api, hub.token, r, [{ to: 'accepted', note: 'the person rang back: not finished' }]);
    expect(await submissionStatus(t.submissionId)).toBe('open');
  });
});

describe('re-routing', () => {
  it('refuses a target agency that already has a live referral from the same checklist', async () => {
    const [a, b] = [q.questions[0]!, q.questions[4]!];
    const s = await submit(api, worker, q, [a.id, b.id]);
    const ra = s.byAgency.get(a.agencyId)!;
    await markForwarded(ctx, ra.id);
    await moveThrough(api, hub.token, ra.id, [{ to: 'rejected', reason: 'outside our area' }]);
    const res = await api.post(`/api/v1/referrals/${ra.id}/transitions`, hub.token, { to: 'rerouted', targetAgencyId: b.agencyId });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('targetAgencyId');
    const other = await api.post(`/api/v1/referrals/${ra.id}/transitions`, hub.token, { to: 'rerouted', targetAgencyId: q.questions[6]!.agencyId });
    expect(other.status).toBe(200);
  });
});

describe('sending a refused referral again', () => {
  it('removes the failed forward job and enqueues a fresh one', async () => {
    const s = await submit(api, worker, q, [q.questions[7]!.id]);
    const id = s.referrals[0]!.id;
    const connection = new Redis(ctx.env.REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('forward', { connection, prefix: ctx.env.QUEUE_PREFIX });
    // the intake's batch job is taken by the stand-in too; the referral's own job is the one that fails
    await ctx.jobs.enqueue('forward-referral', { referralId: id });
    // a stand-in for the mail server refusing for good: the job fails permanently
    const w = new Worker('forward', async () => { throw new UnrecoverableError('550 mailbox unavailable'); }, { connection, prefix: ctx.env.QUEUE_PREFIX });
    try {
      for (let i = 0; i < 100 && (await queue.getJobState(`forward-${id}`)) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await queue.getJobState(`forward-${id}`)).toBe('failed');
      await w.close();
      await sql`UPDATE referrals SET status = 'forward_failed' WHERE id = ${id}`.execute(ctx.db);
      await moveThrough(api, hub.token, id, [{ to: 'pending', note: 'agency address corrected' }]);
      expect(await queue.getJobState(`forward-${id}`)).toBe('waiting');
    } finally {
      await w.close();
      await queue.close();
      connection.disconnect();
    }
  });
});

describe('follow-up scheduling', () => {
  it('puts a recorded follow-up back on the worklist for a referral forwarded after the call', async () => {
    const [a, b] = [q.questions[8]!, q.questions[9]!];
    const s = await submit(api, worker, q, [a.id, b.id]);
    const ra = s.byAgency.get(a.agencyId)!;
    const rb = s.byAgency.get(b.agencyId)!;
    const deps = { ids: ctx.ids };
    const due = addDays(ctx.clock.now(), 15);
    const { followUpId } = await scheduleFollowUp(ctx.db, deps, s.submissionId, due, ctx.clock.now(), ra.id);
    await ctx.db.updateTable('followUps').set({ status: 'completed', completedAt: ctx.clock.now() }).where('id', '=', followUpId).execute();
    await ctx.db.insertInto('followUpOutcomes').values({ followUpId, referralId: ra.id, needsMet: 'yes', recordedAt: ctx.clock.now(), recordedBy: hub.id }).execute();

    // a repeat for the referral the call covered changes nothing
    await scheduleFollowUp(ctx.db, deps, s.submissionId, due, ctx.clock.now(), ra.id);
    expect((await ctx.db.selectFrom('followUps').select('status').where('id', '=', followUpId).executeTakeFirstOrThrow()).status).toBe('completed');
    // one the call never covered reopens it
    await scheduleFollowUp(ctx.db, deps, s.submissionId, due, ctx.clock.now(), rb.id);
    const f = await ctx.db.selectFrom('followUps').select(['status', 'completedAt']).where('id', '=', followUpId).executeTakeFirstOrThrow();
    expect(f).toEqual({ status: 'scheduled', completedAt: null });
  });
});
