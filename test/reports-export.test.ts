/**
 * GET /api/v1/reports/referrals.csv against the real Postgres: a hand-built set of referrals
 * whose every cell is known (forwarded late, contacted late, completed, cancelled by a consent
 * withdrawal, re-routed, a checklist with no needs, one outside the period), read back as CSV
 * cell by cell; hostile agency names neutralised for spreadsheets; no personal data; audited;
 * and the refusals.
 */
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../src/kernel/clock.js';
import { EXPORT_COLUMNS, clockCell } from '../src/modules/reports/report-export.service.js';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { markForwarded, moveThrough } from './helpers/referrals.js';
import { makeWebUser } from './helpers/browser.js';
import { WebClient } from './helpers/web-client.js';
import { presetPeriods } from '../src/modules/reports/pages/reports.routes.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let admin: TestUser;
let fireAgency: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator, admin, fireAgency } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator', admin: 'admin', fireAgency: { agencyOf: 0 } }));
}, 60_000);
afterAll(async () => ctx?.close());

async function submit(yes: number[], person: object = {}) {
  const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, yes.map((i) => q.questions[i]!.id), { person }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; reference: string; personId: string; referrals: { id: string; reference: string; agencyId: string }[] };
}

/** The CSV as a spreadsheet would read it: the BOM checked and dropped, rows as objects by header. */
async function download(from: string, to: string, token = coordinator.token) {
  const res = await fetch(`${ctx.baseUrl}/api/v1/reports/referrals.csv?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${token}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { res, bytes, text: bytes.toString('utf8') };
}
const rowsOf = (text: string) => parse(text, { bom: true, columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];

describe('the referrals CSV', () => {
  it('has one row per referral of the period, every cell as known, safe to open and with no personal data', async () => {
    // 2 March 2026, 09:00 London (GMT)
    ctx.clock.set('2026-03-02T09:00:00Z');
    const hostile = ['=HYPERLINK("http://example.org","x")', '+1+1', '-2+3', '@SUM(A1)', '\tTabbed', '\rReturned'];
    // the fire service forwarded 30 hours late (a day's deadline), contacted 2 days late, completed
    const a = await submit([0], { givenName: 'Ottilie', familyName: 'Exportcase', phone: '020 7946 0777' });
    ctx.clock.advance(30 * HOUR);
    await markForwarded(ctx, a.referrals[0]!.id);
    const contactDue = (await ctx.db.selectFrom('referrals').select('contactDueAt').where('id', '=', a.referrals[0]!.id).executeTakeFirstOrThrow()).contactDueAt!;
    ctx.clock.set(new Date(contactDue.getTime() + 2 * DAY));
    await moveThrough(api, fireAgency.token, a.referrals[0]!.id, [{ to: 'contacted', note: 'Visited Ottilie at home' }, { to: 'completed', outcome: 'service_provided' }]);

    // two agencies: one re-routed by the hub, one cancelled when consent was withdrawn
    ctx.clock.set('2026-03-10T10:00:00Z');
    const b = await submit([3, 15]);
    const [falls, advice] = [b.referrals.find((r) => r.agencyId === q.questions[3]!.agencyId)!, b.referrals.find((r) => r.agencyId === q.questions[15]!.agencyId)!];
    await markForwarded(ctx, falls.id);
    const other = q.questions.find((x) => ![q.questions[0]!.agencyId, falls.agencyId, advice.agencyId].includes(x.agencyId))!.agencyId;
    await moveThrough(api, coordinator.token, falls.id, [{ to: 'rejected', reason: 'Not our area' }, { to: 'rerouted', reason: 'Better placed with the advice team', targetAgencyId: other }]);
    const withdrawn = await api.post(`/api/v1/people/${b.personId}/consent-withdrawals`, coordinator.token, { agencyIds: [advice.agencyId], recordedAt: ctx.clock.now().toISOString() });
    expect(withdrawn.status).toBe(201);

    // a checklist with no needs (no referral), and one the day after the period
    await submit([]);
    ctx.clock.set('2026-04-01T09:00:00Z');
    const after = await submit([0]);

    // hostile agency names: what a spreadsheet would run as a formula
    const agencyIds = [q.questions[0]!.agencyId, falls.agencyId, advice.agencyId, other];
    for (const [i, id] of agencyIds.entries()) await ctx.db.updateTable('agencies').set({ name: hostile[i]! }).where('id', '=', id).execute();
    ctx.clock.set('2026-04-02T12:00:00Z');

    const { res, bytes, text } = await download('2026-03-01', '2026-03-31');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain('signpost-referrals-2026-03-01-to-2026-03-31.csv');
    // Excel reads UTF-8 by its byte order mark; lines end CRLF
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text.split('\r\n')[0]).toBe('\ufeff' + EXPORT_COLUMNS.join(','));

    const rows = rowsOf(text);
    const byRef = new Map(rows.map((r) => [r.reference, r]));
    const rerouted = (await ctx.db.selectFrom('referrals').select(['id', 'reference']).where('reroutedFromId', '=', falls.id).executeTakeFirstOrThrow());
    expect([...byRef.keys()].sort()).toEqual([a.referrals[0]!.reference, falls.reference, advice.reference, rerouted.reference].sort());
    expect(byRef.has(after.referrals[0]!.reference)).toBe(false);

    expect(byRef.get(a.referrals[0]!.reference)).toEqual({
      reference: a.referrals[0]!.reference,
      checklist_reference: a.reference,
      channel: 'api',
      received_at: '2026-03-02 09:00',
      agency: `'${hostile[0]}`,
      organisation: '',
      organisation_type: '',
      status: 'completed',
      outcome: 'service_provided',
      rerouted_to: '',
      forward_due_at: '2026-03-03 09:00',
      forwarded_at: '2026-03-03 15:00',
      forward_clock: 'late',
      forward_late_hours: '6',
      contact_due_at: expect.stringMatching(/^2026-03-1\d \d\d:\d\d$/),
      contacted_at: expect.stringMatching(/^2026-03-\d\d \d\d:\d\d$/),
      contact_clock: 'late',
      contact_late_hours: '48',
      follow_up_due_at: expect.stringMatching(/^2026-03-\d\d \d\d:\d\d$/),
      followed_up_at: '',
      follow_up_clock: 'overdue',
      follow_up_late_hours: expect.stringMatching(/^\d+$/),
      needs_met: '',
      closed_at: expect.stringMatching(/^2026-03-\d\d \d\d:\d\d$/),
      age_band: expect.stringMatching(/^(\d\d to \d\d|90 and over)$/),
      postcode_district: 'SE1',
    });
    expect(byRef.get(falls.reference)).toMatchObject({ agency: `'${hostile[1]}`, status: 'rerouted', rerouted_to: rerouted.reference, forward_clock: 'on time', forward_late_hours: '', contact_clock: 'ended' });
    // cancelled before it was due to be sent: its clocks ended, none late
    expect(byRef.get(advice.reference)).toMatchObject({ agency: `'${hostile[2]}`, status: 'cancelled', forwarded_at: '', forward_clock: 'ended', forward_late_hours: '', contact_clock: '' });
    expect(byRef.get(rerouted.reference)).toMatchObject({ agency: `'${hostile[3]}`, status: 'pending' });

    // nothing about the person: no name, phone, date of birth or full postcode anywhere
    for (const secret of ['Ottilie', 'Exportcase', '020 7946 0777', 'SE1 7PB', 'Visited']) expect(text).not.toContain(secret);
    // audited before any row was read
    const audit = await ctx.db.selectFrom('auditLog').select(['action', 'entity', 'actorUserId']).where('action', '=', 'report.referrals_csv').execute();
    expect(audit).toEqual([{ action: 'report.referrals_csv', entity: 'report', actorUserId: coordinator.id }]);
    // a self-referral counts as its own, not as a checklist with no organisation recorded (the
    // channel set as the triage's release sets it: no referring organisation, channel self_referral)
    await ctx.db.updateTable('submissions').set({ channel: 'self_referral' }).where('id', '=', b.id).execute();
    const again = new Map(rowsOf((await download('2026-03-01', '2026-03-31')).text).map((r) => [r.reference, r]));
    expect(again.get(falls.reference)).toMatchObject({ channel: 'self_referral', organisation: 'Self-referral', organisation_type: 'self_referral' });
    expect(again.get(a.referrals[0]!.reference)).toMatchObject({ channel: 'api', organisation: '', organisation_type: '' });
  });

  it('streams a period of thousands of referrals in batches, the same rows as counted, each once', async () => {
    // 4,100 referrals on one day: several batches of 500
    ctx.clock.set('2026-05-04T09:00:00Z');
    const s = await submit([0]);
    // copies of its checklist, each with one cancelled referral, three a second, a microsecond
    // apart: a page that ends inside a millisecond must not start the next one again there
    await sql`
      WITH subs AS (
        INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status, received_at, closed_at)
        SELECT gen_random_uuid(), 'SP-BULK-' || lpad(g::text, 4, '0'), questionnaire_id, person_id, submitted_by, answers, consent, 'closed',
               received_at + (g / 3) * interval '1 second' + (g % 3) * interval '1 microsecond',
               received_at + (g / 3) * interval '1 second' + (g % 3) * interval '1 microsecond'
          FROM submissions, generate_series(1, 4100) g WHERE id = ${s.id}
        RETURNING id, reference, received_at)
      INSERT INTO referrals (id, reference, submission_id, agency_id, question_ids, status, received_at, forward_due_at, closed_at, updated_at)
      SELECT gen_random_uuid(), subs.reference || '-1', subs.id, ${q.questions[0]!.agencyId}::uuid, ARRAY[${q.questions[0]!.id}::uuid], 'cancelled',
             subs.received_at, subs.received_at + interval '1 day', subs.received_at, subs.received_at
        FROM subs`.execute(ctx.db);
    const { res, text } = await download('2026-05-04', '2026-05-04', admin.token);
    expect(res.status).toBe(200);
    const rows = rowsOf(text);
    expect(rows).toHaveLength(4101);
    expect(new Set(rows.map((r) => r.reference)).size).toBe(4101);
    // oldest first
    expect(rows[0]!.reference).toBe(s.referrals[0]!.reference);
    expect(rows.at(-1)!.reference).toBe('SP-BULK-4100-1');
  });

  it('refuses a bad period with the field and the reason, and anyone but the hub', async () => {
    const cases: [string, string][] = [
      ['from=2026-03-01', 'to'],
      ['from=2026-13-01&to=2026-12-01', 'from'],
      ['from=2026-03-02&to=2026-03-01', 'to'],
      ['from=yesterday&to=2026-03-01', 'from'],
    ];
    for (const [query, path] of cases) {
      const res = await api.get(`/api/v1/reports/referrals.csv?${query}`, coordinator.token);
      expect(res.status, query).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path), query).toContain(path);
    }
    for (const who of [worker, fireAgency]) expect((await api.get('/api/v1/reports/referrals.csv?from=2026-03-01&to=2026-03-31', who.token)).status).toBe(403);
  });
});

