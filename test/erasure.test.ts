/**
 * Erasure on request and retention, against the real Postgres: afterwards a pg_dump of the whole
 * database holds none of the person's identifiers (while another person's are still there, so
 * the search is shown to work), the reports count the same, and what may not be erased is not.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../src/kernel/clock.js';
import { runRetention } from '../src/modules/people/erasure.service.js';
import { apiClient } from './helpers/api.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { buildHistory, closeHistory, type History, type HistoryWorld } from './helpers/person-history.js';
import { processRecords } from '../workers/records.js';

let ctx: TestContext;
let w: HistoryWorld;
let admin: TestUser;

beforeAll(async () => {
  ctx = await createTestContext({ RETENTION_MONTHS_AFTER_CLOSE: '24' });
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
});
afterAll(async () => ctx?.close());

/** The whole database as pg_dump writes it: every row of every table, as text. */
const occurrences = (text: string, s: string) => text.split(s).length - 1;

async function dump(): Promise<string> {
  const { stdout } = await promisify(execFile)('pg_dump', ['--data-only', '--no-owner', ctx.databaseUrl], { maxBuffer: 256 * 1024 * 1024 });
  expect(stdout).toContain('COPY public.referrals');
  return stdout;
}

/** What the reports are made of: counts by agency and status, outcomes, needs met, breaches, age band, district. */
async function reportCounts() {
  const { rows } = await sql<{ k: string; n: string }>`
    SELECT 'referral ' || agency_id || ' ' || status || ' ' || coalesce(outcome, '-') AS k, count(*)::text AS n FROM referrals GROUP BY 1
    UNION ALL SELECT 'needs ' || needs_met, count(*)::text FROM follow_up_outcomes GROUP BY 1
    UNION ALL SELECT 'breach ' || clock || ' ' || agency_id, count(*)::text FROM sla_breaches GROUP BY 1
    UNION ALL SELECT 'checklist ' || status || ' ' || coalesce(age_band, '-') || ' ' || coalesce(postcode_district, '-'), count(*)::text FROM submissions GROUP BY 1
    UNION ALL SELECT 'answers yes', count(*)::text FROM submissions, jsonb_each(answers) a WHERE a.value = 'true'
    ORDER BY 1`.execute(ctx.db);
  const summary = await w.api.get('/api/v1/sla/summary', w.coordinator.token);
  expect(summary.status).toBe(200);
  return { rows, summary: summary.body };
}

/** The person's ONS4 answers (health data: erasure deletes the rows; scores are numbers, which a dump search cannot tell apart). */
const wellbeingRows = async (h: History) =>
  (await ctx.db.selectFrom('wellbeingScores').select('id').where((e) => e.or([e('submissionId', 'in', h.submissionIds), e('personId', 'in', [h.personId, h.mergedId])])).execute()).length;

const erase = (id: string, token = admin.token) => w.api.post(`/api/v1/people/${id}/erasure`, token, { reason: 'The person asked us to erase their details' });

