/**
 * GET /api/v1/reports/summary against the real Postgres: a hand-built quarter whose every count
 * is known (a referral on time at every step with its outcome and needs met, one forwarded late
 * and re-routed, one cancelled by a consent withdrawal before it was forwarded, the re-route still
 * waiting past its deadline, a checklist with no needs, a person seen twice, a referrer
 * organisation), the quarter before it, and a checklist after it. Checked figure by figure,
 * then again after a change to an old day (the rollup follows it), per agency and per
 * organisation; the sweep rolls days up too; and the refusals.
 */
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR, DAY } from '../src/kernel/clock.js';
import { bucketOf, percentileFromBuckets, previousPeriod, smallNumber, wholeMonths } from '../src/modules/reports/report-summary.js';
import { runSweep } from '../src/modules/sla/sla.service.js';
import { releaseSelfReferral, submitSelfReferral } from '../src/modules/self-referral/self-referral.service.js';
import type { SubmissionBody } from '../src/modules/intake/submission.schema.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { migrations } from '../migrations/index.js';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { markForwarded, moveThrough } from './helpers/referrals.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let councilWorker: TestUser;
let coordinator: TestUser;
let fireAgency: TestUser;
let councilId: string;

beforeAll(async () => {
  ({ ctx, api, q, worker, councilWorker, coordinator, fireAgency } = await createWorld({
    worker: 'link_worker',
    councilWorker: 'link_worker',
    coordinator: 'coordinator',
    fireAgency: { agencyOf: 0 },
  }));
  ctx.clock.set('2026-01-05T09:00:00Z');
  const res = await api.post('/api/v1/organisations', coordinator.token, { name: 'East council adult social care', type: 'council' });
  expect(res.status).toBe(201);
  councilId = res.body.id;
  await ctx.db.updateTable('users').set({ organisationId: councilId }).where('id', '=', councilWorker.id).execute();
}, 60_000);
afterAll(async () => ctx?.close());

