/**
 * Group intake (src/modules/intake/intake-batcher.ts and the intake function, which stores a
 * batch of checklists in one statement): every checklist keeps its own outcome; two that could be
 * one person or one request are never stored together; a batch that fails as a whole costs only
 * the checklist that caused it; and concurrent requests through the API are stored together.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntakeBatcher, intakeBatcherFor } from '../src/modules/intake/intake-batcher.js';
import { insertIntakes, intakePayload, type IntakeResult, type IntakeRow } from '../src/modules/intake/submission.repository.js';
import { normaliseName } from '../src/kernel/person-match.js';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { randomDateOfBirth, uniqueLetters } from './helpers/people.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker } = await createWorld({ worker: 'link_worker' }));
});
afterAll(async () => ctx?.close());

const id = () => crypto.randomUUID();
let refs = 0;

/** A checklist as the application hands it to the intake function: one referral to the first question's agency. */
function row(over: { person?: Partial<IntakeRow['person']>; agencyId?: string; key?: string } = {}): IntakeRow {
  const now = ctx.clock.now();
  const family = `Batch${uniqueLetters()}`;
  const reference = `SP-BT${String(++refs).padStart(2, '0')}-${uniqueLetters().slice(0, 4).toUpperCase()}`;
  const referral = { id: id(), reference: `${reference}-1`, agencyId: over.agencyId ?? q.questions[0]!.agencyId, questionIds: [q.questions[0]!.id], forwardDueAt: now, contactDueAt: now, heldUntil: null };
  const person = { givenName: 'Ada', familyName: family, dateOfBirth: randomDateOfBirth(), postcode: 'SE1 7PB', ...over.person };
  return {
    now,
    userId: worker.id,
    actorLabel: 'Batch test',
    idempotency: over.key ? { key: over.key, fingerprint: 'f', expiresAt: new Date(now.getTime() + 86_400_000) } : null,
    responseBody: { referrals: [{ id: referral.id, reference: referral.reference, agencyId: referral.agencyId }] },
    questionnaireId: q.id,
    person: {
      id: id(),
      phone: null,
      email: null,
      addressLine: null,
      preferredContact: 'phone',
      language: null,
      accessNeeds: null,
      nhsNumber: null,
      normGiven: normaliseName(person.givenName),
      normFamily: normaliseName(person.familyName),
      normPostcode: 'SE17PB',
      versionId: id(),
      ...person,
    },
    consent: { id: id(), givenBy: 'person', representativeName: null, representativeRelationship: null, sharingAgreed: true, givenAt: now.toISOString() },
    submission: { id: id(), reference, answers: {}, consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: now.toISOString() }, status: 'open', receivedAt: now },
    referrals: [referral],
  };
}

const submissionsOf = async (rows: IntakeRow[]) =>
  (await ctx.db.selectFrom('submissions').select(['id', 'personId']).where('id', 'in', rows.map((r) => r.submission.id)).execute()).length;

describe('the intake function with several checklists', () => {
  it('stores each with its own person, referral and event, in one statement, and answers in the order given', async () => {
    const rows = [row(), row(), row()];
    const results = await insertIntakes(ctx.db, rows.map((r) => ({ row: r })));
    expect(results.map((r) => r.outcome)).toEqual(['inserted', 'inserted', 'inserted']);
    const replies = results.map((r) => (r as Extract<IntakeResult, { outcome: 'inserted' }>).reply as { referrals: { id: string }[]; personId: string });
    expect(replies.map((r) => r.referrals[0]!.id)).toEqual(rows.map((r) => r.referrals[0]!.id));
    expect(new Set(replies.map((r) => r.personId)).size).toBe(3);
    const events = await ctx.db.selectFrom('referralEvents').select('referralId').where('referralId', 'in', rows.map((r) => r.referrals[0]!.id)).execute();
    expect(events).toHaveLength(3);
  });

  it('refuses the later of two checklists that could be one person (the same date of birth) and writes nothing of it', async () => {
    const first = row();
    const twin = row({ person: { dateOfBirth: first.person.dateOfBirth, familyName: first.person.familyName, normFamily: first.person.normFamily } });
    const results = await insertIntakes(ctx.db, [{ row: first }, { row: twin }]);
    expect(results.map((r) => r.outcome)).toEqual(['inserted', 'retry']);
    expect(await submissionsOf([twin])).toBe(0);
    expect(await ctx.db.selectFrom('people').select('id').where('id', '=', twin.person.id).execute()).toEqual([]);
  });

  it('refuses the later of two with one Idempotency-Key', async () => {
    const key = `batch-${uniqueLetters()}`;
    const results = await insertIntakes(ctx.db, [{ row: row({ key }) }, { row: row({ key }) }]);
    expect(results.map((r) => r.outcome)).toEqual(['inserted', 'retry']);
  });

  it('gives each checklist its own outcome: one for a questionnaire no longer current stops alone', async () => {
    const stale = { ...row(), questionnaireId: id() };
    const [a, b, c] = [row(), stale, row()];
    const results = await insertIntakes(ctx.db, [{ row: a }, { row: b }, { row: c }]);
    expect(results.map((r) => r.outcome)).toEqual(['inserted', 'not_current', 'inserted']);
    expect(await submissionsOf([a, c])).toBe(2);
    expect(await submissionsOf([b])).toBe(0);
  });

  it('takes one checklist as an object too (from a process started before batching), and answers with its one result', async () => {
    const r = row();
    // such a process sends the reply it built and reads the whole reply back
    const old = { ...intakePayload(r), responseBody: r.responseBody };
    const { rows } = await sql<{ result: IntakeResult }>`SELECT signpost_intake(${JSON.stringify(old)}::jsonb) AS result`.execute(ctx.db);
    expect(rows[0]!.result).toEqual({
      outcome: 'inserted',
      match: 'new',
      reply: { referrals: [{ id: r.referrals[0]!.id, reference: r.referrals[0]!.reference, agencyId: r.referrals[0]!.agencyId }], personId: r.person.id, status: 'open', alreadyOpen: [] },
    });
    expect(await submissionsOf([r])).toBe(1);
  });

  it('answers an empty batch with no results', async () => {
    expect(await insertIntakes(ctx.db, [])).toEqual([]);
  });
});

