/**
 * Subject access: the export holds every row of every table that is about the person, and
 * nothing of another person's. Every table in the database is classified below, as about a
 * person (with where its rows appear in the export) or as holding nothing about one: a new
 * table fails this test until someone decides which it is.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersonExport } from '../src/modules/people/subject-access.service.js';
import { apiClient } from './helpers/api.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, type TestUser } from './helpers/factories.js';
import { buildHistory, closeHistory, type History, type HistoryWorld } from './helpers/person-history.js';

let ctx: TestContext;
let w: HistoryWorld;
let admin: TestUser;
let a: History;
let b: History;

beforeAll(async () => {
  ctx = await createTestContext();
  const api = apiClient(ctx.baseUrl);
  const q = await seedChecklist(ctx);
  const agencies = new Map<number, TestUser>();
  w = {
    ctx,
    api,
    q,
    worker: await makeUser(ctx, 'link_worker'),
    coordinator: await makeUser(ctx, 'coordinator'),
    agencyOf: async (i) => agencies.get(i) ?? agencies.set(i, await makeUser(ctx, 'agency', q.questions[i]!.agencyId)).get(i)!,
  };
  admin = await makeUser(ctx, 'admin');
  a = await buildHistory(w, '1934-08-21');
  b = await buildHistory(w, '1936-11-09');
  // the hub's completed call (needs met per referral), after consent was withdrawn for the rest
  await closeHistory(w, a);
  await closeHistory(w, b);
});
afterAll(async () => ctx?.close());

type Keys = (e: PersonExport) => string[];
/** Tables about a person: the SQL naming the keys of one person's rows, and where those keys are in the export. */
const ABOUT_A_PERSON: Record<string, { rows: (ids: string[], subs: string[], refs: string[]) => ReturnType<typeof sql<{ k: string }>>; inExport: Keys }> = {
  people: { rows: (ids) => sql`SELECT id::text AS k FROM people WHERE id = ANY(${ids}::uuid[])`, inExport: (e) => [e.person.id, ...e.mergedRecords.map((m) => m.id)] },
  // the search's name index: the normalised names of the person's own record, which the export shows (e.person)
  person_search_names: { rows: (ids) => sql`SELECT person_id::text AS k FROM person_search_names WHERE person_id = ANY(${ids}::uuid[])`, inExport: (e) => [e.person.id] },
  person_versions: { rows: (ids) => sql`SELECT id::text AS k FROM person_versions WHERE person_id = ANY(${ids}::uuid[])`, inExport: (e) => e.detailsAsGiven.map((v) => v.id) },
  person_match_flags: {
    rows: (ids) => sql`SELECT id::text AS k FROM person_match_flags WHERE person_id = ANY(${ids}::uuid[]) OR candidate_id = ANY(${ids}::uuid[])`,
    inExport: (e) => e.possibleDuplicates.map((f) => f.id),
  },
  consents: { rows: (ids) => sql`SELECT id::text AS k FROM consents WHERE person_id = ANY(${ids}::uuid[])`, inExport: (e) => e.consents.map((c) => c.id) },
  consent_withdrawals: { rows: (ids) => sql`SELECT id::text AS k FROM consent_withdrawals WHERE person_id = ANY(${ids}::uuid[])`, inExport: (e) => e.consentWithdrawals.map((c) => c.id) },
  submissions: { rows: (_i, subs) => sql`SELECT id::text AS k FROM submissions WHERE id = ANY(${subs}::uuid[])`, inExport: (e) => e.checklists.map((s) => s.id) },
  referrals: { rows: (_i, _s, refs) => sql`SELECT id::text AS k FROM referrals WHERE id = ANY(${refs}::uuid[])`, inExport: (e) => e.referrals.map((r) => r.id) },
  referral_events: { rows: (_i, _s, refs) => sql`SELECT id::text AS k FROM referral_events WHERE referral_id = ANY(${refs}::uuid[])`, inExport: (e) => e.referrals.flatMap((r) => r.history.map((h) => String(h.id))) },
  referral_repeats: {
    rows: (_i, subs) => sql`SELECT submission_id || '/' || referral_id AS k FROM referral_repeats WHERE submission_id = ANY(${subs}::uuid[])`,
    inExport: (e) => e.referredAgain.map((r) => `${r.submissionId}/${r.referralId}`),
  },
  follow_ups: { rows: (_i, subs) => sql`SELECT id::text AS k FROM follow_ups WHERE submission_id = ANY(${subs}::uuid[])`, inExport: (e) => e.followUps.map((f) => f.id) },
  follow_up_attempts: {
    rows: (_i, subs) => sql`SELECT a.id::text AS k FROM follow_up_attempts a JOIN follow_ups f ON f.id = a.follow_up_id WHERE f.submission_id = ANY(${subs}::uuid[])`,
    inExport: (e) => e.followUps.flatMap((f) => f.attempts.map((x) => x.id)),
  },
  follow_up_outcomes: {
    rows: (_i, subs) => sql`SELECT o.follow_up_id || '/' || o.referral_id AS k FROM follow_up_outcomes o JOIN follow_ups f ON f.id = o.follow_up_id WHERE f.submission_id = ANY(${subs}::uuid[])`,
    inExport: (e) => e.followUps.flatMap((f) => f.needsMet.map((x) => `${f.id}/${x.referralId}`)),
  },
  wellbeing_scores: {
    rows: (ids, subs) => sql`SELECT id::text AS k FROM wellbeing_scores WHERE person_id = ANY(${ids}::uuid[]) OR submission_id = ANY(${subs}::uuid[])`,
    inExport: (e) => e.wellbeing.map((w) => w.id),
  },
  sla_breaches: { rows: (_i, _s, refs) => sql`SELECT id::text AS k FROM sla_breaches WHERE referral_id = ANY(${refs}::uuid[])`, inExport: (e) => e.referrals.flatMap((r) => r.slaBreaches.map((x) => x.id)) },
  alerts: { rows: (_i, _s, refs) => sql`SELECT id::text AS k FROM alerts WHERE referral_id = ANY(${refs}::uuid[])`, inExport: (e) => e.referrals.flatMap((r) => r.alerts.map((x) => x.id)) },
  referral_routings: { rows: (_i, _s, refs) => sql`SELECT referral_id::text AS k FROM referral_routings WHERE referral_id = ANY(${refs}::uuid[])`, inExport: (e) => e.referrals.filter((r) => r.routing).map((r) => r.id) },
  agency_links: { rows: (_i, _s, refs) => sql`SELECT id::text AS k FROM agency_links WHERE referral_id = ANY(${refs}::uuid[])`, inExport: (e) => e.referrals.flatMap((r) => r.agencyLinks.map((x) => x.id)) },
  notifications: {
    rows: (_i, subs, refs) => sql`SELECT id::text AS k FROM notifications WHERE submission_id = ANY(${subs}::uuid[]) OR referral_id = ANY(${refs}::uuid[])`,
    inExport: (e) => e.mail.map((m) => m.id),
  },
  // A released self-referral (its checklist became the person's submission; what it keeps is who
  // filled it in and the hub's call note). An open one is a checklist from someone not yet
  // identified, in no person's record until release; a closed one holds a reason and a note until
  // retention, in no person's record.
  self_referrals: { rows: (_i, subs) => sql`SELECT id::text AS k FROM self_referrals WHERE submission_id = ANY(${subs}::uuid[])`, inExport: (e) => e.selfReferrals.map((x) => x.id) },
  audit_log: { rows: (ids) => sql`SELECT id::text AS k FROM audit_log WHERE person_id = ANY(${ids}::uuid[])`, inExport: (e) => e.access.map((x) => String(x.id)) },
};
/** Tables that hold nothing about a person, and why. */
const NOTHING_ABOUT_A_PERSON: Record<string, string> = {
  agencies: 'the partner agencies',
  users: 'staff accounts',
  api_tokens: 'hashes of staff tokens',
  web_sessions: 'hashes of staff sessions',
  user_second_factors: "staff's authenticator secrets, sealed with MFA_KEY",
  recovery_codes: "keyed hashes of staff's recovery codes",
  pending_sign_ins: 'staff sign-ins waiting for their code (hashes, 5 minutes)',
  user_passkeys: "staff's passkeys (public keys, counters, the names they gave them)",
  webauthn_challenges: 'passkey challenges awaiting a browser (two minutes, single use)',
  sso_sign_ins: 'single sign-ons waiting for the provider (hashes, PKCE verifier, state, nonce; 10 minutes)',
  questionnaires: 'the checklist versions',
  questionnaire_sections: 'the checklist versions',
  questions: 'the checklist versions',
  outcome_codes: 'the outcome codes the hub offers agencies',
  organisations: 'the referrers\' organisations',
  agency_capacity: 'what each agency says it can take, and which staff member said it',
  agency_capacity_changes: 'the history of what each agency said it could take',
  idempotency_keys: "a submitter's request record: the reply's ids and references for 48 hours, no personal data",
  referral_days: 'counts of referrals received per day and agency (the dashboard charts)',
  report_days: 'counts per day, agency and referrer organisation (the summary report\'s rollup): no person',
  report_facet_days: 'counts per day of checklists, questions, outcomes, age bands and postcode districts: no person',
  report_months: 'report_days added up per month (the summary report\'s monthly layer): no person',
  report_facet_months: 'report_facet_days added up per month: no person',
  report_rolled_days: 'the days the report rollup has made',
  report_stale_days: 'the days whose report rollup is out of date',
  bank_holidays: 'the England and Wales bank holidays the working-day clocks skip',
  sql_files: 'which version (SHA-256) of each function and trigger file the database runs',
  audit_checkpoints: "the audit chain's daily heads (a place in the chain and its hash): no person",
  webhook_endpoints: "partner agencies' and the hub's webhook URLs, with their sealed signing secrets",
  webhook_deliveries: 'webhook events sent or to send: ids, references and statuses only, never personal data',
  person_search_progress: "where the person search's name indexer has read up to (a transaction id)",
  kysely_migration: 'the schema version',
  kysely_migration_lock: 'the schema version',
};

