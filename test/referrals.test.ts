import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { inDays, markForwarded, moveThrough, submit, referralKit } from './helpers/referrals.js';
import { COMPLETION_OUTCOMES } from '../src/kernel/referral-state.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let fireUser: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator, fireUser } = await createWorld({
    worker: 'link_worker',
    coordinator: 'coordinator',
    fireUser: { agencyOf: 0 },
  }));
});
afterAll(async () => ctx?.close());

const { fireQ, move, events, forwardedFireReferral } = referralKit(() => ({ ctx, api, q, worker }));

describe('GET /api/v1/referrals', () => {
  it('pages newest first with an opaque cursor, filtering by status and agency', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      ctx.clock.advance(60_000);
      const s = await submit(api, worker, q, [fireQ().id]);
      made.push(s.referrals[0]!.id);
    }
    await markForwarded(ctx, made[1]!);
    const fire = fireQ().agencyId;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = `?agencyId=${fire}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api.get(`/api/v1/referrals${qs}`, coordinator.token);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((x: any) => x.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen.slice(0, 5)).toEqual([...made].reverse());
    expect(new Set(seen).size).toBe(seen.length);

    const one = await api.get(`/api/v1/referrals?agencyId=${fire}&limit=1`, coordinator.token);
    expect(one.body.items[0]).toEqual({
      id: made[4],
      reference: expect.stringMatching(/^SP-[0-9A-Z]{4}-[0-9A-Z]{4}-1$/),
      submissionId: expect.any(String),
      agencyId: fire,
      agencyName: 'Fire & rescue: home fire safety visits',
      status: 'pending',
      person: { givenName: 'Ada', familyName: expect.stringMatching(/^Test-/) },
      receivedAt: ctx.clock.now().toISOString(),
      forwardDueAt: new Date(ctx.clock.now().getTime() + 24 * 3600_000).toISOString(),
      forwardedAt: null,
      // the hub's promise, stored when it was made: the day the 24 hours end (6 January) + 14 days, to its end
      contactDueAt: '2026-01-21T00:00:00.000Z',
      contactedAt: null,
      closedAt: null,
    });

    const forwarded = await api.get('/api/v1/referrals?status=forwarded,on_hold', coordinator.token);
    expect(forwarded.body.items.map((x: any) => x.id)).toEqual([made[1]]);
    expect(forwarded.body.nextCursor).toBeNull();
  });

  it('pages past rows received in the same millisecond without skipping one (the cursor keeps microseconds)', async () => {
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await submit(api, worker, q, [fireQ().id])).referrals[0]!.id);
    // the newest three, a microsecond apart within one millisecond
    const base = new Date(ctx.clock.now().getTime() + 86_400_000).toISOString();
    for (const [i, id] of made.entries()) {
      await sql`UPDATE referrals SET received_at = ${base}::timestamptz + ${i + 1} * interval '1 microsecond' WHERE id = ${id}`.execute(ctx.db);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 3; page++) {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await api.get(`/api/v1/referrals?agencyId=${fireQ().agencyId}&limit=1${cursor ? `&cursor=${cursor}` : ''}`, coordinator.token);
      seen.push(...res.body.items.map((x: { id: string }) => x.id));
      cursor = res.body.nextCursor;
    }
    expect(seen).toEqual([...made].reverse());
  });

  it('answers 400 for a bad status, limit or cursor, and 403 for link workers', async () => {
    const bad = await api.get('/api/v1/referrals?status=pending,lost', coordinator.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toMatch(/^status/);
    expect((await api.get('/api/v1/referrals?limit=201', coordinator.token)).status).toBe(400);
    expect((await api.get('/api/v1/referrals?limit=0', coordinator.token)).status).toBe(400);
    const cursor = await api.get('/api/v1/referrals?cursor=not-a-cursor', coordinator.token);
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details).toEqual([{ path: 'cursor', message: 'is not a cursor this API returned' }]);
    expect((await api.get('/api/v1/referrals', worker.token)).status).toBe(403);
    expect((await api.get('/api/v1/referrals')).status).toBe(401);
  });
});

describe('GET /api/v1/referrals/:id', () => {
  it('shows the person, consent, flagged questions, history and next steps, and audits the read', async () => {
    const { ref } = await forwardedFireReferral();
    const res = await api.get(`/api/v1/referrals/${ref.id}`, coordinator.token);
    expect(res.status).toBe(200);
    expect(res.body.person).toEqual({
      givenName: 'Ada',
      familyName: expect.stringMatching(/^Test-/),
      dateOfBirth: expect.stringMatching(/^19[0-9]{2}-[0-9]{2}-[0-9]{2}$/),
      postcode: 'SE1 7PB',
      phone: '020 7946 0123',
      email: null,
      addressLine: null,
      preferredContact: 'phone',
      language: null,
      accessNeeds: null,
      nhsNumber: null,
    });
    expect(res.body.consent).toEqual({ by: 'person', representativeName: null, recordedAt: '2026-01-05T08:55:00Z' });
    expect(res.body.questions).toEqual([{ id: fireQ().id, text: fireQ().text }]);
    expect(res.body.events.map((e: any) => [e.fromStatus, e.toStatus])).toEqual([
      [null, 'pending'],
      ['pending', 'forwarded'],
    ]);
    expect(res.body.status).toBe('forwarded');
    expect(res.body.allowedNext).toEqual(['acknowledged', 'accepted', 'contacted', 'on_hold', 'unable_to_contact', 'declined', 'rejected', 'cancelled']);
    expect(res.body.forwardedAt).toBe(ctx.clock.now().toISOString());
    // the promise made at intake (6 January + 14 days, to the end of the 20th), not a count from forwarding
    expect(res.body.contactDueAt).toBe('2026-01-21T00:00:00.000Z');
    expect(res.body.heldUntil).toBeNull();
    const audit = await ctx.db.selectFrom('auditLog').selectAll().where('entityId', '=', ref.id).execute();
    expect(audit).toEqual([expect.objectContaining({ actorUserId: coordinator.id, action: 'read', entity: 'referral', requestId: res.headers.get('x-request-id') })]);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expect((await api.get('/api/v1/referrals/00000000-0000-4000-8000-000000000000', coordinator.token)).status).toBe(404);
    expect((await api.get('/api/v1/referrals/123', coordinator.token)).status).toBe(400);
  });
});

describe('POST /api/v1/referrals/:id/transitions', () => {
  it('walks a referral to completion, recording every step and its clocks', async () => {
    const { ref } = await forwardedFireReferral();
    ctx.clock.advance(3_600_000);
    await moveThrough(api, fireUser.token, ref.id, [{ to: 'acknowledged' }, { to: 'accepted', note: 'booked' }]);
    ctx.clock.advance(86_400_000);
    const contacted = await move(ref.id, fireUser.token, { to: 'contacted' });
    expect(contacted.status).toBe(200);
    expect(contacted.body.contactedAt).toBe(ctx.clock.now().toISOString());
    const firstContact = ctx.clock.now().toISOString();
    ctx.clock.advance(86_400_000);
    const held = await move(ref.id, fireUser.token, { to: 'on_hold', reason: 'in hospital', onHoldUntil: inDays(ctx, 7) });
    expect(held.body).toMatchObject({ status: 'on_hold', onHoldUntil: inDays(ctx, 7) });
    await moveThrough(api, fireUser.token, ref.id, [{ to: 'contacted' }]);
    const done = await move(ref.id, fireUser.token, { to: 'completed', outcome: 'service_provided', note: 'alarms fitted' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: 'completed',
      outcome: 'service_provided',
      onHoldUntil: null,
      contactedAt: firstContact,
      closedAt: ctx.clock.now().toISOString(),
      allowedNext: [],
    });
    const history = await events(ref.id);
    expect(history.map((e) => e.toStatus)).toEqual(['pending', 'forwarded', 'acknowledged', 'accepted', 'contacted', 'on_hold', 'contacted', 'completed']);
    expect(history.at(-1)).toMatchObject({ actorUserId: fireUser.id, actorLabel: fireUser.name, fromStatus: 'contacted', outcome: 'service_provided', note: 'alarms fitted' });
    expect(history[5]).toMatchObject({ reason: 'in hospital' });

    // the hub reopens a closed referral with a note
    const reopened = await move(ref.id, coordinator.token, { to: 'accepted', note: 'person asked again' });
    expect(reopened.body).toMatchObject({ status: 'accepted', closedAt: null, outcome: null });
    expect((await events(ref.id)).at(-1)).toMatchObject({ actorUserId: coordinator.id, fromStatus: 'completed', toStatus: 'accepted' });
  });

  it('answers 409 with the allowed next states for an illegal move, and records nothing', async () => {
    const { ref } = await forwardedFireReferral();
    const res = await move(ref.id, fireUser.token, { to: 'completed', outcome: 'service_provided' });
    expect(res.status).toBe(409);
    expect(res.body.error).toEqual({
      code: 'illegal_transition',
      message: 'a referral that is forwarded cannot move to completed',
      details: { from: 'forwarded', allowed: ['acknowledged', 'accepted', 'contacted', 'on_hold', 'unable_to_contact', 'declined', 'rejected'] },
    });
    // agencies cannot cancel or reopen: those are the hub's
    expect((await move(ref.id, fireUser.token, { to: 'cancelled', reason: 'x' })).status).toBe(409);
    expect((await events(ref.id)).map((e) => e.toStatus)).toEqual(['pending', 'forwarded']);
  });

  it('answers 400 naming a missing field, an unknown outcome or status, or a past hold date', async () => {
    const { ref } = await forwardedFireReferral();
    const noReason = await move(ref.id, fireUser.token, { to: 'rejected' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details).toEqual([{ path: 'reason', message: 'is required to move a referral to rejected' }]);
    const noDate = await move(ref.id, fireUser.token, { to: 'on_hold', reason: 'away' });
    expect(noDate.body.error.details[0].path).toBe('onHoldUntil');
    const past = await move(ref.id, fireUser.token, { to: 'on_hold', reason: 'away', onHoldUntil: inDays(ctx, -1) });
    expect(past.status).toBe(400);
    expect(past.body.error.details).toEqual([{ path: 'onHoldUntil', message: 'must not be in the past' }]);
    const badDate = await move(ref.id, fireUser.token, { to: 'on_hold', reason: 'away', onHoldUntil: '2026-02-30' });
    expect(badDate.body.error.details[0].path).toBe('onHoldUntil');
    expect((await move(ref.id, fireUser.token, { to: 'lost' })).body.error.details[0].path).toBe('to');

    await moveThrough(api, fireUser.token, ref.id, [{ to: 'contacted' }]);
    const outcome = await move(ref.id, fireUser.token, { to: 'completed', outcome: 'made_up' });
    expect(outcome.status).toBe(400);
    expect(outcome.body.error.details).toEqual([
      { path: 'outcome', message: `must be one of: ${COMPLETION_OUTCOMES.join(', ')}`, allowed: [...COMPLETION_OUTCOMES] },
    ]);
    expect((await events(ref.id)).map((e) => e.toStatus)).toEqual(['pending', 'forwarded', 'contacted']);
  });

  it('answers 403 for link workers, 404 for an unknown referral and 400 for a malformed body', async () => {
    const { ref } = await forwardedFireReferral();
    expect((await move(ref.id, worker.token, { to: 'acknowledged' })).status).toBe(403);
    expect((await move('00000000-0000-4000-8000-000000000000', coordinator.token, { to: 'acknowledged' })).status).toBe(404);
    expect((await move(ref.id, coordinator.token, { to: 'acknowledged', colour: 'red' })).status).toBe(400);
    expect((await move(ref.id, coordinator.token, 'not json' as never)).status).toBe(400);
    expect((await events(ref.id)).map((e) => e.toStatus)).toEqual(['pending', 'forwarded']);
  });
});
