/**
 * The summary report's reads and its daily rollup (migrations/2026_12_02_1510_report_rollup.ts).
 *
 * A day is London's calendar day. rollUpReportDays() recomputes whole days from the referrals
 * and checklists received on them (a day's rows are replaced, never adjusted), under one
 * advisory lock so that two roll-ups never interleave. The report first rolls up whatever days
 * of its period are stale or were never rolled up, then adds up the days: its cost follows the
 * number of days (and agencies and organisations), not the number of referrals.
 * Each rolled-up day's month is made again from its days in the same transaction
 * (report_months, report_facet_months: migrations/2026_12_02_2000_report_months.ts), so a
 * month's rows are always its days' sum, and a report reads whole months from them and only
 * the days either side from the days: a year is 12 months of rows, not 365 days of them.
 * Each row is a day's (or month's) per agency and referrer: an organisation, a self-referral
 * (`self_referral`, no organisation: migrations/2026_12_08_1400_report_self_referrals.ts) or
 * none recorded.
 * Clocks still running are not in the rollup; openClocks() counts them live, through the
 * partial indexes the SLA sweep reads (referrals_forward_open_idx, referrals_contact_open_idx,
 * follow_ups_open_idx), so that cost follows the open items.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { BUCKET_COUNT, DURATION_BUCKETS_HOURS, wholeMonths, type ClockName } from './report-summary.js';
import type { Database, Executor } from '../../platform/db/database.js';

/** The advisory lock that keeps roll-ups apart ('RPT1'). */
const ROLLUP_LOCK_KEY = 0x52505431;

const CLOCK_PREFIX: Record<ClockName, string> = { forward: 'fwd', contact: 'con', follow_up: 'fup' };
const BUCKET_INDEXES = Array.from({ length: BUCKET_COUNT }, (_, i) => i);

/** The bucket of a duration in SQL: how many edges lie below it (modules/reports/report-summary.ts's bucketOf). */
function bucketSql(interval: string): string {
  const hours = `(extract(epoch FROM (${interval})) / 3600.0)`;
  return `(${DURATION_BUCKETS_HOURS.map((e) => `(CASE WHEN ${hours} > ${e} THEN 1 ELSE 0 END)`).join(' + ')})`;
}

// Each clock's state per referral: NULL while it runs (counted live), else on_time, late or ended;
// and the bucket of the step's duration when the step was done. The "open" conditions are the
// partial indexes' predicates, so that every clock is either in the rollup or counted live.
const FWD_OPEN = `x.status IN ('pending', 'forward_failed')`;
const CON_OPEN = `x.status IN ('forwarded', 'acknowledged', 'accepted')`;
const FUP_OPEN = `(x.followed_up_at IS NULL AND x.f_status = 'scheduled' AND x.status NOT IN ('cancelled', 'rerouted'))`;
const STATE_SQL = `
  CASE WHEN ${FWD_OPEN} THEN NULL
       WHEN x.forwarded_at IS NOT NULL THEN CASE WHEN x.forwarded_at <= x.forward_due_at THEN 'on_time' ELSE 'late' END
       WHEN COALESCE(x.closed_at, x.updated_at) <= x.forward_due_at THEN 'ended' ELSE 'late' END AS fwd_state,
  CASE WHEN x.forwarded_at IS NOT NULL AND NOT (${FWD_OPEN}) THEN ${bucketSql('x.forwarded_at - x.received_at')} END AS fwd_bucket,
  CASE WHEN x.contact_due_at IS NULL OR x.forwarded_at IS NULL OR ${CON_OPEN} THEN NULL
       WHEN x.contacted_at IS NOT NULL THEN CASE WHEN x.contacted_at <= x.contact_due_at THEN 'on_time' ELSE 'late' END
       WHEN COALESCE(x.closed_at, x.updated_at) <= x.contact_due_at THEN 'ended' ELSE 'late' END AS con_state,
  CASE WHEN x.contact_due_at IS NOT NULL AND x.contacted_at IS NOT NULL AND NOT (${CON_OPEN})
       THEN ${bucketSql('x.contacted_at - COALESCE(x.forwarded_at, x.received_at)')} END AS con_bucket,
  CASE WHEN x.follow_up_due_at IS NULL OR ${FUP_OPEN} THEN NULL
       WHEN x.followed_up_at IS NOT NULL THEN CASE WHEN x.followed_up_at <= x.follow_up_due_at THEN 'on_time' ELSE 'late' END
       WHEN COALESCE(x.f_completed_at, x.closed_at, x.updated_at) <= x.follow_up_due_at THEN 'ended' ELSE 'late' END AS fup_state,
  CASE WHEN x.follow_up_due_at IS NOT NULL AND x.followed_up_at IS NOT NULL
       THEN ${bucketSql('x.followed_up_at - COALESCE(x.forwarded_at, x.received_at)')} END AS fup_bucket`;

