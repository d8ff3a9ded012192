/**
 * The [3/5] migrations (one person, the audit chain, the agencies' person fields) run down and
 * up again on a database with a history, as a hub upgrading from the release before would:
 * down leaves the schema the code before expected, with every row kept; up backfills what the
 * new code reads from rows that were written before it (the match keys, the age band and
 * postcode district, a consent record and a version per checklist, the audit rows' person), and
 * the audit rows written before are sealed into a chain that verifies.
 */
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../migrations/index.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { sealAudit, verifyAuditChain } from '../src/modules/audit/audit.service.js';
import { apiClient } from './helpers/api.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { uniqueLetters } from './helpers/people.js';

let ctx: TestContext;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let worker: TestUser;
let coordinator: TestUser;

const BEFORE = '2026_12_02_1000_contact_promise';
const NEW = ['2026_12_02_1100_one_person', '2026_12_02_1110_audit_chain', '2026_12_02_1120_agency_person_fields'];
// the migrations after them go down first and come up again with them
const LATER = Object.keys(migrations).filter((n) => n > NEW.at(-1)!);

beforeAll(async () => {
  ctx = await createTestContext();
  q = await seedChecklist(ctx);
  worker = await makeUser(ctx, 'link_worker');
  coordinator = await makeUser(ctx, 'coordinator');
}, 60_000);
afterAll(async () => ctx?.close());

const columns = async (table: string) =>
  (await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns WHERE table_name = ${table}`.execute(ctx.db)).rows.map((r) => r.column_name);
const tableExists = async (table: string) => (await sql<{ t: string | null }>`SELECT to_regclass(${table})::text AS t`.execute(ctx.db)).rows[0]!.t !== null;

describe('the [3/5] migrations', () => {
  it('go down to the schema before, keeping every row, and up again with the old rows backfilled', { timeout: 60_000 }, async () => {
    const api = apiClient(ctx.baseUrl);
    const familyName = `Migrate-${uniqueLetters()}`;
    const person = { givenName: 'Iris', familyName, dateOfBirth: '1939-07-21', postcode: 'SE1 7PB' };
    const s = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id], { person }));
    expect(s.status).toBe(201);
    expect((await api.get(`/api/v1/referrals/${s.body.referrals[0].id}`, coordinator.token)).status).toBe(200);
    const counts = async () => {
      const [people, submissions, referrals, events, audit] = await Promise.all(
        ['people', 'submissions', 'referrals', 'referral_events', 'audit_log'].map(async (t) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(t)}`.execute(ctx.db)).rows[0]!.n)),
      );
      return { people: people!, submissions: submissions!, referrals: referrals!, events: events!, audit: audit! };
    };
    const before = await counts();

    // down: the three migrations, newest first
    const migrator = new Migrator({ db: ctx.db, provider: { getMigrations: async () => migrations } });
    const down = await migrator.migrateTo(BEFORE);
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([...NEW, ...LATER].toReversed().map((n) => [n, 'Down', 'Success']));
    expect(await columns('people')).not.toContain('nhs_number');
    expect(await columns('audit_log')).not.toContain('person_id');
    expect(await columns('agencies')).not.toContain('person_fields');
    for (const t of ['consents', 'consent_withdrawals', 'person_versions', 'person_match_flags', 'referral_repeats', 'referral_days']) expect(await tableExists(t)).toBe(false);
    expect(await counts()).toEqual(before);

    // the release before: each checklist made its own person, so the same person twice
    const twin = (
      await sql<{ id: string }>`
        INSERT INTO people (id, given_name, family_name, date_of_birth, postcode, phone, email, address_line, preferred_contact, language, access_needs, created_at)
        SELECT gen_random_uuid(), given_name, family_name, date_of_birth, postcode, phone, email, address_line, preferred_contact, language, access_needs, created_at
          FROM people WHERE id = ${s.body.personId}
        RETURNING id`.execute(ctx.db)
    ).rows[0]!.id;
    const oldSubmission = (
      await sql<{ id: string }>`
        INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status, received_at, closed_at)
        SELECT gen_random_uuid(), 'SP-OLD0-0001', questionnaire_id, ${twin}, submitted_by, answers, consent, 'closed', received_at, received_at + interval '20 days'
          FROM submissions WHERE id = ${s.body.id}
        RETURNING id`.execute(ctx.db)
    ).rows[0]!.id;
    await sql`INSERT INTO audit_log (at, actor_user_id, actor_label, action, entity, entity_id)
              VALUES (now(), ${coordinator.id}, 'coordinator', 'read', 'submission', ${oldSubmission})`.execute(ctx.db);

    // up again
    const up = await migrateToLatest(ctx.db);
    expect(up.map((r) => [r.migrationName, r.direction, r.status])).toEqual([...NEW, ...LATER].map((n) => [n, 'Up', 'Success']));

    const people = await ctx.db
      .selectFrom('people')
      .select(['id', 'normFamily', 'normGiven', 'normPostcode', 'inactiveSince'])
      .where('id', 'in', [s.body.personId, twin])
      .orderBy('id')
      .execute();
    for (const p of people) expect(p).toMatchObject({ normFamily: familyName.toLowerCase().replace(/[^a-z]/g, ''), normGiven: 'iris', normPostcode: 'SE17PB' });
    // the old checklist was closed: its person has been inactive since then; the live one's is not
    const since = Object.fromEntries(people.map((p) => [p.id, p.inactiveSince]));
    expect(since[twin]).toBeInstanceOf(Date);
    expect(since[s.body.personId]).toBeNull();
    const subs = await ctx.db.selectFrom('submissions').select(['id', 'ageBand', 'postcodeDistrict']).where('id', 'in', [s.body.id, oldSubmission]).execute();
    for (const x of subs) expect(x).toMatchObject({ ageBand: expect.stringMatching(/^\d{2}/), postcodeDistrict: 'SE1' });
    // a consent record and a version of the person's details for every checklist, old ones included
    const all = (await counts()).submissions;
    expect(Number((await sql<{ n: string }>`SELECT count(*) AS n FROM consents`.execute(ctx.db)).rows[0]!.n)).toBe(all);
    expect(Number((await sql<{ n: string }>`SELECT count(DISTINCT submission_id) AS n FROM person_versions`.execute(ctx.db)).rows[0]!.n)).toBe(all);
    // the audit rows written before carry their person, and seal into a chain that verifies
    const oldRead = await ctx.db.selectFrom('auditLog').select('personId').where('entityId', '=', oldSubmission).executeTakeFirstOrThrow();
    expect(oldRead.personId).toBe(twin);
    await sealAudit(ctx);
    const chain = await verifyAuditChain(ctx);
    expect(chain).toMatchObject({ ok: true, unsealed: 0, brokenAt: null });
    expect(chain.sealed).toBe((await counts()).audit);

    // records made before are not matched with each other by the migration (a coordinator's
    // decision); a new checklist for her is linked to the older of the two, not a third record
    const again = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[3]!.id], { person }));
    expect(again.status).toBe(201);
    expect([s.body.personId, twin]).toContain(again.body.personId);
    expect((await counts()).people).toBe(before.people + 1);
  });
});
