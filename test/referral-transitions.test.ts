/** Transitions under concurrency, and the side effects that belong to a step (breaches, alerts, re-routing, closure). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { TestContext } from './helpers/context.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import type { TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { markForwarded, moveThrough, submit, referralKit } from './helpers/referrals.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let fireUser: TestUser;
let redis: Redis;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator, fireUser } = await createWorld({
    worker: 'link_worker',
    coordinator: 'coordinator',
    fireUser: { agencyOf: 0 },
  }));
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis?.disconnect();
  await ctx?.close();
});

const { fireQ, policeQ, move, events, forwardedFireReferral } = referralKit(() => ({ ctx, api, q, worker }));

describe('POST /api/v1/referrals/:id/transitions: concurrency and side effects', () => {
  it('lets exactly one of two concurrent moves win; the other gets 409', async () => {
    const { ref } = await forwardedFireReferral();
    const [a, b] = await Promise.all([
      // mutually exclusive: neither is allowed after the other
      move(ref.id, fireUser.token, { to: 'declined', reason: 'the person said no' }),
      move(ref.id, coordinator.token, { to: 'rejected', reason: 'not our area' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    const winner = a.status === 200 ? a : b;
    expect(loser.body.error.code).toBe('illegal_transition');
    expect(loser.body.error.details.from).toBe(winner.body.status);
    const history = await events(ref.id);
    expect(history.map((e) => e.toStatus)).toEqual(['pending', 'forwarded', winner.body.status]);
    const row = await ctx.db.selectFrom('referrals').select('status').where('id', '=', ref.id).executeTakeFirstOrThrow();
    expect(row.status).toBe(winner.body.status);
  });

  it('answers 409 with the fresh allowed list when the referral moved between the read and the update', async () => {
    const { ref } = await forwardedFireReferral();
    // Hold the row lock so that both requests read 'forwarded', then queue on their conditional UPDATEs.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = ctx.db.transaction().execute(async (trx) => {
      await trx.selectFrom('referrals').select('id').where('id', '=', ref.id).forUpdate().execute();
      locked();
      await held;
    });
    await isLocked;
    const requests = Promise.all([
      move(ref.id, fireUser.token, { to: 'acknowledged' }),
      move(ref.id, fireUser.token, { to: 'contacted' }),
    ]);
    const waiting = async () =>
      Number(
        (
          await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(ctx.db)
        ).rows[0]!.n,
      );
    for (let i = 0; i < 200 && (await waiting()) < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await waiting()).toBe(2);
    release();
    await holder;
    const [a, b] = await requests;
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = a.status === 200 ? a : b;
    const loser = a.status === 409 ? a : b;
    expect(loser.body.error.details.from).toBe(winner.body.status);
    expect(loser.body.error.details.allowed).toEqual(winner.body.allowedNext);
    expect((await events(ref.id)).map((e) => e.toStatus)).toEqual(['pending', 'forwarded', winner.body.status]);
  });

  it("resolves the contact breach when the person is reached", async () => {
    const { ref } = await forwardedFireReferral();
    const due = new Date(ctx.clock.now().getTime() + 14 * 86_400_000);
    ctx.clock.advance(15 * 86_400_000);
    await ctx.db
      .insertInto('slaBreaches')
      .values({ id: ctx.ids.uuid(), referralId: ref.id, agencyId: ref.agencyId, clock: 'contact', dueAt: due, detectedAt: ctx.clock.now() })
      .execute();
    await moveThrough(api, fireUser.token, ref.id, [{ to: 'contacted' }]);
    const breach = await ctx.db.selectFrom('slaBreaches').selectAll().where('referralId', '=', ref.id).executeTakeFirstOrThrow();
    expect(breach.resolvedAt).toEqual(ctx.clock.now());
    expect(breach.lateBySeconds).toBe(86_400);
  });

  it('alerts a coordinator on rejection, and the hub re-routes it to another agency', async () => {
    const { ref, reference } = await forwardedFireReferral();
    const rejected = await move(ref.id, fireUser.token, { to: 'rejected', reason: 'outside our area' });
    expect(rejected.status).toBe(200);
    const alert = await ctx.db.selectFrom('alerts').selectAll().where('referralId', '=', ref.id).executeTakeFirstOrThrow();
    expect(alert).toMatchObject({ kind: 'referral_rejected', resolvedAt: null, message: `Referral ${ref.reference} was rejected; re-route it` });
    const mail = await ctx.db.selectFrom('notifications').selectAll().where('referralId', '=', ref.id).executeTakeFirstOrThrow();
    expect(mail).toMatchObject({ kind: 'coordinator_alert', recipient: ctx.env.COORDINATOR_ALERT_EMAIL, status: 'queued' });
    expect(mail.bodyText).not.toContain('Ada');
    const notify = new Queue('notify', { connection: redis, prefix: ctx.env.QUEUE_PREFIX });
    expect((await notify.getJob(`notify-${mail.id}`))?.data).toMatchObject({ notificationId: mail.id });
    await notify.close();

    // re-routing is the hub's; the target must be another, active agency
    expect((await move(ref.id, fireUser.token, { to: 'rerouted', targetAgencyId: policeQ().agencyId })).status).toBe(409);
    expect((await move(ref.id, coordinator.token, { to: 'rerouted' })).body.error.details[0].path).toBe('targetAgencyId');
    const same = await move(ref.id, coordinator.token, { to: 'rerouted', targetAgencyId: ref.agencyId });
    expect(same.status).toBe(400);
    expect(same.body.error.details).toEqual([{ path: 'targetAgencyId', message: 'must be another agency than this referral’s' }]);
    const paused = await api.post('/api/v1/agencies', coordinator.token, { name: 'Paused fire partner', email: 'p@example.org', status: 'paused' });
    expect((await move(ref.id, coordinator.token, { to: 'rerouted', targetAgencyId: paused.body.id })).body.error.details[0].message).toBe('this agency is paused');

    const target = q.questions[3]!.agencyId; // falls prevention
    ctx.clock.advance(3_600_000);
    const res = await move(ref.id, coordinator.token, { to: 'rerouted', targetAgencyId: target, note: 'falls team will visit' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('rerouted');
    const replacement = res.body.replacement;
    expect(replacement).toMatchObject({ reference: `${reference}-1R`, agencyId: target, status: 'pending' });
    expect(res.body.reroutedToId).toBe(replacement.id);

    const rows = await ctx.db.selectFrom('referrals').selectAll().where('id', 'in', [ref.id, replacement.id]).execute();
    const oldRow = rows.find((r) => r.id === ref.id)!;
    const newRow = rows.find((r) => r.id === replacement.id)!;
    expect(oldRow).toMatchObject({ status: 'rerouted', reroutedToId: newRow.id, closedAt: ctx.clock.now() });
    expect(newRow).toMatchObject({
      status: 'pending',
      reroutedFromId: oldRow.id,
      submissionId: oldRow.submissionId,
      questionIds: oldRow.questionIds,
      receivedAt: ctx.clock.now(),
      forwardDueAt: new Date(ctx.clock.now().getTime() + 24 * 3600_000),
    });
    expect((await events(newRow.id)).map((e) => [e.fromStatus, e.toStatus, e.actorUserId])).toEqual([[null, 'pending', coordinator.id]]);
    expect((await events(oldRow.id)).map((e) => e.toStatus)).toEqual(['pending', 'forwarded', 'rejected', 'rerouted']);
    const resolved = await ctx.db.selectFrom('alerts').select(['resolvedAt', 'resolvedBy']).where('id', '=', alert.id).executeTakeFirstOrThrow();
    expect(resolved).toEqual({ resolvedAt: ctx.clock.now(), resolvedBy: coordinator.id });

    const forward = new Queue('forward', { connection: redis, prefix: ctx.env.QUEUE_PREFIX });
    const job = await forward.getJob(`forward-${newRow.id}`);
    await forward.close();
    expect(job?.data).toEqual({ referralId: newRow.id, requestId: res.headers.get('x-request-id') });

    // both directions are visible in the detail view
    const detail = await api.get(`/api/v1/referrals/${newRow.id}`, coordinator.token);
    expect(detail.body).toMatchObject({ reroutedFromId: oldRow.id, reroutedToId: null, agencyId: target });
    expect(detail.body.questions).toEqual([{ id: fireQ().id, text: fireQ().text }]);
  });

  it('closes the submission and mails the submitter when its last referral closes after the follow-up', async () => {
    const s = await submit(api, worker, q, [fireQ().id]);
    const ref = s.referrals[0]!;
    await markForwarded(ctx, ref.id);
    // the hub's call is made (the person says the need is met) before the agency closes it
    const followUp = await ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', s.submissionId).executeTakeFirstOrThrow();
    const call = await api.post(`/api/v1/follow-ups/${followUp.id}`, coordinator.token, { contactMade: true, outcomes: [{ referralId: ref.id, needsMet: 'yes' }] });
    expect(call.status).toBe(200);
    await moveThrough(api, fireUser.token, ref.id, [{ to: 'contacted' }]);
    const open = await ctx.db.selectFrom('submissions').select('status').where('id', '=', s.submissionId).executeTakeFirstOrThrow();
    expect(open.status).toBe('open');
    await moveThrough(api, fireUser.token, ref.id, [{ to: 'completed', outcome: 'advice_given' }]);
    const closed = await ctx.db.selectFrom('submissions').select(['status', 'closedAt']).where('id', '=', s.submissionId).executeTakeFirstOrThrow();
    expect(closed).toEqual({ status: 'closed', closedAt: ctx.clock.now() });
    const mail = await ctx.db.selectFrom('notifications').selectAll().where('submissionId', '=', s.submissionId).executeTakeFirstOrThrow();
    expect(mail.kind).toBe('submission_closed');
    expect(mail.bodyText).toContain(`- ${ref.reference}: completed (advice given); needs met at follow-up: yes\n  Agency: Fire & rescue: home fire safety visits\n`);
    const notify = new Queue('notify', { connection: redis, prefix: ctx.env.QUEUE_PREFIX });
    expect((await notify.getJob(`notify-${mail.id}`))?.data).toMatchObject({ notificationId: mail.id });
    await notify.close();
  });

});

describe('the hub ends a referral its agency has', () => {
  const endedMail = (referralId: string) =>
    ctx.db.selectFrom('notifications').select(['kind', 'recipient', 'subject', 'bodyText']).where('referralId', '=', referralId).where('kind', '=', 'referral_ended').execute();

  it('tells the agency to stop work on it, by reference only, when it was cancelled or declined', async () => {
    const { ref } = await forwardedFireReferral();
    const res = await move(ref.id, coordinator.token, { to: 'cancelled', reason: 'She died last week; her son rang' });
    expect(res.status).toBe(200);
    const agency = await ctx.db.selectFrom('agencies').select(['email', 'name']).where('id', '=', fireQ().agencyId).executeTakeFirstOrThrow();
    const [mail, ...more] = await endedMail(ref.id);
    expect(more).toEqual([]);
    expect(mail).toMatchObject({ recipient: agency.email, subject: `Signpost referral ${ref.reference}: cancelled, please stop work on it` });
    expect(mail!.bodyText).toContain(`The referral ${ref.reference} has ended. The hub has cancelled it.`);
    // the coordinator's words and the person stay in Signpost
    expect(mail!.bodyText).not.toMatch(/died|son rang|Ada|Test-|020 7946 0123/);

    const second = await forwardedFireReferral();
    expect((await move(second.ref.id, coordinator.token, { to: 'declined', reason: 'does not want a visit' })).status).toBe(200);
    expect((await endedMail(second.ref.id)).map((m) => m.subject)).toEqual([`Signpost referral ${second.ref.reference}: the person declined, please stop work on it`]);
  });

  it('sends nothing for a referral its agency never had, or a step the agency took itself', async () => {
    const pending = (await submit(api, worker, q, [policeQ().id])).referrals[0]!;
    expect((await move(pending.id, coordinator.token, { to: 'cancelled', reason: 'entered in error' })).status).toBe(200);
    expect(await endedMail(pending.id)).toEqual([]);
    const { ref } = await forwardedFireReferral();
    expect((await move(ref.id, fireUser.token, { to: 'declined', reason: 'the person said no' })).status).toBe(200);
    expect(await endedMail(ref.id)).toEqual([]);
  });
});