const clockAggregates = (p: string) =>
  [
    `count(*) FILTER (WHERE ${p}_state = 'on_time')::int`,
    `count(*) FILTER (WHERE ${p}_state = 'late')::int`,
    `count(*) FILTER (WHERE ${p}_state = 'ended')::int`,
    ...BUCKET_INDEXES.map((i) => `count(*) FILTER (WHERE ${p}_bucket = ${i})::int`),
  ].join(', ');
const clockColumnNames = (p: string) => [`${p}_on_time`, `${p}_late`, `${p}_ended`, ...BUCKET_INDEXES.map((i) => `${p}_b${i}`)].join(', ');
const PREFIXES = Object.values(CLOCK_PREFIX);

// a checklist the person sent for themselves (the public page, released by the hub) has no
// referring organisation: the rollup keeps it as its own referrer (`self_referral`), apart from the
// checklists whose organisation was not recorded; the CSV export's rule too (report-export.service.ts)
const SELF_REFERRAL_SQL = (s: string) => `(${s}.channel = 'self_referral' AND ${s}.organisation_id IS NULL)`;

const DAY_START = (d: string) => `(${d}::timestamp AT TIME ZONE 'Europe/London')`;
const DAY_END = (d: string) => `((${d} + 1)::timestamp AT TIME ZONE 'Europe/London')`;

// the four ONS4 measures as (measure, before, after, improvement): anxiety improves as it falls
const WELLBEING_MEASURE_SQL = [
  `('life_satisfaction', w.b_ls, w.a_ls, w.a_ls - w.b_ls)`,
  `('worthwhile', w.b_wo, w.a_wo, w.a_wo - w.b_wo)`,
  `('happy', w.b_ha, w.a_ha, w.a_ha - w.b_ha)`,
  `('anxious', w.b_an, w.a_an, w.b_an - w.a_an)`,
].join(', ');
// a checklist with a pair: answers at the checklist and its follow-up call with a measure at both
const PAIRED_SQL = (submissionId: string) => `EXISTS (
  SELECT 1 FROM wellbeing_scores b2 JOIN wellbeing_scores a2 ON a2.submission_id = b2.submission_id AND a2.occasion = 'follow_up'
   WHERE b2.submission_id = ${submissionId} AND b2.occasion = 'checklist'
     AND ((b2.life_satisfaction IS NOT NULL AND a2.life_satisfaction IS NOT NULL) OR (b2.worthwhile IS NOT NULL AND a2.worthwhile IS NOT NULL)
       OR (b2.happy IS NOT NULL AND a2.happy IS NOT NULL) OR (b2.anxious IS NOT NULL AND a2.anxious IS NOT NULL)))`;
// a wellbeing CTE's pairs added up per day, referrer (and agency) and measure, one facet row per figure
const wellbeingStatsSql = (from: string, agency: string) => `
SELECT g.day, g.agency_id, g.organisation_id, g.self_referral, 'wellbeing', g.measure || ':' || v.stat, v.n
  FROM (SELECT day, ${agency} AS agency_id, organisation_id, self_referral, measure, count(*)::int AS n, sum(bv)::int AS before, sum(av)::int AS after,
               count(*) FILTER (WHERE better > 0)::int AS improved, count(*) FILTER (WHERE better = 0)::int AS same,
               count(*) FILTER (WHERE better < 0)::int AS worse
          FROM ${from} GROUP BY 1, 2, 3, 4, 5) g
  CROSS JOIN LATERAL (VALUES ('n', g.n), ('before', g.before), ('after', g.after), ('improved', g.improved), ('same', g.same), ('worse', g.worse)) v(stat, n)
 WHERE v.n > 0`;