type Submitted = { id: string; reference: string; personId: string; referrals: { id: string; reference: string; agencyId: string }[] };
async function submit(by: TestUser, yes: number[], person: object, extra: object = {}): Promise<Submitted> {
  const res = await api.post('/api/v1/submissions', by.token, submissionBody(q, yes.map((i) => q.questions[i]!.id), { person, ...extra }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}
const summary = async (query: string, token = coordinator.token) => api.get(`/api/v1/reports/summary?${query}`, token);

const ADA = { givenName: 'Adeline', familyName: 'Summarycase', dateOfBirth: '1940-05-01', postcode: 'SE1 7PB' };
const BEN = { givenName: 'Benedict', familyName: 'Quartercount', dateOfBirth: '1950-01-01', postcode: 'N1 9GU' };

describe('the summary report', () => {
  it('counts a hand-built quarter figure by figure, beside the quarter before it', async () => {
    const fire = q.questions[0]!.agencyId;
    const falls = q.questions[3]!.agencyId;
    const advice = q.questions[15]!.agencyId;
    const other = q.questions.find((x) => ![fire, falls, advice].includes(x.agencyId))!.agencyId;

    // the quarter before: Ben, fire service, forwarded on time
    ctx.clock.set('2026-03-20T10:00:00Z');
    const before = await submit(worker, [0], BEN);
    ctx.clock.advance(HOUR);
    await markForwarded(ctx, before.referrals[0]!.id);

    // 2 April 09:00 BST, from the council: Ada, fire service, every step on time
    ctx.clock.set('2026-04-02T08:00:00Z');
    const a = await submit(councilWorker, [0], ADA, { wellbeing: { lifeSatisfaction: 4, worthwhile: 5, happy: 3, anxious: 8 } });
    const r1 = a.referrals[0]!.id;
    ctx.clock.advance(2 * HOUR);
    const { followUpId, dueAt } = await markForwarded(ctx, r1);
    ctx.clock.advance(72 * HOUR);
    await moveThrough(api, fireAgency.token, r1, [{ to: 'contacted', note: 'Visited' }, { to: 'completed', outcome: 'service_provided' }]);
    ctx.clock.set(new Date(dueAt.getTime() - DAY));
    const called = await api.post(`/api/v1/follow-ups/${followUpId}`, coordinator.token, {
      contactMade: true,
      outcomes: [{ referralId: r1, needsMet: 'yes' }],
      wellbeing: { lifeSatisfaction: 6, worthwhile: 5, happy: 4, anxious: 5 },
    });
    expect(called.status, JSON.stringify(called.body)).toBe(200);

    // 10 April: Ben again, two agencies. Falls forwarded 30 hours late, then re-routed by the hub
    // (the new referral waits, past its deadline); advice cancelled by a consent withdrawal at once
    ctx.clock.set('2026-04-10T09:00:00Z');
    const b = await submit(worker, [3, 15], BEN);
    const r2 = b.referrals.find((r) => r.agencyId === falls)!;
    const r3 = b.referrals.find((r) => r.agencyId === advice)!;
    const withdrawn = await api.post(`/api/v1/people/${b.personId}/consent-withdrawals`, coordinator.token, { agencyIds: [advice], recordedAt: ctx.clock.now().toISOString() });
    expect(withdrawn.status).toBe(201);
    // the withdrawal cancelled the advice referral before anyone forwarded it
    expect(withdrawn.body.cancelled.map((c: { id: string }) => c.id)).toEqual([r3.id]);
    ctx.clock.advance(30 * HOUR);
    await markForwarded(ctx, r2.id);
    await moveThrough(api, coordinator.token, r2.id, [{ to: 'rejected', reason: 'Not our area' }, { to: 'rerouted', reason: 'Better placed elsewhere', targetAgencyId: other }]);
    const r4 = (await ctx.db.selectFrom('referrals').select(['id']).where('reroutedFromId', '=', r2.id).executeTakeFirstOrThrow()).id;

    // 5 May: Ada again, no needs; 1 July: after the quarter
    ctx.clock.set('2026-05-05T09:00:00Z');
    await submit(worker, [], ADA);
    ctx.clock.set('2026-07-01T09:00:00Z');
    await submit(worker, [0], { ...BEN, givenName: 'Other', familyName: 'Afterwards', dateOfBirth: '1945-02-02' });

    // a sweep records the breaches and rolls report days up (the report rolls up the rest)
    ctx.clock.set('2026-07-05T12:00:00Z');
    const swept = await runSweep(ctx, { reconcile: false });
    expect(swept.reportDaysRolledUp).toBeGreaterThan(0);

    const res = await summary('from=2026-04-01&to=2026-06-30');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { current: cur, previous: prev, bucketEdgesHours } = res.body;
    expect(bucketEdgesHours[0]).toBe(1);
    expect(cur.period).toEqual({ from: '2026-04-01', to: '2026-06-30', days: 91 });
    expect(prev.period).toEqual({ from: '2026-01-01', to: '2026-03-31', days: 90 });

    // checklists: Ada (council), Ben, Ada with no needs; people: Ada and Ben
    expect(cur).toMatchObject({ checklists: 3, noNeeds: 1, people: 2, referrals: 4 });
    expect(prev).toMatchObject({ checklists: 1, noNeeds: 0, people: 1, referrals: 1 });

    const byAgency = new Map<string, any>(cur.byAgency.map((x: any) => [x.agencyId, x]));
    expect([...byAgency.keys()].sort()).toEqual([fire, falls, advice, other].sort());
    expect(byAgency.get(falls)).toMatchObject({ referrals: 1, rerouted: 1 });
    expect(byAgency.get(other)).toMatchObject({ referrals: 1, rerouted: 0 });
    const clock = (x: any, name: string) => x.clocks.find((c: any) => c.clock === name);

    // forward: Ada's on time (2 h), Ben's falls late (30 h), advice ended before its deadline,
    // the re-route overdue: 1 on time of 3 due
    expect(clock(cur, 'forward')).toMatchObject({ onTime: 1, late: 1, ended: 1, overdue: 1, notYetDue: 0, onTimeRate: 33.3, medianHours: 2, p90Hours: 48 });
    // contact: Ada's on time (72 h); the falls referral ended (re-routed) before its deadline
    expect(clock(cur, 'contact')).toMatchObject({ onTime: 1, late: 0, ended: 1, overdue: 0, onTimeRate: 100, medianHours: 72, p90Hours: 72 });
    // follow-up: Ada's on time, the day before it was due (due Monday 20 April, the working day
    // after the fire service's date, Friday 17 April): 17 days after forwarding, in the three
    // weeks' bucket (504 h); the falls referral's call stopped with the re-route
    expect(clock(cur, 'follow_up')).toMatchObject({ onTime: 1, late: 0, ended: 1, overdue: 0, onTimeRate: 100, medianHours: 504 });
    expect(clock(byAgency.get(fire), 'forward')).toMatchObject({ onTime: 1, late: 0, overdue: 0, onTimeRate: 100 });
    expect(clock(byAgency.get(other), 'forward')).toMatchObject({ onTime: 0, overdue: 1, onTimeRate: 0, medianHours: null });

    expect(cur.outcomes).toEqual([{ code: 'service_provided', label: expect.any(String), snomedCode: null, referrals: 1 }]);
    expect(byAgency.get(fire).outcomes).toEqual([{ code: 'service_provided', label: expect.any(String), referrals: 1 }]);
    expect(cur.needsMet).toEqual({ yes: 1, partly: 0, no: 0, notYet: 0 });
    // Ada's ONS4 pair: life satisfaction up 2, worthwhile the same, happier by 1, less anxious by 3
    expect(cur.wellbeing.people).toBe(1);
    expect(Object.fromEntries(cur.wellbeing.measures.map((m: any) => [m.measure, [m.n, m.meanImprovement, m.improved, m.same, m.worse]]))).toEqual({
      life_satisfaction: [1, 2, 1, 0, 0],
      worthwhile: [1, 0, 0, 1, 0],
      happy: [1, 1, 1, 0, 0],
      anxious: [1, 3, 1, 0, 0],
    });
    expect(prev.wellbeing.people).toBe(0);

    // questions: fire once, falls twice (the re-route keeps the question), advice once
    const byQ = Object.fromEntries(cur.byQuestion.map((x: any) => [x.questionId, x.referrals]));
    expect(byQ).toEqual({ [q.questions[0]!.id]: 1, [q.questions[3]!.id]: 2, [q.questions[15]!.id]: 1 });
    expect(cur.bySection.reduce((n: number, s: any) => n + s.referrals, 0)).toBe(4);

    expect(cur.byOrganisation).toEqual([
      { organisationId: null, organisation: 'No organisation recorded', type: null, checklists: 2, referrals: 3 },
      { organisationId: councilId, organisation: 'East council adult social care', type: 'council', checklists: 1, referrals: 1 },
    ]);
    expect(cur.byOrganisationType).toEqual([
      { type: null, label: 'No organisation recorded', checklists: 2, referrals: 3 },
      { type: 'council', label: 'Council', checklists: 1, referrals: 1 },
    ]);
    // Ada is 85 (both her checklists), Ben 76
    expect(cur.ageBands).toEqual([{ band: '75 to 79', count: 1 }, { band: '85 to 89', count: 2 }]);
    expect(cur.postcodeDistricts).toEqual([{ district: 'SE1', checklists: 2 }, { district: 'N1', checklists: 1 }]);

    // an old day changes (the re-route is forwarded now, late): the report follows
    await markForwarded(ctx, r4);
    const again = (await summary('from=2026-04-01&to=2026-06-30')).body.current;
    // the cancelled advice referral still counts as ended before its deadline, never forwarded
    expect(clock(again, 'forward')).toMatchObject({ onTime: 1, late: 2, ended: 1, overdue: 0, onTimeRate: 33.3 });
    expect(await ctx.db.selectFrom('referrals').select(['status', 'forwardedAt']).where('id', '=', r3.id).executeTakeFirstOrThrow()).toEqual({ status: 'cancelled', forwardedAt: null });

    // one agency: the fire service's own figures
    const fireOnly = (await summary(`from=2026-04-01&to=2026-06-30&agencyId=${fire}`)).body.current;
    expect(fireOnly).toMatchObject({ checklists: 1, noNeeds: 0, people: 1, referrals: 1, needsMet: { yes: 1, partly: 0, no: 0, notYet: 0 }, postcodeDistricts: [] });
    expect(fireOnly.filter).toMatchObject({ agencyId: fire, agency: expect.any(String) });
    expect(fireOnly.ageBands).toEqual([{ band: '85 to 89', count: 1 }]);
    expect(fireOnly.byAgency.map((x: any) => x.agencyId)).toEqual([fire]);

    // one organisation: the council's checklist
    const council = (await summary(`from=2026-04-01&to=2026-06-30&organisationId=${councilId}`)).body.current;
    expect(council).toMatchObject({ checklists: 1, people: 1, referrals: 1, noNeeds: 0 });
    expect(council.filter).toMatchObject({ organisationId: councilId, organisation: 'East council adult social care' });

    // both filters at once: counted live, the same answer
    const both = (await summary(`from=2026-04-01&to=2026-06-30&agencyId=${fire}&organisationId=${councilId}`)).body.current;
    expect(both).toMatchObject({ people: 1, referrals: 1 });

    // wellbeing per agency and organisation from the rollup: Ada's pair (council, fire service);
    // with both filters the pairs are read live, and agree
    for (const one of [fireOnly, council, both]) expect(one.wellbeing).toEqual(cur.wellbeing);
    const fallsOnly = (await summary(`from=2026-04-01&to=2026-06-30&agencyId=${falls}`)).body.current;
    expect(fallsOnly.wellbeing.people).toBe(0);
    expect(fallsOnly.wellbeing.measures.map((m: any) => [m.measure, m.n, m.meanImprovement])).toEqual([
      ['life_satisfaction', 0, null],
      ['worthwhile', 0, null],
      ['happy', 0, null],
      ['anxious', 0, null],
    ]);
    // an answer corrected after the day was rolled up: the report follows
    await ctx.db.updateTable('wellbeingScores').set({ lifeSatisfaction: 9 }).where('submissionId', '=', a.id).where('occasion', '=', 'follow_up').execute();
    const corrected = (await summary('from=2026-04-01&to=2026-06-30')).body.current;
    expect(corrected.wellbeing.measures.find((m: any) => m.measure === 'life_satisfaction')).toMatchObject({ n: 1, meanBefore: 4, meanAfter: 9, meanImprovement: 5 });

    // the quarter after: one checklist on 1 July; a second record of that person on 5 July
    // counts as another person until the two records are merged
    const later = { ...BEN, givenName: 'Other', familyName: 'Afterwards', dateOfBirth: '1945-02-02' };
    const twin = await submit(worker, [], { ...later, familyName: 'Afterwardes', postcode: 'E1 6AN' });
    expect((await summary('from=2026-07-01&to=2026-09-30')).body.current).toMatchObject({ checklists: 2, people: 2 });
    const kept = (await ctx.db.selectFrom('submissions').select('personId').where('receivedAt', '=', new Date('2026-07-01T09:00:00Z')).executeTakeFirstOrThrow()).personId;
    const merged = await api.post(`/api/v1/people/${kept}/merge`, coordinator.token, { otherId: twin.personId });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect((await summary('from=2026-07-01&to=2026-09-30')).body.current).toMatchObject({ checklists: 2, people: 1 });

    // a period that is not whole months (15 March to 3 July): its whole months (April to June)
    // from the monthly rollup, the days either side from the daily one, and its people from the
    // days (Ben's April checklist follows his 20 March one, inside this period)
    const odd = (await summary('from=2026-03-15&to=2026-07-03')).body.current;
    expect(odd).toMatchObject({ checklists: 5, noNeeds: 1, people: 3, referrals: 6 });
    expect(clock(odd, 'forward')).toMatchObject({ onTime: 2, late: 2 });
    // a month's rows are always the sum of its days' rows
    const drift = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM (
                SELECT month, agency_id, organisation_id, referrals, fwd_late, con_on_time, needs_yes FROM report_months
                EXCEPT SELECT date_trunc('month', day)::date, agency_id, organisation_id, sum(referrals)::int, sum(fwd_late)::int, sum(con_on_time)::int, sum(needs_yes)::int
                         FROM report_days GROUP BY 1, 2, 3) a)
           + (SELECT count(*) FROM (
                SELECT date_trunc('month', day)::date, facet, sum(n)::int FROM report_facet_days GROUP BY 1, 2
                EXCEPT SELECT month, facet, sum(n)::int FROM report_facet_months GROUP BY 1, 2) b) AS n`.execute(ctx.db);
    expect(Number(drift.rows[0]!.n)).toBe(0);
    expect(Number((await sql<{ n: string }>`SELECT count(*) AS n FROM report_months`.execute(ctx.db)).rows[0]!.n)).toBeGreaterThan(0);

    // each report is audited
    const audited = await ctx.db.selectFrom('auditLog').select('action').where('action', '=', 'report.summary').execute();
    expect(audited.length).toBe(10);
  });

  it('counts a self-referral as a referrer of its own, apart from a checklist with no organisation recorded', async () => {
    // February 2027: two self-referrals released by the hub (one with a "yes" to the fire service,
    // one with none), a link worker's checklist with no organisation and one with the council
    const fire = q.questions[0]!.agencyId;
    ctx.clock.set('2027-02-08T10:00:00Z');
    const hub = { userId: coordinator.id, name: coordinator.name, role: coordinator.role, agencyId: null };
    for (const yes of [[q.questions[0]!.id], []]) {
      const sent = await submitSelfReferral(ctx, { body: submissionBody(q, yes, { person: { familyName: 'Selfcount' } }) as SubmissionBody, filledInBy: 'person', formKey: `report-self-${crypto.randomUUID()}` });
      const item = await ctx.db.selectFrom('selfReferrals').select('id').where('reference', '=', sent.reference).executeTakeFirstOrThrow();
      ctx.clock.advance(HOUR);
      await releaseSelfReferral(ctx, hub, item.id, submissionBody(q, yes, { person: { familyName: 'Selfcount' } }) as SubmissionBody, null);
    }
    await submit(worker, [0, 3], { ...BEN, familyName: 'Noorgcount' });
    await submit(councilWorker, [0], { ...ADA, familyName: 'Councilcount' });
    const channels = await ctx.db.selectFrom('submissions').select(['channel', 'organisationId']).where('receivedAt', '>=', new Date('2027-02-01T00:00:00Z')).execute();
    expect(channels.filter((c) => c.channel === 'self_referral')).toEqual([
      { channel: 'self_referral', organisationId: null },
      { channel: 'self_referral', organisationId: null },
    ]);

    const feb = (await summary('from=2027-02-01&to=2027-02-28')).body.current;
    expect(feb).toMatchObject({ checklists: 4, referrals: 4 });
    expect(feb.byOrganisation).toEqual([
      { organisationId: null, organisation: 'Self-referral', type: 'self_referral', checklists: 2, referrals: 1 },
      { organisationId: councilId, organisation: 'East council adult social care', type: 'council', checklists: 1, referrals: 1 },
      { organisationId: null, organisation: 'No organisation recorded', type: null, checklists: 1, referrals: 2 },
    ]);
    expect(feb.byOrganisationType).toEqual([
      { type: 'self_referral', label: 'Self-referral', checklists: 2, referrals: 1 },
      { type: 'council', label: 'Council', checklists: 1, referrals: 1 },
      { type: null, label: 'No organisation recorded', checklists: 1, referrals: 2 },
    ]);
    // one agency: its referrals by referrer, the self-referral's among them
    const fireOnly = (await summary(`from=2027-02-01&to=2027-02-28&agencyId=${fire}`)).body.current;
    expect(fireOnly.byOrganisationType).toEqual([
      { type: 'council', label: 'Council', checklists: 1, referrals: 1 },
      { type: null, label: 'No organisation recorded', checklists: 1, referrals: 1 },
      { type: 'self_referral', label: 'Self-referral', checklists: 1, referrals: 1 },
    ]);
    // one organisation: no self-referral in it
    const council = (await summary(`from=2027-02-01&to=2027-02-28&organisationId=${councilId}`)).body.current;
    expect(council.byOrganisation.map((o: any) => o.organisation)).toEqual(['East council adult social care']);
    // the whole months of a longer period come from the monthly rollup: the same lines
    const year = (await summary('from=2026-04-01&to=2027-03-31')).body.current;
    expect(year.byOrganisationType.find((t: any) => t.type === 'self_referral')).toEqual({ type: 'self_referral', label: 'Self-referral', checklists: 2, referrals: 1 });
    // no organisation: two in the spring quarter, two in July, one now
    expect(year.byOrganisationType.find((t: any) => t.type === null)).toMatchObject({ label: 'No organisation recorded', checklists: 5 });

    // a hub upgrading: rows rolled up before the migration told self-referrals apart hold them
    // with the checklists of no organisation; the migration marks their days to be rolled up again
    const names = Object.keys(migrations);
    const MIGRATION = '2026_12_08_1400_report_self_referrals';
    const down = await new Migrator({ db: ctx.db, provider: { getMigrations: async () => migrations } }).migrateTo(names[names.indexOf(MIGRATION) - 1]!);
    expect(down.error).toBeUndefined();
    // this one, and any migration after it, undone newest first
    expect(down.results?.map((r) => r.migrationName)).toEqual(names.slice(names.indexOf(MIGRATION)).reverse());
    // as the release before would have left them: rolled up, nothing marked
    await sql`DELETE FROM report_stale_days`.execute(ctx.db);
    await migrateToLatest(ctx.db);
    const stale = await sql<{ day: string }>`SELECT DISTINCT day::text AS day FROM report_stale_days ORDER BY 1`.execute(ctx.db);
    expect(stale.rows.map((r) => r.day)).toEqual(['2027-02-08']);
    const upgraded = (await summary('from=2027-02-01&to=2027-02-28')).body.current;
    expect(upgraded.byOrganisation).toEqual(feb.byOrganisation);
  });

  it('refuses a bad period or filter with the field and the reason, and anyone outside the hub', async () => {
    const cases: [string, string][] = [
      ['from=2026-04-01', 'to'],
      ['from=2026-04-31&to=2026-05-01', 'from'],
      ['from=2026-05-01&to=2026-04-30', 'to'],
      ['from=2020-01-01&to=2026-12-31', 'to'],
      ['from=2026-04-01&to=2026-04-30&agencyId=fire', 'agencyId'],
      ['from=2026-04-01&to=2026-04-30&colour=blue', ''],
      ['from=2026-04-01&to=2026-04-30&to=2026-05-30', 'to'],
    ];
    for (const [query, field] of cases) {
      const res = await summary(query);
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body.error), query).toContain(field);
    }
    expect((await summary(`from=2026-04-01&to=2026-04-30&agencyId=${crypto.randomUUID()}`)).status).toBe(404);
    expect((await summary('from=2026-04-01&to=2026-04-30', worker.token)).status).toBe(403);
    expect((await summary('from=2026-04-01&to=2026-04-30', fireAgency.token)).status).toBe(403);
    expect((await api.get('/api/v1/reports/summary?from=2026-04-01&to=2026-04-30')).status).toBe(401);
  });
});

describe('the report rules', () => {
  it('buckets durations by their upper edge and reads percentiles from the buckets', () => {
    expect([0, 1, 1.01, 2, 24, 24.5, 672, 673].map(bucketOf)).toEqual([0, 0, 1, 1, 5, 6, 14, 15]);
    const buckets = new Array(16).fill(0);
    buckets[bucketOf(2)] = 1;
    buckets[bucketOf(30)] = 1;
    expect(percentileFromBuckets(buckets, 50)).toBe(2);
    expect(percentileFromBuckets(buckets, 90)).toBe(48);
    expect(percentileFromBuckets(new Array(16).fill(0), 50)).toBeNull();
    const long = new Array(16).fill(0);
    long[15] = 3;
    expect(percentileFromBuckets(long, 50)).toBe(Number.POSITIVE_INFINITY);
  });

  it('compares whole months with as many months before, other periods with as many days before', () => {
    expect(previousPeriod('2026-04-01', '2026-06-30')).toEqual({ from: '2026-01-01', to: '2026-03-31' });
    expect(previousPeriod('2026-04-01', '2027-03-31')).toEqual({ from: '2025-04-01', to: '2026-03-31' });
    expect(previousPeriod('2026-03-01', '2026-03-31')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(previousPeriod('2026-03-10', '2026-03-16')).toEqual({ from: '2026-03-03', to: '2026-03-09' });
  });

  it('finds the whole months within a period (read from the monthly rollup)', () => {
    expect(wholeMonths('2026-04-01', '2027-03-31')).toEqual({ first: '2026-04-01', last: '2027-03-01', lastDay: '2027-03-31' });
    expect(wholeMonths('2026-03-15', '2026-07-03')).toEqual({ first: '2026-04-01', last: '2026-06-01', lastDay: '2026-06-30' });
    expect(wholeMonths('2026-02-01', '2026-02-28')).toEqual({ first: '2026-02-01', last: '2026-02-01', lastDay: '2026-02-28' });
    expect(wholeMonths('2028-02-01', '2028-02-28')).toBeNull(); // a leap year: 29 February is not in it
    expect(wholeMonths('2026-03-02', '2026-04-30')).toEqual({ first: '2026-04-01', last: '2026-04-01', lastDay: '2026-04-30' });
    expect(wholeMonths('2026-03-02', '2026-04-29')).toBeNull();
    expect(wholeMonths('2026-12-01', '2026-12-31')).toEqual({ first: '2026-12-01', last: '2026-12-01', lastDay: '2026-12-31' });
    expect(wholeMonths('2026-03-10', '2026-03-16')).toBeNull();
  });

  it('shows counts from 1 to 4 as "<5" outside the hub', () => {
    expect([0, 1, 4, 5, 12].map((n) => smallNumber(n, 5))).toEqual([0, '<5', '<5', 5, 12]);
    expect(smallNumber(9, 10)).toBe('<10');
  });
});
