/**
 * The person search's name index (migrations/2026_12_09_1000_person_search_names.ts), against the
 * real Postgres: a new person is found by the beginning of a name at once and by a misspelling
 * once the indexer has run; the indexer reads by transaction id, so a checklist that commits
 * after a later one is still read; it never waits for a person an erasure or a merge holds, and
 * reads them again next time; erasure and merges take a person out of the index; the records
 * worker runs it as the 'person-search-index' job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { randomDateOfBirth, randomNhsNumber, uniqueLetters } from './helpers/people.js';
import { sql } from 'kysely';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { indexPersonSearchNames } from '../src/modules/people/index.js';
import { processRecords } from '../workers/records.js';
import { JOBS, SCHEDULES } from '../src/platform/jobs/registry.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let admin: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator, admin } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator', admin: 'admin' }));
  // what earlier set-up wrote is indexed; each test starts from an index that is up to date
  await indexPersonSearchNames(ctx);
});
afterAll(async () => ctx?.close());

/** A family name nobody else in this file has, and the same name with its last letter changed. */
function family(): { name: string; typo: string } {
  // letters only, and random: no two families of this file look alike to the trigram match
  const name = `Q${uniqueLetters()}${uniqueLetters()}`;
  return { name, typo: `${name.slice(0, -1)}${name.endsWith('a') ? 'e' : 'a'}` };
}

/** A checklist for a new person; with no "yes" it closes at once (so the person may be erased). */
async function submit(familyName: string, yes = [0]): Promise<{ personId: string }> {
  const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, yes.map((i) => q.questions[i]!.id), { person: { givenName: 'Dorothea', familyName, dateOfBirth: randomDateOfBirth() } }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { personId: string };
}

const find = async (term: string): Promise<string[]> => {
  const res = await api.post('/api/v1/people/search', coordinator.token, { q: term });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items.map((p: { id: string }) => p.id);
};
const indexed = async (personId: string) => (await ctx.db.selectFrom('personSearchNames').select('personId').where('personId', '=', personId).execute()).length === 1;
const progress = async () => BigInt((await ctx.db.selectFrom('personSearchProgress').select('readFromXid').executeTakeFirstOrThrow()).readFromXid);

