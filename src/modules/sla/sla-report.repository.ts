/**
 * Reads for the coordinators' SLA views: the breach list, the per-agency summary, and the
 * dashboard's weekly volume and compliance charts.
 * Open breaches read through sla_breaches_open_idx, recent ones through
 * sla_breaches_detected_idx, items due soon through the T1/T2/T3 partial indexes.
 */
import { sql } from 'kysely';
import type { Executor, SlaClock } from '../../platform/db/database.js';
import { rolledUpUntil } from './referral-day.repository.js';

export interface BreachFilter {
  open?: boolean | undefined;
  clock?: SlaClock | undefined;
  agencyId?: string | undefined;
  limit: number;
}

export async function listBreaches(db: Executor, f: BreachFilter, now: Date) {
  let q = db
    .selectFrom('slaBreaches as b')
    .innerJoin('referrals as r', 'r.id', 'b.referralId')
    .innerJoin('agencies as a', 'a.id', 'b.agencyId')
    .select([
      'b.id',
      'b.clock',
      'b.referralId',
      'r.reference as referralReference',
      'r.status as referralStatus',
      'b.agencyId',
      'a.name as agencyName',
      'b.dueAt',
      'b.detectedAt',
      'b.resolvedAt',
      // resolved: how late the step was; open: how late it is now
      sql<number>`COALESCE(b.late_by_seconds, GREATEST(0, floor(extract(epoch FROM (${now}::timestamptz - b.due_at))))::int)`.as('lateBySeconds'),
    ]);
  if (f.open === true) q = q.where('b.resolvedAt', 'is', null);
  if (f.open === false) q = q.where('b.resolvedAt', 'is not', null);
  if (f.clock) q = q.where('b.clock', '=', f.clock);
  if (f.agencyId) q = q.where('b.agencyId', '=', f.agencyId);
  return q.orderBy('b.detectedAt', 'desc').orderBy('b.id').limit(f.limit).execute();
}

type Counts = Record<SlaClock, number>;
const zero = (): Counts => ({ forward: 0, contact: 0, follow_up: 0 });

export interface AgencySlaSummary {
  agencyId: string;
  agencyName: string;
  agencyStatus: string;
  openBreaches: Counts;
  breachesLast30Days: number;
  medianHoursToForward: number | null;
  medianHoursToContact: number | null;
  /** steps due within the warning window (SLA_WARN_WITHIN_HOURS), not yet late */
  dueSoon: Counts;
}

export type AgencySlaRisk = Pick<AgencySlaSummary, 'agencyId' | 'agencyName' | 'agencyStatus' | 'openBreaches' | 'dueSoon'>;

/**
 * What is at risk now, per agency: open breaches and steps due before `soon` (the warning
 * window). Reads only open items, through the partial indexes, so it costs the same whatever
 * the history (the dashboard needs no more).
 */