describe('the batcher', () => {
  it('stores the checklists that wait while a batch is stored together, each with its own outcome', async () => {
    const batcher = new IntakeBatcher(ctx.db, { maxBatch: 4, maxInFlight: 1 });
    const rows = Array.from({ length: 9 }, () => row());
    const results = await Promise.all(rows.map((r) => batcher.store(r)));
    expect(results.map((r) => r.outcome)).toEqual(rows.map(() => 'inserted'));
    // the first leaves alone at once; the eight that queued meanwhile leave as two batches of four
    expect(batcher.counts).toEqual({ calls: 3, checklists: 9 });
    expect(await submissionsOf(rows)).toBe(9);
  });

  it('never puts two checklists that could be one person in one batch: the second finds the first', async () => {
    const batcher = new IntakeBatcher(ctx.db, { maxBatch: 8, maxInFlight: 1 });
    const first = row();
    const again = row({ person: { dateOfBirth: first.person.dateOfBirth, familyName: first.person.familyName, normFamily: first.person.normFamily } });
    // the blocker leaves alone; the two wait together, and leave in two batches, never in one
    const [, a, b] = await Promise.all([batcher.store(row()), batcher.store(first), batcher.store(again)]);
    expect(batcher.counts).toEqual({ calls: 3, checklists: 3 });
    expect(a).toMatchObject({ outcome: 'inserted', match: 'new' });
    expect(b).toMatchObject({ outcome: 'inserted', match: 'sure' });
    // one person, and the second "yes" for the same agency joined the live referral
    const reply = (b as { reply: { personId: string; alreadyOpen: { id: string }[] } }).reply;
    expect(reply.personId).toBe((a as { reply: { personId: string } }).reply.personId);
    expect(reply.alreadyOpen.map((r) => r.id)).toEqual([first.referrals[0]!.id]);
  });

  it('stores the others as if alone when a batch fails as a whole, and fails only the checklist that caused it', async () => {
    const batcher = new IntakeBatcher(ctx.db, { maxBatch: 8, maxInFlight: 1 });
    const blocker = row();
    const [good1, bad, good2] = [row(), row({ agencyId: id() }), row()]; // an agency that does not exist
    const settled = await Promise.allSettled([blocker, good1, bad, good2].map((r) => batcher.store(r)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: '23503' });
    expect(await submissionsOf([blocker, good1, good2])).toBe(3);
    expect(await submissionsOf([bad])).toBe(0);
    // the blocker alone, the batch of three that failed, then each of the three alone
    expect(batcher.counts).toEqual({ calls: 5, checklists: 7 });
  });
});

describe('POST /api/v1/submissions under concurrency', () => {
  it('answers every request with its own checklist while several are stored per statement', async () => {
    const batcher = intakeBatcherFor(ctx.db); // the API's, as the test server shares the test's pool
    const before = { ...batcher.counts };
    const bodies = Array.from({ length: 24 }, () => submissionBody(q, [q.questions[0]!.id]));
    const replies = await Promise.all(bodies.map((b) => api.post('/api/v1/submissions', worker.token, b)));
    expect(replies.map((r) => r.status)).toEqual(bodies.map(() => 201));
    const people = await ctx.db
      .selectFrom('submissions as s')
      .innerJoin('people as p', 'p.id', 's.personId')
      .select(['s.id', 'p.familyName'])
      .where('s.id', 'in', replies.map((r) => r.body.id as string))
      .execute();
    // each reply is its own request's checklist, for its own person
    const family = new Map(people.map((p) => [p.id, p.familyName]));
    expect(replies.map((r) => family.get(r.body.id))).toEqual(bodies.map((b) => b.person.familyName));
    expect(batcher.counts.checklists - before.checklists).toBe(24);
    expect(batcher.counts.calls - before.calls).toBeLessThan(24);
  });
});