describe('the name index', () => {
  it('finds a new person by the beginning of a name at once, and by a misspelling once the indexer has run', async () => {
    const f = family();
    const s = await submit(f.name);
    expect(await find(`Dorothea ${f.name.slice(0, 14)}`)).toEqual([s.personId]);
    // nothing on the intake's path wrote the trigram index
    expect(await indexed(s.personId)).toBe(false);
    expect(await find(`Dorothea ${f.typo}`)).toEqual([]);

    const run = await indexPersonSearchNames(ctx);
    expect(run).toEqual({ indexed: 1, skipped: 0, ran: true, rebuilt: false });
    expect(await find(`Dorothea ${f.typo}`)).toEqual([s.personId]);
    expect(await find(`Dorotea ${f.typo}`)).toEqual([s.personId]);
    // run again: nothing new, nothing written twice
    expect(await indexPersonSearchNames(ctx)).toEqual({ indexed: 0, skipped: 0, ran: true, rebuilt: false });
    // a second checklist for the same person adds no second row
    const again = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[1]!.id], { person: (await ctx.db.selectFrom('people').select(['givenName', 'familyName', 'dateOfBirth', 'postcode']).where('id', '=', s.personId).executeTakeFirstOrThrow()) }));
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.personId).toBe(s.personId);
    expect(await indexPersonSearchNames(ctx)).toEqual({ indexed: 0, skipped: 0, ran: true, rebuilt: false });
  });

  it('follows a name a later checklist changes (the same person by NHS number and date of birth)', async () => {
    const before = family();
    const after = family();
    const person = { givenName: 'Dorothea', familyName: before.name, dateOfBirth: randomDateOfBirth(), nhsNumber: randomNhsNumber() };
    const first = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id], { person }));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    await indexPersonSearchNames(ctx);
    // married: the same NHS number and birthday, another family name
    const renamed = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[1]!.id], { person: { ...person, familyName: after.name } }));
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(201);
    expect(renamed.body.personId).toBe(first.body.personId);
    // at once by the beginning of the new name (the checklists the indexer has not read)
    expect(await find(`Dorothea ${after.name.slice(0, 12)}`)).toEqual([first.body.personId]);
    // found by her given name and birthday both in the index (the old name) and among the unread
    // checklists (the new one): listed once (another Dorothea of this file may share the birthday)
    expect((await find(`Dorothea ${person.dateOfBirth}`)).filter((id) => id === first.body.personId)).toHaveLength(1);
    expect((await indexPersonSearchNames(ctx)).indexed).toBe(1);
    expect(await find(`Dorothea ${after.typo}`)).toEqual([first.body.personId]);
    // the old name is no longer hers in the index
    expect(await find(`Dorothea ${before.typo}`)).toEqual([]);
  });

  it('ranks before it limits: the best matches first, and a date of birth applied before the limit', async () => {
    const f = family();
    const twin = (dateOfBirth: string) =>
      api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id], { person: { givenName: 'Dorothea', familyName: f.name, dateOfBirth } }));
    const older = await twin('1931-01-01');
    const younger = await twin('1939-09-09');
    const close = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id], { person: { givenName: 'Dorothea', familyName: `${f.typo}x`, dateOfBirth: '1935-05-05' } }));
    for (const r of [older, younger, close]) expect(r.status, JSON.stringify(r.body)).toBe(201);
    await indexPersonSearchNames(ctx);
    const ids = async (term: string, limit: number) => {
      const res = await api.post('/api/v1/people/search', coordinator.token, { q: term, limit });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.items.map((p: { id: string }) => p.id);
    };
    // the name as typed begins both twins' family name; the third is only spelt like it
    const all = await ids(`Dorothea ${f.name}`, 10);
    expect(all).toHaveLength(3);
    expect(all.slice(0, 2).sort()).toEqual([older.body.personId, younger.body.personId].sort());
    expect(all[2]).toBe(close.body.personId);
    // one place: a twin, not the one spelt differently
    expect([older.body.personId, younger.body.personId]).toContain((await ids(`Dorothea ${f.name}`, 1))[0]);
    // each birthday finds its own, whichever of them ranks first by name
    expect(await ids(`Dorothea ${f.name} 1939-09-09`, 1)).toEqual([younger.body.personId]);
    expect(await ids(`Dorothea ${f.name} 1931-01-01`, 1)).toEqual([older.body.personId]);
    expect(await ids(`Dorothea ${f.name} 1935-05-05`, 1)).toEqual([close.body.personId]);
  });

  it('indexes everyone again when the progress is ahead of the database (a dump restored on another cluster)', async () => {
    const f = family();
    const s = await submit(f.name);
    // as a restore leaves it: the progress and an old checklist carry the other cluster's (larger) transaction ids
    await sql`UPDATE person_search_progress SET read_from_xid = (pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000000000)::text::xid8`.execute(ctx.db);
    await sql`UPDATE submissions SET written_xid = (pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 999999999)::text::xid8 WHERE person_id = ${s.personId}`.execute(ctx.db);
    const run = await indexPersonSearchNames(ctx);
    expect(run.rebuilt).toBe(true);
    expect(run.indexed).toBeGreaterThanOrEqual(1);
    expect(await indexed(s.personId)).toBe(true);
    const { rows } = await sql<{ ok: boolean }>`SELECT read_from_xid <= pg_snapshot_xmax(pg_current_snapshot()) AS ok FROM person_search_progress`.execute(ctx.db);
    expect(rows[0]!.ok).toBe(true);
    expect((await ctx.db.selectFrom('submissions').select('writtenXid').where('personId', '=', s.personId).executeTakeFirstOrThrow()).writtenXid).toBe('0');
    // and it goes on from there: a new checklist is read by the next run
    const g = family();
    const t = await submit(g.name);
    expect(await indexPersonSearchNames(ctx)).toEqual({ indexed: 1, skipped: 0, ran: true, rebuilt: false });
    expect(await find(`Dorothea ${g.typo}`)).toEqual([t.personId]);
  });

  it('reads a checklist that commits after a later one (by transaction id, not by time)', async () => {
    const early = family();
    const late = family();
    const template = await ctx.db.selectFrom('submissions').select(['id']).orderBy('receivedAt', 'desc').executeTakeFirstOrThrow();
    // a writer that began first and commits last, as a slow intake statement would
    const slow = new pg.Client({ connectionString: ctx.databaseUrl });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      const personId = randomUUID();
      const now = ctx.clock.now();
      await slow.query(
        `INSERT INTO people (id, given_name, family_name, norm_given, norm_family, date_of_birth, postcode, norm_postcode, preferred_contact, created_at, updated_at)
         VALUES ($1, 'Dorothea', $2, 'dorothea', lower($2), '1940-01-01', 'SE1 7PB', 'SE17PB', 'phone', $3, $3)`,
        [personId, late.name, now],
      );
      await slow.query(
        `INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status, received_at)
         SELECT $1, $2, questionnaire_id, $3, submitted_by, answers, consent, status, $4 FROM submissions WHERE id = $5`,
        [randomUUID(), `SP-LATE-${uniqueLetters().slice(0, 4).toUpperCase()}`, personId, now, template.id],
      );
      const before = await progress();
      // a checklist sent meanwhile, committed and indexed while the slow one is still open
      const s = await submit(early.name);
      expect((await indexPersonSearchNames(ctx)).indexed).toBe(1);
      expect(await indexed(s.personId)).toBe(true);
      // the progress stops below the open transaction: it may still commit
      const { rows } = await slow.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
      expect(await progress()).toBeLessThanOrEqual(BigInt(rows[0]!.xid));
      expect(await progress()).toBeGreaterThanOrEqual(before);

      await slow.query('COMMIT');
      expect(await indexed(personId)).toBe(false);
      const held = await progress();
      expect((await indexPersonSearchNames(ctx)).indexed).toBe(1);
      // never backwards (whether it moves past the slow writer now depends on the other
      // databases' transactions too: the cluster's transaction ids are one sequence)
      expect(await progress()).toBeGreaterThanOrEqual(held);
      expect(await indexed(personId)).toBe(true);
      expect(await find(`Dorothea ${late.typo}`)).toEqual([personId]);
    } finally {
      await slow.end();
    }
  });

  it('passes over a person an erasure or a merge holds, without waiting, and reads them next time', async () => {
    const f = family();
    const s = await submit(f.name);
    const holder = new pg.Client({ connectionString: ctx.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      // the lock erasure and merges take (lockPersonRows, mergePeople)
      await holder.query('SELECT id FROM people WHERE id = $1 FOR UPDATE', [s.personId]);
      const before = await progress();
      // (a run that waited for the lock would never return: the COMMIT below comes after it)
      const run = await indexPersonSearchNames(ctx);
      expect(run).toEqual({ indexed: 0, skipped: 1, ran: true, rebuilt: false });
      expect(await progress()).toBe(before);
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    expect(await indexPersonSearchNames(ctx)).toEqual({ indexed: 1, skipped: 0, ran: true, rebuilt: false });
    expect(await find(`Dorothea ${f.typo}`)).toEqual([s.personId]);
  });

  it('takes a person out when they are erased, and the record merged into another', async () => {
    const gone = family();
    const kept = family();
    const a = await submit(gone.name, []);
    const k = await submit(kept.name);
    const other = await submit(`${kept.name}x`);
    await indexPersonSearchNames(ctx);
    expect(await indexed(a.personId)).toBe(true);

    const erased = await api.post(`/api/v1/people/${a.personId}/erasure`, admin.token, { reason: 'The person asked us to erase their details' });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(await indexed(a.personId)).toBe(false);
    expect(await find(`Dorothea ${gone.typo}`)).toEqual([]);

    const merged = await api.post(`/api/v1/people/${k.personId}/merge`, coordinator.token, { otherId: other.personId });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(await indexed(other.personId)).toBe(false);
    expect(await indexed(k.personId)).toBe(true);
    // the indexer does not put either back: they are no longer live
    await indexPersonSearchNames(ctx);
    expect(await indexed(a.personId)).toBe(false);
    expect(await indexed(other.personId)).toBe(false);
    expect(await find(`Dorothea ${kept.typo}`)).toEqual([k.personId]);
  });

  it('is the records worker’s scheduled job', async () => {
    expect(JOBS['person-search-index'].queue).toBe('records');
    expect(SCHEDULES['person-search-index'].repeat(ctx.env)).toEqual({ every: ctx.env.PERSON_SEARCH_INDEX_EVERY_MS });
    const f = family();
    const s = await submit(f.name);
    const run = await processRecords({ id: 'test', name: 'person-search-index', data: {} }, ctx);
    expect(run).toEqual({ indexed: 1, skipped: 0, ran: true, rebuilt: false });
    expect(await find(`Dorothea ${f.typo}`)).toEqual([s.personId]);
  });
});