const REFRESH_SQL = `
WITH d AS (SELECT DISTINCT unnest($1::date[]) AS day),
del_days AS (DELETE FROM report_days WHERE day IN (SELECT day FROM d)),
del_facets AS (DELETE FROM report_facet_days WHERE day IN (SELECT day FROM d)),
x AS (
  SELECT d.day, r.id, r.agency_id, r.status, r.question_ids, r.outcome, r.received_at, r.forward_due_at, r.forwarded_at,
         r.contact_due_at, r.contacted_at, r.follow_up_due_at, r.followed_up_at, r.closed_at, r.updated_at,
         s.organisation_id, ${SELF_REFERRAL_SQL('s')} AS self_referral, s.age_band, f.status AS f_status, f.completed_at AS f_completed_at, f.needs_met,
         -- the day of the person's previous referral at this agency (people_agency)
         ((SELECT max(r2.received_at) FROM submissions s2 JOIN referrals r2 ON r2.submission_id = s2.id
            WHERE s2.person_id = s.person_id AND r2.agency_id = r.agency_id AND (r2.received_at, r2.id) < (r.received_at, r.id))
          AT TIME ZONE 'Europe/London')::date AS prev_agency
    FROM d
    JOIN referrals r ON r.received_at >= ${DAY_START('d.day')} AND r.received_at < ${DAY_END('d.day')}
    JOIN submissions s ON s.id = r.submission_id
    -- looked up per referral, through their keys: the planner cannot tell how many referrals a
    -- day's range holds, guesses a tenth of the table, and would read every follow-up to hash them
    LEFT JOIN LATERAL (
      SELECT f.status, f.completed_at, (SELECT o.needs_met FROM follow_up_outcomes o WHERE o.follow_up_id = f.id AND o.referral_id = r.id) AS needs_met
        FROM follow_ups f WHERE f.submission_id = r.submission_id OFFSET 0) f ON true
),
-- materialised: each clock's bucket is worked out once per referral, not once per bucket counted
facts AS MATERIALIZED (SELECT x.*, ${STATE_SQL} FROM x),
ins_days AS (
  INSERT INTO report_days (day, agency_id, organisation_id, self_referral, referrals, rerouted, ${PREFIXES.map(clockColumnNames).join(', ')},
                           needs_yes, needs_partly, needs_no, needs_not_yet)
  SELECT day, agency_id, organisation_id, self_referral, count(*)::int, count(*) FILTER (WHERE status = 'rerouted')::int,
         ${PREFIXES.map(clockAggregates).join(', ')},
         count(*) FILTER (WHERE needs_met = 'yes')::int, count(*) FILTER (WHERE needs_met = 'partly')::int,
         count(*) FILTER (WHERE needs_met = 'no')::int, count(*) FILTER (WHERE needs_met = 'not_yet')::int
    FROM facts GROUP BY day, agency_id, organisation_id, self_referral
),
sub AS (
  SELECT d.day, s.id, s.person_id, s.received_at, s.organisation_id, ${SELF_REFERRAL_SQL('s')} AS self_referral, s.status, COALESCE(s.age_band, 'not known') AS age_band, COALESCE(s.postcode_district, 'not known') AS district,
         -- the day of the person's previous checklist (people), and from the same organisation (people_org)
         ((SELECT max(s2.received_at) FROM submissions s2
            WHERE s2.person_id = s.person_id AND (s2.received_at, s2.id) < (s.received_at, s.id)) AT TIME ZONE 'Europe/London')::date AS prev_any,
         ((SELECT max(s2.received_at) FROM submissions s2
            WHERE s2.person_id = s.person_id AND s2.organisation_id IS NOT DISTINCT FROM s.organisation_id
              AND (s2.received_at, s2.id) < (s.received_at, s.id)) AT TIME ZONE 'Europe/London')::date AS prev_org
    FROM d JOIN submissions s ON s.received_at >= ${DAY_START('d.day')} AND s.received_at < ${DAY_END('d.day')}
),
-- wellbeing: per checklist and measure answered at both the checklist and its follow-up call
wb AS MATERIALIZED (
  SELECT sub.day, sub.id, sub.person_id, sub.received_at, sub.organisation_id, sub.self_referral, m.measure, m.bv, m.av, m.better
    FROM sub
    -- through the keys, per checklist (as the referrals' follow-ups above: no hash of every answer)
    CROSS JOIN LATERAL (
      SELECT b.life_satisfaction AS b_ls, b.worthwhile AS b_wo, b.happy AS b_ha, b.anxious AS b_an,
             a.life_satisfaction AS a_ls, a.worthwhile AS a_wo, a.happy AS a_ha, a.anxious AS a_an
        FROM wellbeing_scores b JOIN wellbeing_scores a ON a.submission_id = b.submission_id AND a.occasion = 'follow_up'
       WHERE b.submission_id = sub.id AND b.occasion = 'checklist' OFFSET 0) w
    CROSS JOIN LATERAL (VALUES ${WELLBEING_MEASURE_SQL}) m(measure, bv, av, better)
   WHERE m.bv IS NOT NULL AND m.av IS NOT NULL
),
-- and per agency the checklist was referred to
wb_agency AS MATERIALIZED (
  SELECT r.agency_id, wb.* FROM wb CROSS JOIN LATERAL (SELECT DISTINCT r.agency_id FROM referrals r WHERE r.submission_id = wb.id OFFSET 0) r
),
wb_people AS (
  SELECT p.*, (SELECT max(s2.received_at) FROM submissions s2
                WHERE s2.person_id = p.person_id AND (s2.received_at, s2.id) < (p.received_at, p.id) AND ${PAIRED_SQL('s2.id')}) AS prev_any,
              (SELECT max(s2.received_at) FROM submissions s2
                WHERE s2.person_id = p.person_id AND s2.organisation_id IS NOT DISTINCT FROM p.organisation_id
                  AND (s2.received_at, s2.id) < (p.received_at, p.id) AND ${PAIRED_SQL('s2.id')}) AS prev_org
    FROM (SELECT DISTINCT day, id, person_id, received_at, organisation_id, self_referral FROM wb) p
),
wb_people_agency AS (
  SELECT p.*, (SELECT max(s2.received_at) FROM submissions s2
                WHERE s2.person_id = p.person_id AND (s2.received_at, s2.id) < (p.received_at, p.id) AND ${PAIRED_SQL('s2.id')}
                  AND EXISTS (SELECT 1 FROM referrals r2 WHERE r2.submission_id = s2.id AND r2.agency_id = p.agency_id)) AS prev_agency
    FROM (SELECT DISTINCT day, agency_id, id, person_id, received_at, organisation_id, self_referral FROM wb_agency) p
)
INSERT INTO report_facet_days (day, agency_id, organisation_id, self_referral, facet, key, n)
SELECT day, NULL::uuid, organisation_id, self_referral, 'checklists', 'all', count(*)::int FROM sub GROUP BY day, organisation_id, self_referral
UNION ALL
SELECT day, NULL, organisation_id, self_referral, 'no_needs', 'all', count(*)::int FROM sub WHERE status = 'no_needs_identified' GROUP BY day, organisation_id, self_referral
UNION ALL
SELECT day, NULL, organisation_id, self_referral, 'age_band', age_band, count(*)::int FROM sub GROUP BY day, organisation_id, self_referral, age_band
UNION ALL
SELECT day, NULL, organisation_id, self_referral, 'district', district, count(*)::int FROM sub GROUP BY day, organisation_id, self_referral, district
UNION ALL
SELECT day, NULL, organisation_id, self_referral, 'people', COALESCE(prev_any::text, ''), count(*)::int FROM sub GROUP BY day, organisation_id, self_referral, prev_any
UNION ALL
SELECT day, NULL, organisation_id, self_referral, 'people_org', COALESCE(prev_org::text, ''), count(*)::int FROM sub GROUP BY day, organisation_id, self_referral, prev_org
UNION ALL
SELECT day, agency_id, organisation_id, self_referral, 'people_agency', COALESCE(prev_agency::text, ''), count(*)::int FROM x GROUP BY day, agency_id, organisation_id, self_referral, prev_agency
UNION ALL
SELECT day, agency_id, organisation_id, self_referral, 'age_band', COALESCE(age_band, 'not known'), count(*)::int FROM x GROUP BY day, agency_id, organisation_id, self_referral, COALESCE(age_band, 'not known')
UNION ALL
SELECT day, agency_id, organisation_id, self_referral, 'outcome', outcome, count(*)::int FROM x WHERE outcome IS NOT NULL GROUP BY day, agency_id, organisation_id, self_referral, outcome
UNION ALL
SELECT x.day, x.agency_id, x.organisation_id, x.self_referral, 'question', q::text, count(*)::int FROM x, unnest(x.question_ids) q GROUP BY x.day, x.agency_id, x.organisation_id, x.self_referral, q
UNION ALL
${wellbeingStatsSql('wb', 'NULL::uuid')}
UNION ALL
${wellbeingStatsSql('wb_agency', 'agency_id')}
UNION ALL
SELECT day, NULL::uuid, organisation_id, self_referral, 'people_wb', COALESCE((prev_any AT TIME ZONE 'Europe/London')::date::text, ''), count(*)::int FROM wb_people GROUP BY 1, 2, 3, 4, 6
UNION ALL
SELECT day, NULL::uuid, organisation_id, self_referral, 'people_wb_org', COALESCE((prev_org AT TIME ZONE 'Europe/London')::date::text, ''), count(*)::int FROM wb_people GROUP BY 1, 2, 3, 4, 6
UNION ALL
SELECT day, agency_id, organisation_id, self_referral, 'people_wb_agency', COALESCE((prev_agency AT TIME ZONE 'Europe/London')::date::text, ''), count(*)::int FROM wb_people_agency GROUP BY 1, 2, 3, 4, 6`;

