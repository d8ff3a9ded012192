import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let otherWorker: TestUser;
let coordinator: TestUser;
let agencyUser: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, otherWorker, coordinator, agencyUser } = await createWorld({
    worker: 'link_worker',
    otherWorker: 'link_worker',
    coordinator: 'coordinator',
    agencyUser: { agencyOf: 0 },
  }));
});
afterAll(async () => ctx?.close());

const count = async (table: 'submissions' | 'referrals' | 'people' | 'referral_events' | 'idempotency_keys' | 'person_versions' | 'consents') =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(ctx.db)).rows[0]!.n);

describe('POST /api/v1/submissions', () => {
  it('makes one referral per flagged agency, listing every question that flagged it', async () => {
    // q0 -> fire; q15 and q16 -> the one information and advice team
    const [fire, benefits, debts] = [q.questions[0]!, q.questions[15]!, q.questions[16]!];
    expect(benefits.agencyId).toBe(debts.agencyId);
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [fire.id, benefits.id, debts.id]));
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('open');
    expect(res.body.reference).toMatch(/^SP-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(res.body.referrals).toHaveLength(2);
    const byAgency = Object.fromEntries(res.body.referrals.map((r: any) => [r.agencyId, r]));
    expect(byAgency[fire.agencyId].questionIds).toEqual([fire.id]);
    expect(byAgency[benefits.agencyId].questionIds).toEqual([benefits.id, debts.id]);
    for (const r of res.body.referrals) {
      expect(r.status).toBe('pending');
      // receipt + 24 h, by the injected clock
      expect(r.forwardDueAt).toBe(new Date(ctx.clock.now().getTime() + 24 * 3600_000).toISOString());
    }
    expect(res.body.receivedAt).toBe(ctx.clock.now().toISOString());

    const events = await ctx.db.selectFrom('referralEvents').selectAll().where('referralId', 'in', res.body.referrals.map((r: any) => r.id)).execute();
    expect(events.map((e) => e.toStatus)).toEqual(['pending', 'pending']);
    expect(events.every((e) => e.actorUserId === worker.id)).toBe(true);

    const got = await api.get(`/api/v1/submissions/${res.body.id}`, worker.token);
    expect(got.status).toBe(200);
    expect(got.body.referrals.map((r: any) => r.status)).toEqual(['pending', 'pending']);
    expect(got.body.referrals.map((r: any) => r.reference)).toEqual(res.body.referrals.map((r: any) => r.reference));
  });

  it('stores a checklist with no "yes" as no_needs_identified, with no referrals', async () => {
    const before = await count('referrals');
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, []));
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('no_needs_identified');
    expect(res.body.referrals).toEqual([]);
    expect(await count('referrals')).toBe(before);
    const row = await ctx.db.selectFrom('submissions').select('status').where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('no_needs_identified');
  });

  it('normalises the postcode', async () => {
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[3]!.id], { person: { postcode: ' sw1a1aa ' } }));
    expect(res.status).toBe(201);
    const person = await ctx.db
      .selectFrom('submissions as s')
      .innerJoin('people as p', 'p.id', 's.personId')
      .select('p.postcode')
      .where('s.id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(person.postcode).toBe('SW1A 1AA');
  });

  it('answers 400 naming every bad field, and stores nothing', async () => {
    const before = await count('submissions');
    const body = submissionBody(q, []) as any;
    delete body.answers[q.questions[2]!.id];
    body.answers['not-a-question'] = true;
    body.person.dateOfBirth = '1950-02-30';
    body.person.postcode = 'NOT A POSTCODE';
    let res = await api.post('/api/v1/submissions', worker.token, body);
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: any) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['person.dateOfBirth', 'person.postcode']));

    // with the person fixed, the answers are checked against the questionnaire
    body.person = submissionBody(q).person;
    res = await api.post('/api/v1/submissions', worker.token, body);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([
        { path: `answers.${q.questions[2]!.id}`, message: 'this question must be answered' },
        { path: 'answers.not-a-question', message: 'not a question of this questionnaire' },
      ]),
    );
    expect(await count('submissions')).toBe(before);
  });

  it('rejects a date of birth in the future and a contact preference without its detail', async () => {
    const res = await api.post(
      '/api/v1/submissions',
      worker.token,
      submissionBody(q, [], { person: { dateOfBirth: '2030-01-01', preferredContact: 'email', email: undefined } }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.path)).toContain('person.email');
    const res2 = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [], { person: { dateOfBirth: '2030-01-01' } }));
    expect(res2.status).toBe(400);
    expect(res2.body.error.details).toEqual([{ path: 'person.dateOfBirth', message: 'must not be in the future' }]);
  });

  it('answers 400 for an unknown questionnaire and for one that is not current', async () => {
    let res = await api.post('/api/v1/submissions', worker.token, { ...submissionBody(q, []), questionnaireId: '00000000-0000-4000-8000-000000000000' });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('questionnaireId');
    // make the seeded version not current for the duration of this check
    await ctx.db.updateTable('questionnaires').set({ isCurrent: false }).where('id', '=', q.id).execute();
    try {
      res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, []));
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'questionnaireId', message: 'this questionnaire version is no longer current' }]);
    } finally {
      await ctx.db.updateTable('questionnaires').set({ isCurrent: true }).where('id', '=', q.id).execute();
    }
  });

  it('answers 422 without consent and stores nothing', async () => {
    const before = [await count('submissions'), await count('people')];
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id], { consent: { given: false } }));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('consent_required');
    expect([await count('submissions'), await count('people')]).toEqual(before);
  });

  it('answers 400 for malformed JSON and 401/403 for the wrong caller', async () => {
    const bad = await api.post('/api/v1/submissions', worker.token, '{"questionnaireId": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    expect((await api.post('/api/v1/submissions', undefined, submissionBody(q))).status).toBe(401);
    expect((await api.post('/api/v1/submissions', 'sp_not-a-real-token', submissionBody(q))).status).toBe(401);
    const forbidden = await api.post('/api/v1/submissions', agencyUser.token, submissionBody(q));
    expect(forbidden.status).toBe(403);
    expect((await api.post('/api/v1/submissions', coordinator.token, submissionBody(q))).status).toBe(201);
  });

  it('lets only the submitter or a coordinator read a submission, and audits the coordinator', async () => {
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[5]!.id]));
    expect((await api.get(`/api/v1/submissions/${res.body.id}`, otherWorker.token)).status).toBe(404);
    expect((await api.get(`/api/v1/submissions/${res.body.id}`, agencyUser.token)).status).toBe(404);
    expect((await api.get(`/api/v1/submissions/${res.body.id}`, coordinator.token)).status).toBe(200);
    const audit = await ctx.db.selectFrom('auditLog').selectAll().where('entityId', '=', res.body.id).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorUserId).toBe(coordinator.id);
    expect((await api.get('/api/v1/submissions/not-a-uuid', worker.token)).status).toBe(400);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and body, and creates nothing more', async () => {
    const body = submissionBody(q, [q.questions[1]!.id]);
    const key = `key-${Date.now()}`;
    const first = await api.post('/api/v1/submissions', worker.token, body, { 'idempotency-key': key });
    const before = [await count('submissions'), await count('referrals')];
    const again = await api.post('/api/v1/submissions', worker.token, JSON.stringify(body, null, 2), { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect([await count('submissions'), await count('referrals')]).toEqual(before);
  });

  it('replays a checklist that joined a live referral and made another exactly as it first answered', async () => {
    // the same person again: the fire "yes" joins the live fire referral, the benefits "yes" makes one
    const person = { familyName: `Again-${Date.now().toString(36).replace(/[0-9]/g, 'x')}`, dateOfBirth: '1941-02-03' };
    const [fire, benefits] = [q.questions[0]!, q.questions[15]!];
    expect((await api.post('/api/v1/submissions', worker.token, submissionBody(q, [fire.id], { person }))).status).toBe(201);
    const key = `key-again-${Date.now()}`;
    const body = submissionBody(q, [fire.id, benefits.id], { person });
    const first = await api.post('/api/v1/submissions', worker.token, body, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(first.body.alreadyOpen.map((r: { agencyId: string }) => r.agencyId)).toEqual([fire.agencyId]);
    expect(first.body.referrals.map((r: { agencyId: string }) => r.agencyId)).toEqual([benefits.agencyId]);
    const again = await api.post('/api/v1/submissions', worker.token, body, { 'idempotency-key': key });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('answers 422 for the same key with a different body', async () => {
    const key = `key-diff-${Date.now()}`;
    await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[1]!.id]), { 'idempotency-key': key });
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[2]!.id]), { 'idempotency-key': key });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('idempotency_key_reused');
  });

  it('scopes keys to the caller', async () => {
    const key = `key-shared-${Date.now()}`;
    const a = await api.post('/api/v1/submissions', worker.token, submissionBody(q, []), { 'idempotency-key': key });
    const b = await api.post('/api/v1/submissions', otherWorker.token, submissionBody(q, []), { 'idempotency-key': key });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('creates exactly one submission when concurrent requests share a key, and never answers 5xx', async () => {
    // The race this guards against is a matter of timing: a request whose statement began before
    // the key's holder committed, and took the key's lock after, once read the key as unused and
    // met its row (a unique violation, a 500: 4 rounds in 60 before the fix). So many rounds.
    for (let round = 0; round < 30; round++) {
      const key = `key-race-${round}-${Date.now()}`;
      const body = submissionBody(q, [q.questions[6]!.id]);
      const before = await count('submissions');
      const results = await Promise.all(Array.from({ length: 8 }, () => api.post('/api/v1/submissions', worker.token, body, { 'idempotency-key': key })));
      expect(await count('submissions'), `round ${round}`).toBe(before + 1);
      expect(results.map((r) => `${r.status} ${JSON.stringify(r.body).slice(0, 200)}`).filter((x) => !/^(201|409) /.test(x)), `round ${round}`).toEqual([]);
      const ok = results.filter((r) => r.status === 201);
      const inFlight = results.filter((r) => r.status === 409);
      expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
      for (const r of inFlight) expect(r.body.error.code).toBe('request_in_flight');
    }
  });

  it('answers 409 while the first request holds the key', async () => {
    const key = `key-held-${Date.now()}`;
    // hold the (user, key) advisory lock in another session, as an in-flight request would
    const { rows } = await sql<{ k: string }>`SELECT ${worker.id}::text || ':' || ${key}::text AS k`.execute(ctx.db);
    await ctx.db.connection().execute(async (conn) => {
      await sql`BEGIN`.execute(conn);
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${rows[0]!.k}, 0))`.execute(conn);
      const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, []), { 'idempotency-key': key });
      await sql`ROLLBACK`.execute(conn);
      expect(res.status).toBe(409);
    });
    const after = await api.post('/api/v1/submissions', worker.token, submissionBody(q, []), { 'idempotency-key': key });
    expect(after.status).toBe(201);
  });

  it('rejects a malformed key', async () => {
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, []), { 'idempotency-key': 'x'.repeat(300) });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('Idempotency-Key');
  });
});

describe('atomicity', () => {
  it('leaves nothing behind when the statement fails half-way', async () => {
    const before = await Promise.all((['submissions', 'referrals', 'people', 'referral_events', 'person_versions', 'consents'] as const).map(count));
    // an agency id that does not exist makes the referral insert violate its foreign key after
    // the person and the submission rows were written by the same statement
    const { insertIntake } = await import('../src/modules/intake/submission.repository.js');
    const id = () => crypto.randomUUID();
    await expect(
      insertIntake(ctx.db, {
        now: new Date(),
        userId: worker.id,
        actorLabel: 'test',
        idempotency: null,
        questionnaireId: q.id,
        responseBody: { referrals: [] },
        person: {
          id: id(),
          givenName: 'A',
          familyName: 'B',
          dateOfBirth: '1940-01-01',
          postcode: 'SE1 7PB',
          phone: null,
          email: null,
          addressLine: 'x',
          preferredContact: 'post',
          language: null,
          accessNeeds: null,
          nhsNumber: null,
          normGiven: 'a',
          normFamily: 'b',
          normPostcode: 'SE17PB',
          versionId: id(),
        },
        consent: { id: id(), givenBy: 'person', representativeName: null, representativeRelationship: null, sharingAgreed: true, givenAt: '2026-01-01T00:00:00Z' },
        submission: { id: id(), reference: 'SP-TEST-0001', answers: {}, consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: '2026-01-01T00:00:00Z' }, status: 'open', receivedAt: new Date() },
        referrals: [{ id: id(), reference: 'SP-TEST-0001-1', agencyId: id(), questionIds: [q.questions[0]!.id], forwardDueAt: new Date(), contactDueAt: new Date(), heldUntil: null }],
      }),
    ).rejects.toMatchObject({ code: '23503' });
    expect(await Promise.all((['submissions', 'referrals', 'people', 'referral_events', 'person_versions', 'consents'] as const).map(count))).toEqual(before);
  });
});