describe('POST /api/v1/people/:id/erasure', () => {
  let a: History;
  let b: History;
  beforeAll(async () => {
    a = await buildHistory(w, '1933-03-14');
    b = await buildHistory(w, '1935-07-26');
  });

  it('is refused while a referral is live or a checklist open, naming them, and to anyone but an admin', async () => {
    expect((await erase(a.personId, w.coordinator.token)).status).toBe(403);
    const res = await erase(a.personId);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('still_open');
    expect(res.body.error.details.liveReferrals.length).toBeGreaterThan(0);
    expect(res.body.error.details.openChecklists.length).toBeGreaterThan(0);
  });

  it('is refused under a legal hold, and works once it is lifted, leaving no identifier in a pg_dump and the reports unchanged', async () => {
    await closeHistory(w, a);
    const hold = await w.api.call('PUT', `/api/v1/people/${a.personId}/legal-hold`, { token: admin.token, body: { reason: 'Complaint under review' } });
    expect(hold.status).toBe(200);
    expect((await erase(a.personId)).body.error.code).toBe('legal_hold');
    expect((await w.api.call('DELETE', `/api/v1/people/${a.personId}/legal-hold`, { token: admin.token })).status).toBe(200);

    const before = await reportCounts();
    const dumpBefore = await dump();
    for (const id of a.identifiers) expect(dumpBefore, `before: ${id}`).toContain(id);
    // the person search's name index holds her normalised names (lower case, so not among the identifiers above)
    const searchNames = () => ctx.db.selectFrom('personSearchNames').select('normFamily').where('personId', '=', a.personId).execute();
    expect(await searchNames()).toEqual([{ normFamily: expect.any(String) }]);

    // the checklist's, the merged duplicate's and the call's answers
    expect(await wellbeingRows(a)).toBe(3);
    // the merge moved the duplicate's answers to the person kept
    const owners = await ctx.db.selectFrom('wellbeingScores').select('personId').distinct().where('submissionId', 'in', a.submissionIds).execute();
    expect(owners).toEqual([{ personId: a.personId }]);
    const res = await erase(a.personId);
    expect(res.status).toBe(200);
    expect(await wellbeingRows(a)).toBe(0);
    expect(await wellbeingRows(b)).toBeGreaterThan(0);
    expect(res.body).toMatchObject({ personId: a.personId, erasedAt: ctx.clock.now().toISOString() });

    const after = await dump();
    for (const id of a.identifiers) expect(after, `after: ${id}`).not.toContain(id);
    expect(await searchNames()).toEqual([]);
    // the date of birth is left only where the open likely duplicate (another person) holds it
    expect(occurrences(dumpBefore, a.dateOfBirth)).toBeGreaterThan(a.dobHeldByOthers);
    expect(occurrences(after, a.dateOfBirth)).toBe(a.dobHeldByOthers);
    // the other person is untouched: the search above would have found them
    for (const id of b.identifiers) expect(after, `the other person: ${id}`).toContain(id);
    expect(await reportCounts()).toEqual(before);

    // what is left: the anonymous record, with the age band and district at referral
    const record = await w.api.get(`/api/v1/people/${a.personId}`, w.coordinator.token);
    expect(record.body.person).toMatchObject({ givenName: null, familyName: null, dateOfBirth: null, phone: null, erasedAt: ctx.clock.now().toISOString(), erasureReason: 'The person asked us to erase their details' });
    const checklists = await ctx.db.selectFrom('submissions').select(['ageBand', 'postcodeDistrict']).where('personId', '=', a.personId).execute();
    expect(checklists.length).toBeGreaterThan(1);
    expect(checklists.every((c) => c.ageBand === '90 and over' && c.postcodeDistrict === 'SE1')).toBe(true);
    const mail = await ctx.db.selectFrom('notifications').select('bodyText').where('referralId', 'in', a.referralIds).execute();
    expect(mail.length).toBeGreaterThan(0);
    expect(mail.every((m) => m.bodyText.startsWith('(Removed'))).toBe(true);
    const links = await ctx.db.selectFrom('agencyLinks').select('revokedAt').where('referralId', 'in', a.referralIds).execute();
    expect(links).toEqual([{ revokedAt: ctx.clock.now() }]);
    expect(await ctx.db.selectFrom('auditLog').select('action').where('personId', '=', a.personId).where('action', '=', 'person.erase').execute()).toHaveLength(1);

    // the history's events are still there, their free text gone
    const events = await ctx.db.selectFrom('referralEvents').select(['toStatus', 'reason', 'note']).where('referralId', 'in', a.referralIds).execute();
    expect(events.length).toBeGreaterThan(5);
    expect(events.every((e) => e.note === null && (e.reason === null || ['consent_withdrawn', 'referred_again'].includes(e.reason)))).toBe(true);

    // a second erasure is a 409; a later checklist with the same details is a new person
    expect((await erase(a.personId)).body.error.code).toBe('already_erased');
    const again = await w.api.post('/api/v1/submissions', w.worker.token, submissionBody(w.q, [w.q.questions[0]!.id], { person: { givenName: a.person.givenName, familyName: a.person.familyName, dateOfBirth: '1933-03-14', postcode: 'SE1 7PB', phone: '020 7946 0101', preferredContact: 'phone' } }));
    expect(again.status).toBe(201);
    expect(again.body.personId).not.toBe(a.personId);
  });

  it('keeps the history append-only outside erasure', async () => {
    await expect(sql`UPDATE referral_events SET note = NULL WHERE referral_id = ${b.referralIds[0]}::uuid`.execute(ctx.db)).rejects.toMatchObject({ code: '42501' });
    await expect(sql`DELETE FROM referral_events WHERE referral_id = ${b.referralIds[0]}::uuid`.execute(ctx.db)).rejects.toMatchObject({ code: '42501' });
  });
});