// the figure columns of report_days and report_months, in table order
const FIGURE_COLUMNS = ['referrals', 'rerouted', ...PREFIXES.flatMap((p) => clockColumnNames(p).split(', ')), 'needs_yes', 'needs_partly', 'needs_no', 'needs_not_yet'];

// the months of the given days, made again from their days; a people facet's key (a day) becomes its month's first day
const MONTHS_SQL = `
WITH m AS (SELECT DISTINCT date_trunc('month', d)::date AS month FROM unnest($1::date[]) d),
del_months AS (DELETE FROM report_months WHERE month IN (SELECT month FROM m)),
del_facets AS (DELETE FROM report_facet_months WHERE month IN (SELECT month FROM m)),
ins_months AS (
  INSERT INTO report_months (month, agency_id, organisation_id, self_referral, ${FIGURE_COLUMNS.join(', ')})
  SELECT m.month, x.agency_id, x.organisation_id, x.self_referral, ${FIGURE_COLUMNS.map((c) => `sum(x.${c})::int`).join(', ')}
    FROM m JOIN report_days x ON x.day >= m.month AND x.day < (m.month + interval '1 month')::date
   GROUP BY 1, 2, 3, 4
)
INSERT INTO report_facet_months (month, agency_id, organisation_id, self_referral, facet, key, n)
SELECT m.month, x.agency_id, x.organisation_id, x.self_referral, x.facet,
       CASE WHEN x.facet LIKE 'people%' AND x.key <> '' THEN to_char(date_trunc('month', x.key::date), 'YYYY-MM-DD') ELSE x.key END,
       sum(x.n)::int
  FROM m JOIN report_facet_days x ON x.day >= m.month AND x.day < (m.month + interval '1 month')::date
 GROUP BY 1, 2, 3, 4, 5, 6`;

