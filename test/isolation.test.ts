/**
 * Agency isolation through every endpoint: an agency user never reads or changes another
 * agency's referral (it gets 404, as if it did not exist), sees only the questions that
 * flagged its own referral, and never the rest of the person's answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from './helpers/context.js';
import { makeUser, type TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { markForwarded, submit, type SubmittedReferral } from './helpers/referrals.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let fireUser: TestUser;
let policeUser: TestUser;
let fireRef: SubmittedReferral;
let policeRef: SubmittedReferral;
let adviceRef: SubmittedReferral;
let laterPoliceId: string;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator, fireUser, policeUser } = await createWorld({
    worker: 'link_worker',
    coordinator: 'coordinator',
    fireUser: { agencyOf: 0 },
    policeUser: { agencyOf: 1 },
  }));
  const [fire, police, benefits, debts] = [q.questions[0]!, q.questions[1]!, q.questions[15]!, q.questions[16]!];
  // one person, three agencies: fire, police, and advice (flagged by two questions)
  const s = await submit(api, worker, q, [fire.id, police.id, benefits.id, debts.id]);
  fireRef = s.byAgency.get(fire.agencyId)!;
  policeRef = s.byAgency.get(police.agencyId)!;
  adviceRef = s.byAgency.get(benefits.agencyId)!;
  for (const r of [fireRef, policeRef, adviceRef]) await markForwarded(ctx, r.id);
  // a second submission for police only, a minute later: the newest in every list
  ctx.clock.advance(60_000);
  const other = await submit(api, worker, q, [police.id]);
  laterPoliceId = other.referrals[0]!.id;
  await markForwarded(ctx, laterPoliceId);
});
afterAll(async () => ctx?.close());

const statusOf = async (id: string) => (await ctx.db.selectFrom('referrals').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
const eventCount = async (id: string) => (await ctx.db.selectFrom('referralEvents').select('id').where('referralId', '=', id).execute()).length;

describe('list', () => {
  it("shows an agency only its own referrals, whatever filter it asks for", async () => {
    const fire = await api.get('/api/v1/referrals', fireUser.token);
    expect(fire.status).toBe(200);
    expect(fire.body.items.map((x: any) => x.id)).toEqual([fireRef.id]);
    const police = await api.get('/api/v1/referrals?status=forwarded', policeUser.token);
    expect(police.body.items).toHaveLength(2);
    expect(police.body.items.every((x: any) => x.agencyId === policeRef.agencyId)).toBe(true);
    const asking = await api.get(`/api/v1/referrals?agencyId=${policeRef.agencyId}`, fireUser.token);
    expect(asking.status).toBe(200);
    expect(asking.body).toEqual({ items: [], nextCursor: null });
    // the hub sees all four
    const hub = await api.get('/api/v1/referrals', coordinator.token);
    expect(hub.body.items).toHaveLength(4);
  });

  it('does not let a cursor carry an agency past its own referrals', async () => {
    // every cursor the hub is handed, walking its list one referral at a time (newest first)
    const order: string[] = [];
    const cursors: string[] = [];
    for (let query = '?limit=1'; ; ) {
      const page = await api.get<{ items: { id: string }[]; nextCursor: string | null }>(`/api/v1/referrals${query}`, coordinator.token);
      expect(page.status).toBe(200);
      order.push(...page.body.items.map((x) => x.id));
      if (!page.body.nextCursor) break;
      cursors.push(page.body.nextCursor);
      query = `?limit=1&cursor=${page.body.nextCursor}`;
    }
    expect(order).toHaveLength(4);
    expect(cursors).toHaveLength(3);
    // the later police referral comes first, so the first cursor lies before the fire service's referral
    expect(order[0]).toBe(laterPoliceId);
    expect(order.indexOf(fireRef.id)).toBeGreaterThan(0);
    // with each of them the fire service sees exactly its own referrals after that point
    for (const [i, cursor] of cursors.entries()) {
      const page = await api.get(`/api/v1/referrals?cursor=${cursor}`, fireUser.token);
      expect(page.status).toBe(200);
      expect(page.body.items.map((x: any) => x.id), `after ${i + 1} of the hub's referrals`).toEqual(order.slice(i + 1).filter((id) => id === fireRef.id));
    }
  });

  it('forbids link workers', async () => {
    expect((await api.get('/api/v1/referrals', worker.token)).status).toBe(403);
  });
});

describe('read', () => {
  it("answers 404 for another agency's referral and for link workers, and audits nothing for them", async () => {
    for (const [user, id] of [
      [fireUser, policeRef.id],
      [policeUser, fireRef.id],
      [fireUser, adviceRef.id],
      [worker, fireRef.id],
    ] as const) {
      const res = await api.get(`/api/v1/referrals/${id}`, user.token);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      expect(JSON.stringify(res.body)).not.toContain('Ada');
    }
    const audits = await ctx.db.selectFrom('auditLog').select('actorUserId').where('entity', '=', 'referral').where('action', '=', 'read').execute();
    expect(audits).toEqual([]);
  });

  it('shows an agency its own referral with only the questions that flagged it, and audits the read', async () => {
    const res = await api.get(`/api/v1/referrals/${adviceRef.id}`, await tokenFor(adviceRef.agencyId));
    expect(res.status).toBe(200);
    expect(res.body.questions.map((x: any) => x.id)).toEqual([q.questions[15]!.id, q.questions[16]!.id]);
    const text = JSON.stringify(res.body);
    for (const other of [q.questions[0]!, q.questions[1]!]) {
      expect(text).not.toContain(other.id);
      expect(text).not.toContain(other.text);
    }
    expect(res.body).not.toHaveProperty('answers');
    expect(res.body.allowedNext).not.toContain('cancelled');

    const mine = await api.get(`/api/v1/referrals/${fireRef.id}`, fireUser.token);
    expect(mine.body.questions).toEqual([{ id: q.questions[0]!.id, text: q.questions[0]!.text }]);
    const audit = await ctx.db.selectFrom('auditLog').selectAll().where('entityId', '=', fireRef.id).where('action', '=', 'read').execute();
    expect(audit).toEqual([expect.objectContaining({ actorUserId: fireUser.id, action: 'read', entity: 'referral' })]);
  });
});

describe('transitions', () => {
  it("answers 404 to an agency moving another agency's referral, and changes nothing", async () => {
    const before = await eventCount(policeRef.id);
    for (const body of [{ to: 'acknowledged' }, { to: 'rejected', reason: 'not ours' }, { to: 'contacted' }]) {
      const res = await api.post(`/api/v1/referrals/${policeRef.id}/transitions`, fireUser.token, body);
      expect(res.status).toBe(404);
    }
    expect(await statusOf(policeRef.id)).toBe('forwarded');
    expect(await eventCount(policeRef.id)).toBe(before);
    // its own referral moves
    const own = await api.post(`/api/v1/referrals/${fireRef.id}/transitions`, fireUser.token, { to: 'acknowledged' });
    expect(own.status).toBe(200);
    expect(await statusOf(fireRef.id)).toBe('acknowledged');
  });

  it('forbids link workers from moving any referral', async () => {
    const res = await api.post(`/api/v1/referrals/${policeRef.id}/transitions`, worker.token, { to: 'cancelled', reason: 'x' });
    expect(res.status).toBe(403);
    expect(await statusOf(policeRef.id)).toBe('forwarded');
  });
});

describe('management endpoints', () => {
  it('keeps agency users out of agency and questionnaire management', async () => {
    expect((await api.post('/api/v1/agencies', fireUser.token, { name: 'x', email: 'x@example.org' })).status).toBe(403);
    expect((await api.patch(`/api/v1/agencies/${policeRef.agencyId}`, fireUser.token, { status: 'paused' })).status).toBe(403);
    expect((await api.post('/api/v1/questionnaires', fireUser.token, {})).status).toBe(403);
    expect((await api.post(`/api/v1/questionnaires/${q.id}/publish`, fireUser.token)).status).toBe(403);
    const police = await ctx.db.selectFrom('agencies').select('status').where('id', '=', policeRef.agencyId).executeTakeFirstOrThrow();
    expect(police.status).toBe('active');
  });
});

async function tokenFor(agencyId: string): Promise<string> {
  return (await makeUser(ctx, 'agency', agencyId)).token;
}
