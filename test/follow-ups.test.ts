import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../src/kernel/clock.js';
import { runSweep } from '../src/modules/sla/sla.service.js';
import { processFollowUpDue } from '../src/modules/follow-up/follow-up.worker.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { breachesOf, forward, setStatus, submit, type Submitted } from './helpers/sla-fixtures.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator' }));
});
afterAll(async () => ctx?.close());

const listed = async (state: string) => {
  const res = await api.get(`/api/v1/follow-ups?state=${state}`, coordinator.token);
  expect(res.status).toBe(200);
  return res.body.items as any[];
};

async function forwardedSubmission(idx: number[]): Promise<{ s: Submitted; followUpId: string; dueAt: Date }> {
  const s = await submit(api, worker, q, idx);
  const f = await forward(ctx, s.referrals.map((r) => r.id));
  return { s, followUpId: f.followUpId, dueAt: f.dueAt };
}

describe('the worklist', () => {
  it('shows a follow-up as due on the working day after the last contact deadline, and not before', async () => {
    const { s, followUpId, dueAt } = await forwardedSubmission([0, 15]);
    // received Monday 5 January: the fire service's 14 days end on Tuesday 20 January, the advice
    // team's 10 on Friday 16: the hub's call is on Wednesday 21 January, by closing time
    expect(dueAt.toISOString()).toBe('2026-01-21T17:00:00.000Z');

    ctx.clock.set('2026-01-20T23:59:00Z');
    expect((await listed('due')).map((f) => f.id)).not.toContain(followUpId);
    expect((await listed('upcoming')).map((f) => f.id)).toContain(followUpId);
    expect((await processFollowUpDue({ id: 'j', data: { followUpId } }, ctx)).state).toBe('not_yet_due');

    // its day has come: due now, all day, until the breach at 17:00
    ctx.clock.set('2026-01-21T00:00:00Z');
    const item = (await listed('due')).find((f) => f.id === followUpId);
    expect(item).toBeDefined();
    expect(item.submissionReference).toBe(s.reference);
    expect(item.person).toMatchObject({ givenName: 'Ada', phone: '020 7946 0123', preferredContact: 'phone' });
    expect(item.referrals.map((r: any) => r.reference)).toEqual(s.referrals.map((r) => r.reference).sort());
    expect(item.referrals.every((r: any) => r.status === 'forwarded' && r.agencyName && r.needsMet === null)).toBe(true);
    expect(item.attempts).toEqual([]);
    expect((await processFollowUpDue({ id: 'j', data: { followUpId } }, ctx)).state).toBe('due');

    // reading the worklist (names, phone numbers) is audited
    const audit = await ctx.db.selectFrom('auditLog').select('actorUserId').where('entityId', '=', s.id).execute();
    expect(audit.some((a) => a.actorUserId === coordinator.id)).toBe(true);
  });

  it('is for the hub only, and answers 400 for a bad state', async () => {
    expect((await api.get('/api/v1/follow-ups?state=due', worker.token)).status).toBe(403);
    const bad = await api.get('/api/v1/follow-ups?state=soon', coordinator.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('state');
  });
});

describe('recording a follow-up', () => {
  it('keeps an attempt that did not reach the person, and the follow-up stays due', async () => {
    const { followUpId, dueAt } = await forwardedSubmission([3]);
    ctx.clock.set(dueAt);
    const res = await api.post(`/api/v1/follow-ups/${followUpId}`, coordinator.token, { contactMade: false, note: 'no answer' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('scheduled');
    const item = (await listed('due')).find((f) => f.id === followUpId);
    expect(item.attempts).toEqual([expect.objectContaining({ contactMade: false, note: 'no answer', byUserId: coordinator.id })]);
  });

  it('needs an outcome for every referral that reached an agency, and only for this submission’s referrals', async () => {
    const { s, followUpId, dueAt } = await forwardedSubmission([0, 15]);
    const other = await forwardedSubmission([3]);
    ctx.clock.set(dueAt);
    const [a, b] = s.referrals;

    let res = await api.post(`/api/v1/follow-ups/${followUpId}`, coordinator.token, { contactMade: true, outcomes: [{ referralId: a!.id, needsMet: 'yes' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'outcomes', message: expect.stringContaining(b!.reference) }]);

    res = await api.post(`/api/v1/follow-ups/${followUpId}`, coordinator.token, {
      contactMade: true,
      outcomes: [
        { referralId: a!.id, needsMet: 'yes' },
        { referralId: b!.id, needsMet: 'no' },
        { referralId: other.s.referrals[0]!.id, needsMet: 'yes' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.path)).toEqual(['outcomes.2.referralId']);

    res = await api.post(`/api/v1/follow-ups/${followUpId}`, coordinator.token, { contactMade: true, outcomes: [{ referralId: a!.id, needsMet: 'maybe' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.path)).toEqual(['outcomes.0.needsMet']);

    // nothing was recorded by the refused requests
    const attempts = await ctx.db.selectFrom('followUpAttempts').select('id').where('followUpId', '=', followUpId).execute();
    expect(attempts).toEqual([]);
    expect((await api.post(`/api/v1/follow-ups/${crypto.randomUUID()}`, coordinator.token, { contactMade: false })).status).toBe(404);
  });

  it('completes the follow-up, resolves its T3 breaches with late_by, and leaves the submission open while referrals are open', async () => {
    const { s, followUpId, dueAt } = await forwardedSubmission([0, 15]);
    ctx.clock.set(new Date(dueAt.getTime() + 2 * HOUR));
    await runSweep(ctx);
    const ids = s.referrals.map((r) => r.id);
    expect((await breachesOf(ctx, ids)).filter((b) => b.clock === 'follow_up' && !b.resolvedAt)).toHaveLength(2);

    const res = await api.post(`/api/v1/follow-ups/${followUpId}`, coordinator.token, {
      contactMade: true,
      note: 'spoke to her',
      outcomes: s.referrals.map((r) => ({ referralId: r.id, needsMet: 'partly' })),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', submissionClosed: false });
    const t3 = (await breachesOf(ctx, ids)).filter((b) => b.clock === 'follow_up');
    expect(t3.map((b) => b.lateBySeconds)).toEqual([7200, 7200]);
    const refs = await ctx.db.selectFrom('referrals').select('followedUpAt').where('id', 'in', ids).execute();
    expect(refs.every((r) => r.followedUpAt?.getTime() === ctx.clock.now().getTime())).toBe(true);
    expect((await ctx.db.selectFrom('submissions').select('status').where('id', '=', s.id).executeTakeFirstOrThrow()).status).toBe('open');
    expect((await listed('completed')).find((f) => f.id === followUpId).referrals.map((r: any) => r.needsMet)).toEqual(['partly', 'partly']);

    const again = await api.post(`/api/v1/follow-ups/${followUpId}`, coordinator.token, { contactMade: false });
    expect(again.status).toBe(409);
  });

  it('closes the submission when every referral is terminal, with the closing notification to the submitter', async () => {
    const { s, followUpId, dueAt } = await forwardedSubmission([0, 3, 15]);
    ctx.clock.set(dueAt);
    const [a, b, c] = s.referrals;
    await setStatus(ctx, a!.id, 'completed');
    await setStatus(ctx, b!.id, 'completed');
    await setStatus(ctx, c!.id, 'cancelled');
    // a cancelled referral is not asked about
    const res = await api.post(`/api/v1/follow-ups/${followUpId}`, coordinator.token, {
      contactMade: true,
      outcomes: [
        { referralId: a!.id, needsMet: 'yes' },
        { referralId: b!.id, needsMet: 'not_yet' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.submissionClosed).toBe(true);
    const sub = await ctx.db.selectFrom('submissions').select(['status', 'closedAt']).where('id', '=', s.id).executeTakeFirstOrThrow();
    expect(sub).toEqual({ status: 'closed', closedAt: ctx.clock.now() });
    const mail = await ctx.db.selectFrom('notifications').selectAll().where('submissionId', '=', s.id).where('kind', '=', 'submission_closed').execute();
    expect(mail).toHaveLength(1);
    expect(mail[0]!.recipient).toMatch(/^link_worker-/);
    expect(mail[0]!.bodyText).toContain(`${a!.reference}`);
    expect(mail[0]!.bodyText).toContain('needs met at follow-up: not yet');
    // dispatched after commit: the notify job is in Redis
    expect(await ctx.jobs.queue('notify').getJobState(`notify-${mail[0]!.id}`)).toBe('waiting');
  });
});