/** The days from `from` to `to` that are stale or were never rolled up, oldest first, at most `limit`. */
async function daysNeedingRollUp(db: Executor, from: string, to: string, limit: number): Promise<string[]> {
  const { rows } = await sql<{ day: string }>`
    SELECT g::date::text AS day FROM generate_series(${from}::date, ${to}::date, interval '1 day') g
     WHERE NOT EXISTS (SELECT 1 FROM report_rolled_days x WHERE x.day = g::date)
        OR EXISTS (SELECT 1 FROM report_stale_days s WHERE s.day = g::date)
     ORDER BY 1 LIMIT ${limit}`.execute(db);
  return rows.map((r) => r.day);
}

/**
 * Rolls up the days from `from` to `to` (London dates) that need it, at most `limit` of them, in
 * one transaction under the roll-up lock (a second caller waits, then finds the days done).
 * The stale marks are deleted before the days are read: a write that commits meanwhile marks
 * its day again. Returns the days rolled up.
 */
export async function rollUpReportDays(db: Executor, from: string, to: string, at: Date, limit = 10_000): Promise<number> {
  const run = async (trx: Executor) => {
    await sql`SELECT pg_advisory_xact_lock(${ROLLUP_LOCK_KEY})`.execute(trx);
    // the statement's estimate (a day's referrals, each with its previous one looked up) passes
    // jit_above_cost, and compiling it takes longer than running it many times over
    await sql`SET LOCAL jit = off`.execute(trx);
    const days = await daysNeedingRollUp(trx, from, to, limit);
    if (days.length === 0) return 0;
    await sql`DELETE FROM report_stale_days WHERE day = ANY(${days}::date[])`.execute(trx);
    await sql`${rawQuery(REFRESH_SQL, days)}`.execute(trx);
    // a statement of its own: it reads the day rows the one before wrote
    await sql`${rawQuery(MONTHS_SQL, days)}`.execute(trx);
    await sql`
      INSERT INTO report_rolled_days (day, rolled_at) SELECT unnest(${days}::date[]), ${at}::timestamptz
      ON CONFLICT (day) DO UPDATE SET rolled_at = excluded.rolled_at`.execute(trx);
    return days.length;
  };
  return db.isTransaction ? run(db) : (db as Kysely<Database>).transaction().execute(run);
}