describe('retention', () => {
  it(`erases, ${24} months after the last checklist closed, everyone but those under a legal hold`, async () => {
    ctx.clock.advance(400 * DAY);
    const c = await buildHistory(w, '1937-01-30');
    const held = await buildHistory(w, '1938-05-02');
    await closeHistory(w, c);
    await closeHistory(w, held);
    const closedAt = ctx.clock.now();
    expect((await w.api.call('PUT', `/api/v1/people/${held.personId}/legal-hold`, { token: admin.token, body: { reason: 'Safeguarding review' } })).status).toBe(200);
    const someoneStillOpen = await buildHistory(w, '1939-09-09');

    // a day short of 24 months: nothing of theirs is due
    ctx.clock.set(new Date(closedAt.getTime()));
    const cutoffDay = new Date(closedAt);
    cutoffDay.setUTCMonth(cutoffDay.getUTCMonth() + 24);
    ctx.clock.set(new Date(cutoffDay.getTime() - DAY));
    const early = await runRetention(ctx, { dryRun: true });
    const dueEarly = await ctx.db.selectFrom('people').select('id').where('id', 'in', [c.personId, held.personId]).where('inactiveSince', '<', new Date(early.cutoff)).execute();
    expect(dueEarly).toEqual([]);

    ctx.clock.set(new Date(cutoffDay.getTime() + DAY));
    const dry = await runRetention(ctx, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, heldBack: 1 });
    expect(dry.erased).toBeGreaterThanOrEqual(1);
    expect((await ctx.db.selectFrom('people').select('erasedAt').where('id', '=', c.personId).executeTakeFirstOrThrow()).erasedAt).toBeNull();

    // the scheduled job does the work
    const ran = (await processRecords({ id: 'test', name: 'retention-run', data: {} }, ctx)) as Awaited<ReturnType<typeof runRetention>>;
    expect(ran).toMatchObject({ dryRun: false, erased: dry.erased, heldBack: 1 });
    const text = await dump();
    for (const id of c.identifiers) expect(text, `retention: ${id}`).not.toContain(id);
    expect(await wellbeingRows(c)).toBe(0);
    expect(await wellbeingRows(held)).toBe(3);
    expect(occurrences(text, c.dateOfBirth)).toBe(c.dobHeldByOthers);
    for (const id of held.identifiers) expect(text, `legal hold: ${id}`).toContain(id);
    for (const id of someoneStillOpen.identifiers) expect(text, `still open: ${id}`).toContain(id);
    expect(await ctx.db.selectFrom('auditLog').select('actorLabel').where('personId', '=', c.personId).where('action', '=', 'person.retention_erase').execute()).toEqual([{ actorLabel: 'Signpost hub' }]);
    // nothing left to do: a second run erases nobody
    expect((await runRetention(ctx, { dryRun: false })).erased).toBe(0);
  });
});
