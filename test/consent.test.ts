/**
 * Consent as a record, and its withdrawal, against the real Postgres, Redis and an SMTP sink:
 * every live referral in scope cancelled, each agency that had it told once by a mail with its
 * reference only, the agency's read without the person, the hub's follow-up cancelled, the
 * person's record showing it; and who may record it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../src/kernel/clock.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { randomDateOfBirth, uniqueLetters } from './helpers/people.js';
import { markForwarded, moveThrough } from './helpers/referrals.js';
import { settle, startTestSink, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';

let ctx: TestContext;
let sink: SmtpSink;
let workers: TestWorkers;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let worker: TestUser;
let otherWorker: TestUser;
let coordinator: TestUser;
let fireAgency: TestUser;

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  worker = await makeUser(ctx, 'link_worker');
  otherWorker = await makeUser(ctx, 'link_worker');
  coordinator = await makeUser(ctx, 'coordinator');
  fireAgency = await makeUser(ctx, 'agency', q.questions[0]!.agencyId);
  workers = await startTestWorkers(ctx, ['notify']);
});
afterAll(async () => {
  await workers?.stop();
  await ctx?.close();
  await sink?.stop();
});

const PERSON = () => ({ givenName: 'Agnes', familyName: `Vale-${uniqueLetters()}`, dateOfBirth: randomDateOfBirth(), postcode: 'SE1 7PB', phone: '020 7946 0303', preferredContact: 'phone' });
async function submit(person: object, yes: number[], by = worker, consent: object = {}) {
  const res = await api.post('/api/v1/submissions', by.token, submissionBody(q, yes.map((i) => q.questions[i]!.id), { person, consent }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; personId: string; referrals: { id: string; reference: string; agencyId: string }[] };
}
const referral = (id: string) => ctx.db.selectFrom('referrals').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const followUpOf = (submissionId: string) => ctx.db.selectFrom('followUps').selectAll().where('submissionId', '=', submissionId).executeTakeFirst();

describe('consent records', () => {
  it('keeps what the person agreed to on each checklist: by whom, for which agencies, when', async () => {
    const s = await submit(PERSON(), [0, 15], worker, { by: 'representative', representativeName: 'Joan Vale', representativeRelationship: 'daughter', recordedAt: '2026-01-05T08:50:00Z' });
    const rows = await ctx.db.selectFrom('consents').selectAll().where('personId', '=', s.personId).execute();
    expect(rows).toEqual([
      expect.objectContaining({
        submissionId: s.id,
        givenBy: 'representative',
        representativeName: 'Joan Vale',
        representativeRelationship: 'daughter',
        sharingAgreed: true,
        givenAt: new Date('2026-01-05T08:50:00Z'),
        recordedBy: worker.id,
      }),
    ]);
    expect([...rows[0]!.agencyIds].sort()).toEqual([q.questions[0]!.agencyId, q.questions[15]!.agencyId].sort());
  });
});

describe('POST /api/v1/people/:id/consent-withdrawals', () => {
  it('cancels every live referral in scope, tells each agency once by reference, and hides the person from it', async () => {
    const person = PERSON();
    const s = await submit(person, [0, 15]);
    const [fire, advice] = [s.referrals.find((r) => r.agencyId === q.questions[0]!.agencyId)!, s.referrals.find((r) => r.agencyId === q.questions[15]!.agencyId)!];
    await markForwarded(ctx, fire.id);
    // before: the fire service sees the person
    expect((await api.get(`/api/v1/referrals/${fire.id}`, fireAgency.token)).body.person.givenName).toBe('Agnes');

    ctx.clock.advance(DAY);
    const body = { reason: 'She has moved in with her daughter', recordedAt: ctx.clock.now().toISOString() };
    const res = await api.post(`/api/v1/people/${s.personId}/consent-withdrawals`, coordinator.token, body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ personId: s.personId, agencyIds: null, withdrawnAt: body.recordedAt });
    expect(res.body.cancelled.map((c: { id: string; agencyTold: boolean }) => [c.id, c.agencyTold]).sort()).toEqual(
      [
        [fire.id, true],
        // never forwarded: the advice team never had it, so nothing to tell
        [advice.id, false],
      ].sort(),
    );
    for (const id of [fire.id, advice.id]) {
      expect(await referral(id)).toMatchObject({ status: 'cancelled', closedAt: ctx.clock.now() });
      const events = await ctx.db.selectFrom('referralEvents').selectAll().where('referralId', '=', id).orderBy('id').execute();
      expect(events.at(-1)).toMatchObject({ toStatus: 'cancelled', reason: 'consent_withdrawn', note: body.reason, actorUserId: coordinator.id });
    }

    // the fire service's mail: once, its reference, nothing about the person
    const mails = await waitUntil(async () => {
      const m = await settle(sink, (x) => x.subject.includes(fire.reference) && x.subject.includes('consent withdrawn'));
      return m.length ? m : null;
    });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(fire.reference);
    for (const value of [person.givenName, person.familyName, person.phone, person.dateOfBirth, person.postcode]) expect(mails[0]!.raw).not.toContain(value);

    // the agency keeps the reference and status, not the person
    const read = await api.get(`/api/v1/referrals/${fire.id}`, fireAgency.token);
    expect(read.body).toMatchObject({ view: 'summary', status: 'cancelled', person: null, questions: null });

    // nothing left to ask the person about: the hub's call is cancelled and the checklist closed
    expect((await followUpOf(s.id))?.status).toBe('cancelled');
    expect((await ctx.db.selectFrom('submissions').select('status').where('id', '=', s.id).executeTakeFirstOrThrow()).status).toBe('closed');

    // the person's record shows it
    const record = await api.get(`/api/v1/people/${s.personId}`, coordinator.token);
    expect(record.body.withdrawals).toEqual([expect.objectContaining({ agencyIds: null, reason: body.reason, cancelledReferralIds: expect.arrayContaining([fire.id, advice.id]) })]);
    expect(record.body.timeline.map((e: { kind: string }) => e.kind)).toContain('consent_withdrawn');

    // recorded twice: nothing left to cancel, and no second mail
    const again = await api.post(`/api/v1/people/${s.personId}/consent-withdrawals`, coordinator.token, body);
    expect(again.status).toBe(201);
    expect(again.body.cancelled).toEqual([]);
    expect(await settle(sink, (x) => x.subject.includes(fire.reference) && x.subject.includes('consent withdrawn'))).toHaveLength(1);
  });

  it('withdraws for some agencies only: the others carry on, and so does the hub’s call for them', async () => {
    const s = await submit(PERSON(), [0, 15]);
    for (const r of s.referrals) await markForwarded(ctx, r.id);
    const fireId = q.questions[0]!.agencyId;
    const res = await api.post(`/api/v1/people/${s.personId}/consent-withdrawals`, coordinator.token, { agencyIds: [fireId], recordedAt: ctx.clock.now().toISOString() });
    expect(res.status).toBe(201);
    expect(res.body.cancelled.map((c: { agencyId: string }) => c.agencyId)).toEqual([fireId]);
    const statuses = await Promise.all(s.referrals.map(async (r) => [r.agencyId === fireId, (await referral(r.id)).status]));
    expect(statuses.sort()).toEqual([
      [false, 'forwarded'],
      [true, 'cancelled'],
    ]);
    expect((await followUpOf(s.id))?.status).toBe('scheduled');
  });

  it('hides the person from the agency on referrals that had already finished, but not on a later checklist’s', async () => {
    const person = PERSON();
    const s = await submit(person, [0]);
    const fire = s.referrals[0]!;
    await markForwarded(ctx, fire.id);
    await moveThrough(api, fireAgency.token, fire.id, [{ to: 'contacted', note: 'Visited; alarms fitted' }, { to: 'completed', outcome: 'service_provided' }]);
    const listed = async () =>
      ((await api.get(`/api/v1/referrals?agencyId=${q.questions[0]!.agencyId}&limit=100`, fireAgency.token)).body.items as { id: string; person: unknown }[]).find((x) => x.id === fire.id);
    expect((await api.get(`/api/v1/referrals/${fire.id}`, fireAgency.token)).body.person.givenName).toBe('Agnes');
    expect((await listed())!.person).not.toBeNull();

    ctx.clock.advance(DAY);
    const res = await api.post(`/api/v1/people/${s.personId}/consent-withdrawals`, coordinator.token, { agencyIds: [q.questions[0]!.agencyId], recordedAt: ctx.clock.now().toISOString() });
    expect(res.status).toBe(201);
    // nothing was live to cancel, yet the fire service no longer sees her on its finished referral
    expect(res.body.cancelled).toEqual([]);
    const read = await api.get(`/api/v1/referrals/${fire.id}`, fireAgency.token);
    expect(read.body).toMatchObject({ view: 'summary', status: 'completed', person: null, questions: null });
    // its whole history is still shown, without the notes (the visit's note named what was done)
    expect(read.body.events.map((e: { toStatus: string; note: string | null }) => [e.toStatus, e.note])).toEqual([
      ['pending', null],
      ['forwarded', null],
      ['contacted', null],
      ['completed', null],
    ]);
    expect((await listed())!.person).toBeNull();
    // the hub still sees her
    expect((await api.get(`/api/v1/referrals/${fire.id}`, coordinator.token)).body.person.givenName).toBe('Agnes');

    // she agrees again on a later checklist: the new referral is the fire service's to see
    ctx.clock.advance(DAY);
    const later = await submit(person, [0]);
    expect(later.personId).toBe(s.personId);
    await markForwarded(ctx, later.referrals[0]!.id);
    expect((await api.get(`/api/v1/referrals/${later.referrals[0]!.id}`, fireAgency.token)).body.person.givenName).toBe('Agnes');
    expect((await api.get(`/api/v1/referrals/${fire.id}`, fireAgency.token)).body.person).toBeNull();
  });

  it('reaches live referrals from every checklist of the person', async () => {
    const person = PERSON();
    const first = await submit(person, [0]);
    const second = await submit(person, [15], otherWorker);
    expect(second.personId).toBe(first.personId);
    const res = await api.post(`/api/v1/people/${first.personId}/consent-withdrawals`, coordinator.token, { recordedAt: ctx.clock.now().toISOString() });
    expect(res.body.cancelled.map((c: { id: string }) => c.id).sort()).toEqual([first.referrals[0]!.id, second.referrals[0]!.id].sort());
  });

  it('may be recorded by the link worker who submitted for the person, and by no other', async () => {
    const s = await submit(PERSON(), [0]);
    const at = ctx.clock.now().toISOString();
    expect((await api.post(`/api/v1/people/${s.personId}/consent-withdrawals`, otherWorker.token, { recordedAt: at })).status).toBe(404);
    expect((await api.post(`/api/v1/people/${s.personId}/consent-withdrawals`, fireAgency.token, { recordedAt: at })).status).toBe(403);
    expect((await referral(s.referrals[0]!.id)).status).toBe('pending');
    const own = await api.post(`/api/v1/people/${s.personId}/consent-withdrawals`, worker.token, { recordedAt: at });
    expect(own.status).toBe(201);
    expect((await referral(s.referrals[0]!.id)).status).toBe('cancelled');
  });

  it('answers 400 naming the field for a bad body, and stores nothing', async () => {
    const s = await submit(PERSON(), [0]);
    const post = (body: unknown) => api.post(`/api/v1/people/${s.personId}/consent-withdrawals`, coordinator.token, body);
    const cases: [unknown, string][] = [
      [{}, 'recordedAt'],
      [{ recordedAt: 'yesterday' }, 'recordedAt'],
      [{ recordedAt: new Date(ctx.clock.now().getTime() + DAY).toISOString() }, 'recordedAt'],
      [{ recordedAt: ctx.clock.now().toISOString(), agencyIds: [] }, 'agencyIds'],
      [{ recordedAt: ctx.clock.now().toISOString(), agencyIds: ['nope'] }, 'agencyIds.0'],
      [{ recordedAt: ctx.clock.now().toISOString(), agencyIds: [crypto.randomUUID()] }, 'agencyIds.0'],
      [{ recordedAt: ctx.clock.now().toISOString(), extra: 1 }, '(body)'],
    ];
    for (const [body, path] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toContain(path);
    }
    expect((await referral(s.referrals[0]!.id)).status).toBe('pending');
    expect(await ctx.db.selectFrom('consentWithdrawals').select('id').where('personId', '=', s.personId).execute()).toEqual([]);
    expect((await api.post(`/api/v1/people/${crypto.randomUUID()}/consent-withdrawals`, coordinator.token, { recordedAt: ctx.clock.now().toISOString() })).status).toBe(404);
  });
});