async function keysOf(table: keyof typeof ABOUT_A_PERSON, h: History): Promise<string[]> {
  const ids = [h.personId, h.mergedId];
  const { rows } = await ABOUT_A_PERSON[table]!.rows(ids, h.submissionIds, h.referralIds).execute(ctx.db);
  return rows.map((r) => r.k).sort();
}

describe('GET /api/v1/people/:id/export', () => {
  it('classifies every table of the database', async () => {
    const { rows } = await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`.execute(ctx.db);
    expect(rows.map((r) => r.name).sort()).toEqual([...Object.keys(ABOUT_A_PERSON), ...Object.keys(NOTHING_ABOUT_A_PERSON)].sort());
  });

  it('holds every row about the person in every table, and none of another person’s', async () => {
    const res = await w.api.get(`/api/v1/people/${a.personId}/export`, w.coordinator.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename=signpost-person-${a.personId}.json`);
    const e = res.body as PersonExport;
    const text = JSON.stringify(e);
    for (const table of Object.keys(ABOUT_A_PERSON)) {
      const mine = await keysOf(table, a);
      // the history gives the person a row in every table, so each check below means something
      expect(mine.length, table).toBeGreaterThan(0);
      const exported = ABOUT_A_PERSON[table]!.inExport(e).sort();
      if (table === 'audit_log') expect(exported, table).toEqual(expect.arrayContaining(mine));
      else expect(exported, table).toEqual(mine);
      const theirs = await keysOf(table, b);
      expect(theirs.length, table).toBeGreaterThan(0);
      for (const k of theirs) expect(exported, `${table} ${k} is another person's`).not.toContain(k);
    }
    // the person's own details, as given, and none of the other person's
    expect(e.person).toMatchObject({ givenName: a.person.givenName, dateOfBirth: '1934-08-21', nhsNumber: a.person.nhsNumber });
    for (const value of b.identifiers.filter((v) => !a.identifiers.includes(v))) expect(text).not.toContain(value);
    // the export lists its own read, and every read names the organisation it was for
    expect(e.access[0]).toMatchObject({ action: 'person.export', who: w.coordinator.name, organisation: ctx.env.HUB_NAME });
    expect(e.access.some((x) => x.organisation !== ctx.env.HUB_NAME && x.action === 'read' && x.entity === 'referral')).toBe(true);
    // answers with their questions
    expect(e.checklists[0]!.answers.find((x) => x.answer === 'yes')!.question).toEqual(expect.any(String));
  });

  it('is audited, the hub’s only, and points a merged record at the one kept', async () => {
    const before = await ctx.db.selectFrom('auditLog').select('id').where('action', '=', 'person.export').where('personId', '=', a.personId).execute();
    expect((await w.api.get(`/api/v1/people/${a.personId}/export`, admin.token)).status).toBe(200);
    const after = await ctx.db.selectFrom('auditLog').select(['actorUserId']).where('action', '=', 'person.export').where('personId', '=', a.personId).execute();
    expect(after.length).toBe(before.length + 1);
    expect((await w.api.get(`/api/v1/people/${a.personId}/export`, w.worker.token)).status).toBe(403);
    const merged = await w.api.get(`/api/v1/people/${a.mergedId}/export`, w.coordinator.token);
    expect(merged.status).toBe(409);
    expect(merged.body.error).toMatchObject({ code: 'person_merged', details: { mergedInto: a.personId } });
  });
});