// the refresh statement is built once from constants; only the day list is a parameter
function rawQuery(text: string, days: string[]): RawBuilder<unknown> {
  const [before, after] = text.split('$1') as [string, string];
  return sql`${sql.raw(before)}${days}${sql.raw(after)}`;
}

/** The day of the first checklist ever received (London), or null. */
export async function firstChecklistDay(db: Executor): Promise<string | null> {
  const { rows } = await sql<{ day: string | null }>`
    SELECT ((SELECT min(received_at) FROM submissions) AT TIME ZONE 'Europe/London')::date::text AS day`.execute(db);
  return rows[0]?.day ?? null;
}

export interface SummaryFilter {
  from: string;
  to: string;
  start: Date;
  end: Date;
  agencyId?: string | undefined;
  organisationId?: string | undefined;
}

export type ClockSums = { onTime: number; late: number; ended: number; buckets: number[] };
export interface AgencyDayTotals {
  agencyId: string;
  organisationId: string | null;
  /** self-referrals (no organisation): counted as their own referrer */
  selfReferral: boolean;
  referrals: number;
  rerouted: number;
  clocks: Record<ClockName, ClockSums>;
  needsMet: { yes: number; partly: number; no: number; notYet: number };
}

/** The filters as SQL: the column names are constants of this file, the ids parameters. */
const filterSql = (f: Pick<SummaryFilter, 'agencyId' | 'organisationId'>, agencyColumn: string, organisationColumn: string) =>
  sql`${f.agencyId ? sql`AND ${sql.ref(agencyColumn)} = ${f.agencyId}` : sql``} ${f.organisationId ? sql`AND ${sql.ref(organisationColumn)} = ${f.organisationId}` : sql``}`;

/**
 * Where a period's rows come from: its whole months from the monthly rollup, the days outside
 * them from the daily one (`outsideMonths`, a condition on `day`).
 */
function periodSources(f: SummaryFilter) {
  const months = wholeMonths(f.from, f.to);
  const inMonths = months ? sql`month BETWEEN ${months.first}::date AND ${months.last}::date` : sql`false`;
  // the days before the first whole month and after the last, as two ranges of the day index
  // (a NOT BETWEEN would read every day of the period to leave most of them out)
  const outsideMonths = months
    ? sql`(day BETWEEN ${f.from}::date AND ${months.first}::date - 1 OR day BETWEEN ${months.lastDay}::date + 1 AND ${f.to}::date)`
    : sql`day BETWEEN ${f.from}::date AND ${f.to}::date`;
  // months tell "before the period" from a people key exactly only when the period starts a month
  const peopleFromMonths = months !== null && months.first === f.from;
  return { months, inMonths, outsideMonths, peopleFromMonths };
}