describe('the reports page', () => {
  it('downloads a chosen period or a preset one as the same CSV, names what is wrong with the days, and is the hub’s only', async () => {
    const hub = await makeWebUser(ctx, 'coordinator');
    const web = new WebClient(ctx.baseUrl);
    await web.signIn(hub.email, hub.password);
    const pageHtml = (await web.get('/hub/reports')).text;
    expect(pageHtml).toContain('href="/hub/reports/referrals.csv?from=');
    const chosen = await web.get('/hub/reports/referrals.csv?from%5Bday%5D=1&from%5Bmonth%5D=3&from%5Byear%5D=2026&to%5Bday%5D=31&to%5Bmonth%5D=3&to%5Byear%5D=2026');
    expect(chosen.status).toBe(200);
    expect(chosen.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const preset = await web.get('/hub/reports/referrals.csv?from=2026-03-01&to=2026-03-31');
    expect(rowsOf(preset.text).map((r) => r.reference)).toEqual(rowsOf(chosen.text).map((r) => r.reference));
    expect(rowsOf(chosen.text).length).toBeGreaterThan(0);

    const bad = await web.get('/hub/reports/referrals.csv?from%5Bday%5D=31&from%5Bmonth%5D=2&from%5Byear%5D=2026&to%5Bday%5D=1&to%5Bmonth%5D=1&to%5Byear%5D=2026');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Enter a real date for the first day');
    const backwards = await web.get('/hub/reports/referrals.csv?from=2026-03-02&to=2026-03-01');
    expect(backwards.status).toBe(400);
    expect(backwards.text).toContain('The last day must be the same as the first day or after it');

    const lw = await makeWebUser(ctx, 'link_worker');
    const other = new WebClient(ctx.baseUrl);
    await other.signIn(lw.email, lw.password);
    expect((await other.get('/hub/reports/referrals.csv?from=2026-03-01&to=2026-03-31')).status).toBe(403);
  });

  it('offers this month, last month, the last full quarter and the financial years from 1 April', () => {
    expect(presetPeriods('2026-02-15')).toEqual([
      { text: 'This month so far', from: '2026-02-01', to: '2026-02-15' },
      { text: 'Last month', from: '2026-01-01', to: '2026-01-31' },
      { text: 'The last full quarter', from: '2025-10-01', to: '2025-12-31' },
      { text: 'This financial year so far (from 1 April 2025)', from: '2025-04-01', to: '2026-02-15' },
      { text: 'Last financial year (April 2024 to March 2025)', from: '2024-04-01', to: '2025-03-31' },
    ]);
    expect(presetPeriods('2026-01-10')[1]).toEqual({ text: 'Last month', from: '2025-12-01', to: '2025-12-31' });
    expect(presetPeriods('2026-05-31')[2]).toEqual({ text: 'The last full quarter', from: '2026-01-01', to: '2026-03-31' });
  });
});

describe('a clock in the CSV', () => {
  const due = new Date('2026-03-03T09:00:00Z');
  const now = new Date('2026-03-10T09:00:00Z');
  it('is on time, late by whole hours rounded up, overdue so far, not yet due, ended with the referral, or blank when it never started', () => {
    expect(clockCell(due, new Date('2026-03-03T09:00:00Z'), now)).toEqual(['on time', '']);
    expect(clockCell(due, new Date('2026-03-03T09:00:01Z'), now)).toEqual(['late', 1]);
    expect(clockCell(due, null, now)).toEqual(['overdue', 168]);
    expect(clockCell(due, null, new Date('2026-03-02T09:00:00Z'))).toEqual(['not yet due', '']);
    expect(clockCell(null, null, now)).toEqual(['', '']);
    // the referral ended before the step: before the deadline, or already late
    expect(clockCell(due, null, now, new Date('2026-03-02T09:00:00Z'))).toEqual(['ended', '']);
    expect(clockCell(due, null, now, new Date('2026-03-03T11:30:00Z'))).toEqual(['late', 3]);
  });
});