export async function slaRisk(db: Executor, now: Date, soon: Date): Promise<AgencySlaRisk[]> {
  const [agencies, open, dueForward, dueContact, dueFollowUp] = await Promise.all([
    db.selectFrom('agencies').select(['id', 'name', 'status']).orderBy('name').execute(),
    db
      .selectFrom('slaBreaches')
      .select(['agencyId', 'clock', sql<string>`count(*)`.as('n')])
      .where('resolvedAt', 'is', null)
      .groupBy(['agencyId', 'clock'])
      .execute(),
    sql<{ agencyId: string; n: string }>`
      SELECT agency_id, count(*) AS n FROM referrals
      WHERE status IN ('pending', 'forward_failed') AND forward_due_at > ${now} AND forward_due_at <= ${soon}
      GROUP BY agency_id`.execute(db),
    sql<{ agencyId: string; n: string }>`
      SELECT agency_id, count(*) AS n FROM referrals
      WHERE status IN ('forwarded', 'acknowledged', 'accepted') AND contact_due_at > ${now} AND contact_due_at <= ${soon}
      GROUP BY agency_id`.execute(db),
    sql<{ agencyId: string; n: string }>`
      SELECT r.agency_id, count(*) AS n FROM follow_ups f JOIN referrals r ON r.submission_id = f.submission_id
      WHERE f.status = 'scheduled' AND f.due_at > ${now} AND f.due_at <= ${soon} AND r.status NOT IN ('cancelled', 'rerouted')
      GROUP BY r.agency_id`.execute(db),
  ]);
  const byId = new Map<string, AgencySlaRisk>(
    agencies.map((a) => [a.id, { agencyId: a.id, agencyName: a.name, agencyStatus: a.status, openBreaches: zero(), dueSoon: zero() }]),
  );
  for (const o of open) byId.get(o.agencyId)!.openBreaches[o.clock] = Number(o.n);
  for (const d of dueForward.rows) byId.get(d.agencyId)!.dueSoon.forward = Number(d.n);
  for (const d of dueContact.rows) byId.get(d.agencyId)!.dueSoon.contact = Number(d.n);
  for (const d of dueFollowUp.rows) byId.get(d.agencyId)!.dueSoon.follow_up = Number(d.n);
  return [...byId.values()];
}

/** The per-agency summary (the API's report): what is at risk now, and the last 30 days' breaches and medians. */
export async function slaSummary(db: Executor, now: Date, soon: Date): Promise<(AgencySlaSummary & { dueNext24Hours: Counts })[]> {
  const since = new Date(now.getTime() - 30 * 86_400_000);
  const [risk, recent, toForward, toContact] = await Promise.all([
    slaRisk(db, now, soon),
    db
      .selectFrom('slaBreaches')
      .select(['agencyId', sql<string>`count(*)`.as('n')])
      .where('detectedAt', '>=', since)
      .groupBy('agencyId')
      .execute(),
    sql<{ agencyId: string; hours: number }>`
      SELECT agency_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM forwarded_at - received_at)) / 3600 AS hours
      FROM referrals WHERE forwarded_at >= ${since} GROUP BY agency_id`.execute(db),
    sql<{ agencyId: string; hours: number }>`
      SELECT agency_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM contacted_at - forwarded_at)) / 3600 AS hours
      FROM referrals WHERE contacted_at >= ${since} AND forwarded_at IS NOT NULL GROUP BY agency_id`.execute(db),
  ]);
  const byId = new Map<string, AgencySlaSummary>(
    risk.map((a) => [a.agencyId, { ...a, breachesLast30Days: 0, medianHoursToForward: null, medianHoursToContact: null }]),
  );
  const round = (h: number | string | null) => (h === null ? null : Math.round(Number(h) * 100) / 100);
  for (const r of recent) byId.get(r.agencyId)!.breachesLast30Days = Number(r.n);
  for (const m of toForward.rows) byId.get(m.agencyId)!.medianHoursToForward = round(m.hours);
  for (const m of toContact.rows) byId.get(m.agencyId)!.medianHoursToContact = round(m.hours);
  // the report's shape, as before, then dueSoon: dueNext24Hours is its old name, kept for API clients
  // (the same counts, over SLA_WARN_WITHIN_HOURS, which is 24 unless configured)
  return [...byId.values()].map((a) => ({
    agencyId: a.agencyId,
    agencyName: a.agencyName,
    agencyStatus: a.agencyStatus,
    openBreaches: a.openBreaches,
    breachesLast30Days: a.breachesLast30Days,
    medianHoursToForward: a.medianHoursToForward,
    medianHoursToContact: a.medianHoursToContact,
    dueNext24Hours: a.dueSoon,
    dueSoon: a.dueSoon,
  }));
}

export interface DueSoonItem {
  clock: SlaClock;
  dueAt: Date;
  /** the referral (forward, contact) or the follow-up call (follow_up) */
  id: string;
  /** the referral's reference, or the checklist's for a follow-up call */
  reference: string;
  /** the agency, or null for a follow-up call (it is the hub's) */
  agencyName: string | null;
}