/** The period's days added up, per agency and referrer (an organisation, self-referral or none; whole months from the monthly rollup). */
export async function sumReportDays(db: Executor, f: SummaryFilter): Promise<AgencyDayTotals[]> {
  const cols = PREFIXES.flatMap((p) => [`${p}_on_time`, `${p}_late`, `${p}_ended`, ...BUCKET_INDEXES.map((i) => `${p}_b${i}`)]);
  const figures = sql.raw(FIGURE_COLUMNS.join(', '));
  const src = periodSources(f);
  const { rows } = await sql<Record<string, string | number | boolean | null>>`
    SELECT agency_id, organisation_id, self_referral, sum(referrals)::int AS referrals, sum(rerouted)::int AS rerouted,
           ${sql.raw(cols.map((c) => `sum(${c})::int AS ${c}`).join(', '))},
           sum(needs_yes)::int AS needs_yes, sum(needs_partly)::int AS needs_partly, sum(needs_no)::int AS needs_no, sum(needs_not_yet)::int AS needs_not_yet
      FROM (SELECT agency_id, organisation_id, self_referral, ${figures} FROM report_months
             WHERE ${src.inMonths} ${filterSql(f, 'agency_id', 'organisation_id')}
            UNION ALL
            SELECT agency_id, organisation_id, self_referral, ${figures} FROM report_days
             WHERE ${src.outsideMonths} ${filterSql(f, 'agency_id', 'organisation_id')}) x
     GROUP BY agency_id, organisation_id, self_referral`.execute(db);
  // the connection's CamelCasePlugin names the result's columns in camelCase
  const n = (r: Record<string, unknown>, column: string) => Number(r[column.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())] ?? 0);
  return rows.map((r) => ({
    agencyId: String(r.agencyId),
    organisationId: r.organisationId === null ? null : String(r.organisationId),
    selfReferral: r.selfReferral === true,
    referrals: n(r, 'referrals'),
    rerouted: n(r, 'rerouted'),
    clocks: Object.fromEntries(
      (Object.entries(CLOCK_PREFIX) as [ClockName, string][]).map(([clock, p]) => [
        clock,
        { onTime: n(r, `${p}_on_time`), late: n(r, `${p}_late`), ended: n(r, `${p}_ended`), buckets: BUCKET_INDEXES.map((i) => n(r, `${p}_b${i}`)) },
      ]),
    ) as Record<ClockName, ClockSums>,
    needsMet: { yes: n(r, 'needs_yes'), partly: n(r, 'needs_partly'), no: n(r, 'needs_no'), notYet: n(r, 'needs_not_yet') },
  }));
}

export interface FacetRow {
  facet:
    | 'checklists'
    | 'no_needs'
    | 'age_band'
    | 'district'
    | 'question'
    | 'outcome'
    | 'people'
    | 'people_org'
    | 'people_agency'
    | 'wellbeing'
    | 'people_wb'
    | 'people_wb_org'
    | 'people_wb_agency';
  key: string;
  agencyId: string | null;
  organisationId: string | null;
  /** self-referrals (no organisation): counted as their own referrer */
  selfReferral: boolean;
  n: number;
}

/** The period's facet counts, per facet, key, agency (none for checklists) and referrer (an organisation, self-referral or none). */
export async function sumFacetDays(db: Executor, f: SummaryFilter): Promise<FacetRow[]> {
  // an agency filter keeps the agency's rows; the checklist-level facets have no agency
  // people: only the rows whose previous checklist (or referral) came before the period, as one key
  const src = periodSources(f);
  const people = sql.raw(`facet LIKE 'people%'`);
  const { rows } = await sql<FacetRow>`
    SELECT facet, CASE WHEN facet LIKE 'people%' THEN '' ELSE key END AS key,
           agency_id AS "agencyId", organisation_id AS "organisationId", self_referral AS "selfReferral", sum(n)::int AS n
      FROM (SELECT facet, key, agency_id, organisation_id, self_referral, n FROM report_facet_months
             WHERE ${src.inMonths} ${filterSql(f, 'agency_id', 'organisation_id')} ${src.peopleFromMonths ? sql`` : sql`AND NOT ${people}`}
            UNION ALL
            SELECT facet, key, agency_id, organisation_id, self_referral, n FROM report_facet_days
             WHERE ${src.outsideMonths} ${filterSql(f, 'agency_id', 'organisation_id')}
            ${
              src.peopleFromMonths || !src.months
                ? sql``
                : sql`UNION ALL
            SELECT facet, key, agency_id, organisation_id, self_referral, n FROM report_facet_days
             WHERE day BETWEEN ${src.months.first}::date AND ${src.months.lastDay}::date AND ${people} ${filterSql(f, 'agency_id', 'organisation_id')}`
            }) x
     WHERE (facet NOT LIKE 'people%' OR key = '' OR key < ${f.from})
     GROUP BY 1, 2, 3, 4, 5`.execute(db);
  return rows;
}

