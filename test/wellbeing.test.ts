/**
 * ONS4 personal wellbeing against the real Postgres: asked at the checklist (API and page) and
 * at the hub's follow-up call, optional everywhere; the change of a period computed on known
 * pairs (anxiety the other way round, a skipped question, a pair with no measure in common),
 * filtered by agency and by referrer organisation; never a blocker; gone with erasure and
 * retention.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../src/kernel/clock.js';
import { runRetention } from '../src/modules/people/erasure.service.js';
import { createUserWithToken } from '../src/modules/accounts/user.service.js';
import { wellbeingChange } from '../src/modules/wellbeing/wellbeing.service.js';
import { makeWebUser } from './helpers/browser.js';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { uniqueLetters } from './helpers/people.js';
import { markForwarded } from './helpers/referrals.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let admin: TestUser;
/** a link worker of one referrer organisation */
let orgWorker: TestUser;
let organisationId: string;

type Scores = Partial<Record<'lifeSatisfaction' | 'worthwhile' | 'happy' | 'anxious', number | null>>;

beforeAll(async () => {
  // the pages ask them at both occasions here; where each setting asks them is in test/web/checklist-ux.test.ts
  ({ ctx, api, q, worker, coordinator, admin } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator', admin: 'admin' }, { WELLBEING_ASKED_AT: 'both' }));
  hub = principalOf(coordinator);
  const org = await api.post('/api/v1/organisations', coordinator.token, { name: 'West fire and rescue', type: 'fire_and_rescue' });
  expect(org.status).toBe(201);
  organisationId = org.body.id;
  const u = await createUserWithToken(ctx, { role: 'link_worker', name: 'Fire service worker', email: 'fire-worker@example.org', organisationId });
  orgWorker = { id: u.id, token: u.token, role: 'link_worker', agencyId: null, name: 'Fire service worker' };
}, 60_000);
afterAll(async () => ctx?.close());

const scoresOf = (submissionId: string) =>
  ctx.db.selectFrom('wellbeingScores').selectAll().where('submissionId', '=', submissionId).orderBy('occasion').execute();

async function checklist(by: TestUser, yes: number[], wellbeing?: Scores, person: Record<string, string> = {}) {
  const body = submissionBody(q, yes.map((i) => q.questions[i]!.id), { person, ...(wellbeing ? { wellbeing } : {}) });
  const res = await api.post('/api/v1/submissions', by.token, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; personId: string; status: string; referrals: { id: string; agencyId: string }[] };
}

/** Every referral forwarded, then the hub's call, reaching the person, with these answers. */
async function call(s: { id: string; referrals: { id: string }[] }, wellbeing?: Scores) {
  for (const r of s.referrals) await markForwarded(ctx, r.id);
  const f = await ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', s.id).executeTakeFirstOrThrow();
  const res = await api.post(`/api/v1/follow-ups/${f.id}`, coordinator.token, {
    contactMade: true,
    outcomes: s.referrals.map((r) => ({ referralId: r.id, needsMet: 'yes' })),
    ...(wellbeing ? { wellbeing } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { followUpId: f.id, body: res.body };
}

const MARCH = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-01T00:00:00Z') };

/** The coordinator as the services see them. */
const principalOf = (u: TestUser) => ({ userId: u.id, name: u.name, role: u.role, agencyId: u.agencyId });
let hub: ReturnType<typeof principalOf>;

describe('the change of a period, on known pairs', () => {
  let fireAgency: string;
  let policeAgency: string;
  beforeAll(async () => {
    fireAgency = q.questions[0]!.agencyId;
    policeAgency = q.questions[1]!.agencyId;
    ctx.clock.set('2026-03-10T09:00:00Z');
    const a = { givenName: 'Agatha', familyName: `Wellbeing-${uniqueLetters()}`, dateOfBirth: '1940-02-03' };
    // person a, from the organisation's worker: the fire service
    const a1 = await checklist(orgWorker, [0], { lifeSatisfaction: 4, worthwhile: 5, happy: 3, anxious: 8 }, a);
    // person b, from the organisation's worker: the police; "happy" skipped at the checklist
    const b = await checklist(orgWorker, [1], { lifeSatisfaction: 6, worthwhile: 7, anxious: 2 });
    // person a again (the same person: a sure match), befriending; anxiety asked only at the call
    const a2 = await checklist(worker, [3], { lifeSatisfaction: 2 }, a);
    expect(a2.personId).toBe(a1.personId);
    // person c: the two occasions share no measure, so no pair
    const c = await checklist(worker, [5], { happy: 5 });
    // person d: the fire service, asked at the checklist, no call yet
    await checklist(worker, [0], { lifeSatisfaction: 9, worthwhile: 9, happy: 9, anxious: 0 });
    // a checklist without wellbeing, called with it: no pair
    const e = await checklist(worker, [4]);

    ctx.clock.advance(15 * DAY);
    await call(a1, { lifeSatisfaction: 7, worthwhile: 5, happy: 6, anxious: 3 });
    await call(b, { lifeSatisfaction: 5, worthwhile: 8, happy: 7, anxious: 4 });
    await call(a2, { lifeSatisfaction: 2, anxious: 5 });
    await call(c, { lifeSatisfaction: 6 });
    await call(e, { lifeSatisfaction: 1, worthwhile: 1, happy: 1, anxious: 10 });

    // a pair from April: outside the period
    ctx.clock.set('2026-04-01T00:00:00Z');
    const april = await checklist(orgWorker, [0], { lifeSatisfaction: 0, worthwhile: 0, happy: 0, anxious: 10 });
    await call(april, { lifeSatisfaction: 10, worthwhile: 10, happy: 10, anxious: 0 });
  }, 60_000);

  it('counts n, means, improved, same and worse exactly, anxiety the other way round', async () => {
    const change = await wellbeingChange(ctx, hub, MARCH);
    expect(change).toEqual({
      people: 2,
      measures: [
        // 4->7, 6->5, 2->2
        { measure: 'life_satisfaction', label: 'Life satisfaction', n: 3, meanBefore: 4, meanAfter: 4.7, meanImprovement: 0.7, improved: 1, same: 1, worse: 1 },
        { measure: 'worthwhile', label: 'Things done in life are worthwhile', n: 2, meanBefore: 6, meanAfter: 6.5, meanImprovement: 0.5, improved: 1, same: 1, worse: 0 },
        // b skipped it at the checklist
        { measure: 'happy', label: 'Happiness yesterday', n: 1, meanBefore: 3, meanAfter: 6, meanImprovement: 3, improved: 1, same: 0, worse: 0 },
        // 8->3 is better by 5, 2->4 worse by 2
        { measure: 'anxious', label: 'Anxiety yesterday', n: 2, meanBefore: 5, meanAfter: 3.5, meanImprovement: 1.5, improved: 1, same: 0, worse: 1 },
      ],
    });
  });

  it('is the hub’s only: refused to an agency user and a link worker, whatever calls it', async () => {
    const agency = await createUserWithToken(ctx, { role: 'agency', name: 'Fire agency', email: `fire-wb-${uniqueLetters()}@example.org`, agencyId: fireAgency });
    for (const p of [{ userId: agency.id, name: 'Fire agency', role: 'agency' as const, agencyId: fireAgency }, principalOf(worker)]) {
      await expect(wellbeingChange(ctx, p, { ...MARCH, agencyId: fireAgency }), p.role).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    }
    expect((await wellbeingChange(ctx, principalOf(admin), MARCH)).people).toBe(2);
  });

  it('takes the period as [from, to): the April pair alone in April', async () => {
    const april = await wellbeingChange(ctx, hub, { from: MARCH.to, to: new Date('2026-05-01T00:00:00Z') });
    expect(april.people).toBe(1);
    expect(april.measures.find((m) => m.measure === 'anxious')).toMatchObject({ n: 1, meanBefore: 10, meanAfter: 0, meanImprovement: 10, improved: 1 });
    const before = await wellbeingChange(ctx, hub, { from: new Date('2026-02-01T00:00:00Z'), to: MARCH.from });
    expect(before.people).toBe(0);
    expect(before.measures.map((m) => [m.measure, m.n, m.meanBefore])).toEqual([
      ['life_satisfaction', 0, null],
      ['worthwhile', 0, null],
      ['happy', 0, null],
      ['anxious', 0, null],
    ]);
  });

  it('filters by agency (a referral to it) and by the referrer organisation', async () => {
    const fire = await wellbeingChange(ctx, hub, { ...MARCH, agencyId: fireAgency });
    expect(fire.people).toBe(1);
    expect(fire.measures.map((m) => [m.measure, m.n, m.meanBefore, m.meanAfter, m.meanImprovement])).toEqual([
      ['life_satisfaction', 1, 4, 7, 3],
      ['worthwhile', 1, 5, 5, 0],
      ['happy', 1, 3, 6, 3],
      ['anxious', 1, 8, 3, 5],
    ]);
    const police = await wellbeingChange(ctx, hub, { ...MARCH, agencyId: policeAgency });
    expect(police.measures.map((m) => m.n)).toEqual([1, 1, 0, 1]);

    // the organisation's worker sent a1 and b
    const org = await wellbeingChange(ctx, hub, { ...MARCH, organisationId });
    expect(org.people).toBe(2);
    expect(org.measures.find((m) => m.measure === 'life_satisfaction')).toMatchObject({ n: 2, meanBefore: 5, meanAfter: 6, meanImprovement: 1, improved: 1, same: 0, worse: 1 });
    expect(org.measures.find((m) => m.measure === 'anxious')).toMatchObject({ n: 2, meanImprovement: 1.5, improved: 1, worse: 1 });
    const both = await wellbeingChange(ctx, hub, { ...MARCH, organisationId, agencyId: policeAgency });
    expect(both.people).toBe(1);
    expect((await wellbeingChange(ctx, hub, { ...MARCH, organisationId: crypto.randomUUID() })).people).toBe(0);
  });
});

describe('POST /api/v1/submissions with wellbeing', () => {
  const paths = (res: { body: { error: { details: { path: string }[] } } }) => res.body.error.details.map((d) => d.path);
  const count = async () => Number((await ctx.db.selectFrom('submissions').select(ctx.db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('refuses out-of-range, non-integer, non-number and unknown answers with 400 naming the field, storing nothing', async () => {
    const before = await count();
    const cases: [unknown, string[]][] = [
      [{ happy: 11 }, ['wellbeing.happy']],
      [{ lifeSatisfaction: -1 }, ['wellbeing.lifeSatisfaction']],
      [{ anxious: 2.5 }, ['wellbeing.anxious']],
      [{ worthwhile: '5' }, ['wellbeing.worthwhile']],
      [{ mood: 3 }, ['wellbeing']],
      ['fine', ['wellbeing']],
    ];
    for (const [wellbeing, expected] of cases) {
      const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id], { wellbeing }));
      expect([res.status, paths(res)], JSON.stringify(wellbeing)).toEqual([400, expected]);
    }
    expect(await count()).toBe(before);
  });

  it('is never a blocker: without it, or empty, the checklist makes its referrals and stores no scores', async () => {
    for (const over of [{}, { wellbeing: {} }, { wellbeing: { happy: null } }]) {
      const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id, q.questions[1]!.id], over));
      expect(res.status).toBe(201);
      expect(res.body.referrals).toHaveLength(2);
      expect(await ctx.db.selectFrom('referrals').select('id').where('submissionId', '=', res.body.id).execute()).toHaveLength(2);
      expect(await scoresOf(res.body.id)).toEqual([]);
    }
  });

  it('stores the answers given with the checklist, by whom and when, and never echoes them', async () => {
    ctx.clock.set('2026-05-04T10:00:00Z');
    const body = submissionBody(q, [q.questions[0]!.id], { wellbeing: { lifeSatisfaction: 0, anxious: 10 } });
    const res = await api.post('/api/v1/submissions', worker.token, body, { 'idempotency-key': 'wellbeing-once' });
    expect(res.status).toBe(201);
    expect(JSON.stringify(res.body)).not.toMatch(/wellbeing|lifeSatisfaction|anxious/);
    expect(await scoresOf(res.body.id)).toEqual([
      expect.objectContaining({ occasion: 'checklist', personId: res.body.personId, followUpId: null, recordedBy: worker.id, measuredAt: new Date('2026-05-04T10:00:00Z'), lifeSatisfaction: 0, worthwhile: null, happy: null, anxious: 10 }),
    ]);
    // a replay stores nothing twice
    const replay = await api.post('/api/v1/submissions', worker.token, body, { 'idempotency-key': 'wellbeing-once' });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(res.body.id);
    expect(await scoresOf(res.body.id)).toHaveLength(1);
  });
});

describe('the follow-up call', () => {
  it('records the four again, optionally, with the call; a call that did not reach them takes none', async () => {
    const s = await checklist(worker, [0], { happy: 4 });
    for (const r of s.referrals) await markForwarded(ctx, r.id);
    const f = await ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', s.id).executeTakeFirstOrThrow();
    const post = (body: object) => api.post(`/api/v1/follow-ups/${f.id}`, coordinator.token, body);
    const outcomes = s.referrals.map((r) => ({ referralId: r.id, needsMet: 'partly' }));

    let res = await post({ contactMade: false, wellbeing: { happy: 5 } });
    expect([res.status, res.body.error.details]).toEqual([400, [{ path: 'wellbeing', message: 'is only asked on a call that reached the person' }]]);
    res = await post({ contactMade: true, outcomes, wellbeing: { happy: 12 } });
    expect([res.status, res.body.error.details[0].path]).toEqual([400, 'wellbeing.happy']);
    res = await post({ contactMade: true, outcomes, wellbeing: { sad: 1 } });
    expect([res.status, res.body.error.details[0].path]).toEqual([400, 'wellbeing']);
    expect(await scoresOf(s.id)).toHaveLength(1);
    res = await post({ contactMade: false });
    expect(res.status).toBe(200);

    ctx.clock.advance(DAY);
    res = await post({ contactMade: true, outcomes, wellbeing: { lifeSatisfaction: 6, happy: 7, anxious: 3 } });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toMatch(/lifeSatisfaction|anxious/);
    const rows = await scoresOf(s.id);
    expect(rows.map((r) => r.occasion)).toEqual(['checklist', 'follow_up']);
    expect(rows[1]).toMatchObject({ personId: s.personId, followUpId: f.id, recordedBy: coordinator.id, measuredAt: ctx.clock.now(), lifeSatisfaction: 6, worthwhile: null, happy: 7, anxious: 3 });
  });

  it('records a call without them as before', async () => {
    const s = await checklist(worker, [0]);
    await call(s);
    expect(await scoresOf(s.id)).toEqual([]);
  });
});

describe('the pages', () => {
  it('the checklist form takes the four, keeps them when re-shown with errors, and stores them', async () => {
    const u = await makeWebUser(ctx, 'link_worker');
    const c = new WebClient(ctx.baseUrl);
    await c.signIn(u.email, u.password);
    const form = await c.get('/checklist');
    expect(form.text).toContain('How they feel (optional)');
    expect(form.text).toContain('Overall, how satisfied are you with your life nowadays?');
    const base: Record<string, string> = {
      _csrf: WebClient.csrfOf(form.text),
      questionnaireId: q.id,
      idempotencyKey: crypto.randomUUID(),
      givenName: 'Winifred',
      familyName: `Form-${uniqueLetters()}`,
      'dateOfBirth[day]': '3',
      'dateOfBirth[month]': '4',
      'dateOfBirth[year]': '1939',
      postcode: 'SE1 7PB',
      phone: '020 7946 0555',
      preferredContact: 'phone',
      consentBy: 'person',
      consentGiven: 'yes',
      sharingAgreed: 'yes',
      ...Object.fromEntries(q.sections.map((s, i) => [`s_${s.id}`, i === 0 ? q.questions[0]!.id : 'none'])),
    };
    const bad = await c.post('/checklist', { ...base, wb_lifeSatisfaction: '7', wb_happy: '11', wb_anxious: 'lots' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Happiness yesterday: enter a whole number from 0 to 10, or leave it blank');
    expect(bad.text).toContain('Anxiety yesterday: enter a whole number from 0 to 10, or leave it blank');
    expect(bad.text).toMatch(/id="wb_lifeSatisfaction" name="wb_lifeSatisfaction"[^>]*value="7"/);
    expect(bad.text).toMatch(/id="wb_anxious" name="wb_anxious"[^>]*value="lots"/);

    const ok = await c.post('/checklist', { ...base, wb_lifeSatisfaction: '7', wb_happy: ' 8 ', wb_anxious: '0' });
    expect(ok.status, ok.text.slice(0, 500)).toBe(303);
    const id = /\/submissions\/([0-9a-f-]{36})/.exec(ok.location ?? '')![1]!;
    expect(await scoresOf(id)).toEqual([expect.objectContaining({ occasion: 'checklist', lifeSatisfaction: 7, worthwhile: null, happy: 8, anxious: 0 })]);
  });

  it('the hub’s call page asks them again; the person page shows both occasions, audited', async () => {
    const hub = await makeWebUser(ctx, 'coordinator');
    const c = new WebClient(ctx.baseUrl);
    await c.signIn(hub.email, hub.password);
    const s = await checklist(worker, [0], { lifeSatisfaction: 3, worthwhile: 4, happy: 5, anxious: 6 });
    for (const r of s.referrals) await markForwarded(ctx, r.id);
    const f = await ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', s.id).executeTakeFirstOrThrow();
    const pagePath = `/hub/follow-ups/${f.id}`;
    const pageHtml = (await c.get(pagePath)).text;
    expect(pageHtml).toContain('If reached: how they feel now (optional)');
    const form = { _csrf: WebClient.csrfOf(pageHtml), contactMade: 'yes', [`needsMet_${s.referrals[0]!.id}`]: 'yes' };
    const bad = await c.post(pagePath, { ...form, wb_worthwhile: '10.5' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Things done in life are worthwhile: enter a whole number from 0 to 10');
    expect(bad.text).toMatch(/name="wb_worthwhile"[^>]*value="10.5"/);
    const notReached = await c.post(pagePath, { ...form, contactMade: 'no', wb_happy: '4' });
    expect(notReached.status).toBe(400);
    expect(notReached.text).toContain('Leave the wellbeing questions blank when the call did not reach them');

    const done = await c.post(pagePath, { ...form, wb_lifeSatisfaction: '8', wb_worthwhile: '7', wb_anxious: '2' });
    expect(done.status).toBe(303);
    const after = await c.get(`${pagePath}?done=completed`);
    expect(after.text).toContain('Wellbeing at the call');
    expect(after.text).toMatch(/Life satisfaction\s*<\/dt>\s*<dd[^>]*>\s*8 out of 10/);
    expect(await scoresOf(s.id)).toHaveLength(2);

    const audits = async () => ctx.db.selectFrom('auditLog').select('id').where('personId', '=', s.personId).where('action', '=', 'read').where('entity', '=', 'person').execute();
    const before = (await audits()).length;
    const person = await c.get(`/hub/people/${s.personId}`);
    expect(person.status).toBe(200);
    expect(person.text).toContain('Wellbeing (ONS4)');
    expect(person.text).toContain('At the checklist');
    expect(person.text).toContain('At the hub&#39;s call');
    expect((await audits()).length).toBe(before + 1);
  });

  it('never shows them to an agency', async () => {
    const s = await checklist(worker, [0], { lifeSatisfaction: 3, worthwhile: 4, happy: 5, anxious: 6 });
    await markForwarded(ctx, s.referrals[0]!.id);
    const agency = await createUserWithToken(ctx, { role: 'agency', name: 'Fire agency', email: `fire-${uniqueLetters()}@example.org`, agencyId: q.questions[0]!.agencyId });
    const res = await api.get(`/api/v1/referrals/${s.referrals[0]!.id}`, agency.token);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toMatch(/wellbeing|lifeSatisfaction|worthwhile|anxious/i);
  });
});

describe('the person’s rights', () => {
  it('the subject access export holds both occasions', async () => {
    const s = await checklist(worker, [0], { worthwhile: 2 });
    await call(s, { worthwhile: 9 });
    const res = await api.get(`/api/v1/people/${s.personId}/export`, coordinator.token);
    expect(res.status).toBe(200);
    expect(res.body.wellbeing.map((w: { occasion: string; worthwhile: number }) => [w.occasion, w.worthwhile])).toEqual([
      ['checklist', 2],
      ['follow_up', 9],
    ]);
  });

  it('erasure removes them, and no one else’s', async () => {
    const mine = await checklist(worker, [], { lifeSatisfaction: 5, anxious: 5 });
    const theirs = await checklist(worker, [], { lifeSatisfaction: 6 });
    expect(mine.status).toBe('no_needs_identified');
    const res = await api.post(`/api/v1/people/${mine.personId}/erasure`, admin.token, { reason: 'The person asked us to erase their details' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await scoresOf(mine.id)).toEqual([]);
    expect(await scoresOf(theirs.id)).toHaveLength(1);
  });

  it('retention removes them, with the rest of the person’s data', async () => {
    const s = await checklist(worker, [], { happy: 9 });
    expect(await scoresOf(s.id)).toHaveLength(1);
    ctx.clock.advance((ctx.env.RETENTION_MONTHS_AFTER_CLOSE + 1) * 31 * DAY);
    const kept = await checklist(worker, [], { happy: 1 });
    const result = await runRetention(ctx, { dryRun: false });
    expect(result.erased).toBeGreaterThan(0);
    expect(await scoresOf(s.id)).toEqual([]);
    expect(await scoresOf(kept.id)).toHaveLength(1);
  });
});