/**
 * The steps due soonest within the warning window, across the three clocks: references,
 * agencies and times only (no personal data). Each clock reads through its partial index
 * (literal predicates, rule 8), at most `limit` rows each, merged here.
 */
export async function listDueSoon(db: Executor, now: Date, soon: Date, limit: number): Promise<DueSoonItem[]> {
  const [forward, contact, followUp] = await Promise.all([
    sql<DueSoonItem>`
      SELECT 'forward' AS clock, r.forward_due_at AS due_at, r.id, r.reference, a.name AS agency_name
      FROM referrals r JOIN agencies a ON a.id = r.agency_id
      WHERE r.status IN ('pending', 'forward_failed') AND r.forward_due_at > ${now} AND r.forward_due_at <= ${soon}
      ORDER BY r.forward_due_at LIMIT ${limit}`.execute(db),
    sql<DueSoonItem>`
      SELECT 'contact' AS clock, r.contact_due_at AS due_at, r.id, r.reference, a.name AS agency_name
      FROM referrals r JOIN agencies a ON a.id = r.agency_id
      WHERE r.status IN ('forwarded', 'acknowledged', 'accepted') AND r.contact_due_at > ${now} AND r.contact_due_at <= ${soon}
      ORDER BY r.contact_due_at LIMIT ${limit}`.execute(db),
    sql<DueSoonItem>`
      SELECT 'follow_up' AS clock, f.due_at, f.id, s.reference, NULL AS agency_name
      FROM follow_ups f JOIN submissions s ON s.id = f.submission_id
      WHERE f.status = 'scheduled' AND f.due_at > ${now} AND f.due_at <= ${soon}
      ORDER BY f.due_at LIMIT ${limit}`.execute(db),
  ]);
  return [...forward.rows, ...contact.rows, ...followUp.rows].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime()).slice(0, limit);
}

/** How many steps of each clock fall due within the warning window (a follow-up call counts once). */
export async function countDueSoon(db: Executor, now: Date, soon: Date): Promise<Counts> {
  const { rows } = await sql<{ forward: string; contact: string; followUp: string }>`
    SELECT
      (SELECT count(*) FROM referrals WHERE status IN ('pending', 'forward_failed') AND forward_due_at > ${now} AND forward_due_at <= ${soon}) AS forward,
      (SELECT count(*) FROM referrals WHERE status IN ('forwarded', 'acknowledged', 'accepted') AND contact_due_at > ${now} AND contact_due_at <= ${soon}) AS contact,
      (SELECT count(*) FROM follow_ups WHERE status = 'scheduled' AND due_at > ${now} AND due_at <= ${soon}) AS follow_up`.execute(db);
  const r = rows[0]!;
  return { forward: Number(r.forward), contact: Number(r.contact), follow_up: Number(r.followUp) };
}

/** UTC midnight at or after `t`. */
function nextMidnight(t: Date): Date {
  const day = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate());
  return new Date(day === t.getTime() ? day : day + 86_400_000);
}

/**
 * Referrals received per ISO week (Monday start, UTC), the last `weeks` weeks including this one.
 * The days the sweep has rolled up are read from referral_days, the rest counted live (the
 * day or so since), so the cost follows the weeks shown, not the history. The weeks come from
 * an integer series, whose row count the planner knows (a timestamp series is guessed at a
 * thousand rows, which priced the query past jit_above_cost: compiling it took longer than
 * running it).
 */