export interface OpenClockRow {
  clock: ClockName;
  agencyId: string;
  overdue: number;
  notYetDue: number;
}

/** The clocks of the period's referrals still running, now: overdue or not yet due, per agency. */
export async function openClocks(db: Executor, f: SummaryFilter, now: Date): Promise<OpenClockRow[]> {
  const orgJoin = f.organisationId ? sql.raw('JOIN submissions s ON s.id = r.submission_id') : sql.raw('');
  const cond = filterSql(f, 'r.agency_id', 's.organisation_id');
  const { rows } = await sql<OpenClockRow>`
    SELECT 'forward' AS clock, r.agency_id AS "agencyId",
           count(*) FILTER (WHERE r.forward_due_at < ${now})::int AS overdue, count(*) FILTER (WHERE r.forward_due_at >= ${now})::int AS "notYetDue"
      FROM referrals r ${orgJoin}
     WHERE r.status IN ('pending', 'forward_failed') AND r.received_at >= ${f.start} AND r.received_at < ${f.end} ${cond}
     GROUP BY r.agency_id
    UNION ALL
    SELECT 'contact', r.agency_id,
           count(*) FILTER (WHERE r.contact_due_at < ${now})::int, count(*) FILTER (WHERE r.contact_due_at >= ${now})::int
      FROM referrals r ${orgJoin}
     WHERE r.status IN ('forwarded', 'acknowledged', 'accepted') AND r.contact_due_at IS NOT NULL
       AND r.received_at >= ${f.start} AND r.received_at < ${f.end} ${cond}
     GROUP BY r.agency_id
    UNION ALL
    SELECT 'follow_up', r.agency_id,
           count(*) FILTER (WHERE r.follow_up_due_at < ${now})::int, count(*) FILTER (WHERE r.follow_up_due_at >= ${now})::int
      FROM follow_ups fu JOIN referrals r ON r.submission_id = fu.submission_id ${orgJoin}
     WHERE fu.status = 'scheduled' AND r.follow_up_due_at IS NOT NULL AND r.followed_up_at IS NULL
       AND r.status NOT IN ('cancelled', 'rerouted')
       AND r.received_at >= ${f.start} AND r.received_at < ${f.end} ${cond}
     GROUP BY r.agency_id`.execute(db);
  return rows;
}

/**
 * People with a checklist received in the period (or, with an agency filter, a referral to the
 * agency received in it), counted live: a merged record counts as the record it was merged
 * into, since merging moves the checklists. The report reads the rollup's people instead; this
 * is for a filter by both an agency and an organisation, which the rollup does not keep.
 */
export async function countPeople(db: Executor, f: SummaryFilter): Promise<number> {
  const { rows } = f.agencyId
    ? await sql<{ n: number }>`
        SELECT count(DISTINCT s.person_id)::int AS n FROM referrals r JOIN submissions s ON s.id = r.submission_id
         WHERE r.agency_id = ${f.agencyId} AND r.received_at >= ${f.start} AND r.received_at < ${f.end}
           ${f.organisationId ? sql`AND s.organisation_id = ${f.organisationId}` : sql``}`.execute(db)
    : await sql<{ n: number }>`
        SELECT count(DISTINCT s.person_id)::int AS n FROM submissions s
         WHERE s.received_at >= ${f.start} AND s.received_at < ${f.end}
           ${f.organisationId ? sql`AND s.organisation_id = ${f.organisationId}` : sql``}`.execute(db);
  return rows[0]?.n ?? 0;
}

/** The names the report shows: agencies, organisations, the questions and their sections, the outcome codes. */
export async function reportLabels(db: Executor) {
  const [agencies, organisations, questions, outcomes] = await Promise.all([
    db.selectFrom('agencies').select(['id', 'name']).execute(),
    db.selectFrom('organisations').select(['id', 'name', 'type']).execute(),
    db
      .selectFrom('questions as q')
      .innerJoin('questionnaireSections as s', 's.id', 'q.sectionId')
      .select(['q.id', 'q.text', 'q.position', 's.title as section', 's.position as sectionPosition'])
      .execute(),
    db.selectFrom('outcomeCodes').select(['code', 'label', 'position', 'snomedCode']).execute(),
  ]);
  return { agencies, organisations, questions, outcomes };
}