export async function weeklyReferralVolume(db: Executor, now: Date, weeks: number) {
  const until = await rolledUpUntil(db, now);
  const live = until ? until.toISOString() : '-infinity';
  const r = await sql<{ weekStart: string; n: string }>`
    SELECT to_char(w.week_start, 'YYYY-MM-DD') AS week_start,
           COALESCE((SELECT sum(d.received) FROM referral_days d
                      WHERE d.agency_id IS NULL AND d.day >= w.week_start::date AND d.day < (w.week_start + interval '1 week')::date
                        AND d.day < (${live}::timestamptz AT TIME ZONE 'UTC')::date), 0)
           + (SELECT count(*) FROM referrals r
               WHERE r.received_at >= GREATEST(w.week_start AT TIME ZONE 'UTC', ${live}::timestamptz)
                 AND r.received_at < (w.week_start + interval '1 week') AT TIME ZONE 'UTC'
                 AND r.received_at <= ${now}) AS n
    FROM generate_series(${1 - weeks}::int, 0) AS i,
         LATERAL (SELECT date_trunc('week', ${now}::timestamptz AT TIME ZONE 'UTC') + make_interval(weeks => i) AS week_start) w
    ORDER BY w.week_start`.execute(db);
  return r.rows.map((x) => ({ weekStart: x.weekStart, count: Number(x.n) }));
}

/**
 * SLA compliance per agency over referrals received in the window: the share with no breach of
 * any clock. Agencies with no referrals in the window are left out. The whole days the sweep
 * has rolled up are read from referral_days and the rest of the window counted live. The
 * breached referrals are found from the breaches detected in the window: a breach is detected
 * after its due time, which follows the referral's receipt, so every breach of a referral
 * received in the window was detected in it.
 */
export async function slaCompliance(db: Executor, since: Date, now: Date) {
  const until = await rolledUpUntil(db, now);
  const firstFull = nextMidnight(since);
  const rolled = until !== null && firstFull < until;
  // live: [since, rollFrom) and [rollTo, ...); rolled up: the days in [rollFrom, rollTo). Each
  // part is its own small read: one statement appending them was priced for a parallel plan,
  // whose workers took longer to start than the reads take.
  const rollFrom = rolled ? firstFull : since;
  const rollTo = rolled ? until : since;
  const liveCount = (from: Date, to: Date | null) =>
    sql<{ agencyId: string; n: string }>`
      SELECT agency_id, count(*) AS n FROM referrals
       WHERE received_at >= ${from} ${to ? sql`AND received_at < ${to}` : sql``}
       GROUP BY agency_id`.execute(db);
  const [agencies, days, before, after, breached] = await Promise.all([
    db.selectFrom('agencies').select(['id', 'name']).orderBy('name').execute(),
    rolled
      ? sql<{ agencyId: string; n: string }>`
          SELECT agency_id, sum(received) AS n FROM referral_days
           WHERE agency_id IS NOT NULL AND day >= ${rollFrom.toISOString().slice(0, 10)}::date AND day < ${rollTo.toISOString().slice(0, 10)}::date
           GROUP BY agency_id`.execute(db)
      : { rows: [] },
    rollFrom > since ? liveCount(since, rollFrom) : { rows: [] },
    liveCount(rollTo, null),
    sql<{ agencyId: string; n: string }>`
      SELECT r.agency_id, count(DISTINCT b.referral_id) AS n
        FROM sla_breaches b JOIN referrals r ON r.id = b.referral_id
       WHERE b.detected_at >= ${since} AND r.received_at >= ${since}
       GROUP BY r.agency_id`.execute(db),
  ]);
  const totals = new Map<string, number>();
  for (const x of [...days.rows, ...before.rows, ...after.rows]) totals.set(x.agencyId, (totals.get(x.agencyId) ?? 0) + Number(x.n));
  const breaches = new Map(breached.rows.map((x) => [x.agencyId, Number(x.n)]));
  return agencies
    .filter((a) => (totals.get(a.id) ?? 0) > 0)
    .map((a) => {
      const total = totals.get(a.id)!;
      const breached = breaches.get(a.id) ?? 0;
      return { agencyId: a.id, agencyName: a.name, total, breached, percent: Math.round(((total - breached) * 100) / total) };
    });
}
