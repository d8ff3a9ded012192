/**
 * Reads for the coordinators' SLA views: the breach list, the per-agency summary, and the
 * dashboard's weekly volume and compliance charts.
 * Open breaches read through sla_breaches_open_idx, recent ones through
 * sla_breaches_detected_idx, items due soon through the T1/T2/T3 partial indexes.
 */
import { sql } from 'kysely';
import type { Executor, SlaClock } from './database.js';

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
  dueNext24Hours: Counts;
}

export async function slaSummary(db: Executor, now: Date): Promise<AgencySlaSummary[]> {
  const since = new Date(now.getTime() - 30 * 86_400_000);
  const soon = new Date(now.getTime() + 86_400_000);
  const [agencies, open, recent, toForward, toContact, dueForward, dueContact, dueFollowUp] = await Promise.all([
    db.selectFrom('agencies').select(['id', 'name', 'status']).orderBy('name').execute(),
    db
      .selectFrom('slaBreaches')
      .select(['agencyId', 'clock', sql<string>`count(*)`.as('n')])
      .where('resolvedAt', 'is', null)
      .groupBy(['agencyId', 'clock'])
      .execute(),
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

  const byId = new Map<string, AgencySlaSummary>(
    agencies.map((a) => [
      a.id,
      {
        agencyId: a.id,
        agencyName: a.name,
        agencyStatus: a.status,
        openBreaches: zero(),
        breachesLast30Days: 0,
        medianHoursToForward: null,
        medianHoursToContact: null,
        dueNext24Hours: zero(),
      },
    ]),
  );
  const round = (h: number | string | null) => (h === null ? null : Math.round(Number(h) * 100) / 100);
  for (const o of open) byId.get(o.agencyId)!.openBreaches[o.clock] = Number(o.n);
  for (const r of recent) byId.get(r.agencyId)!.breachesLast30Days = Number(r.n);
  for (const m of toForward.rows) byId.get(m.agencyId)!.medianHoursToForward = round(m.hours);
  for (const m of toContact.rows) byId.get(m.agencyId)!.medianHoursToContact = round(m.hours);
  for (const d of dueForward.rows) byId.get(d.agencyId)!.dueNext24Hours.forward = Number(d.n);
  for (const d of dueContact.rows) byId.get(d.agencyId)!.dueNext24Hours.contact = Number(d.n);
  for (const d of dueFollowUp.rows) byId.get(d.agencyId)!.dueNext24Hours.follow_up = Number(d.n);
  return [...byId.values()];
}

/** Referrals received per ISO week (Monday start, UTC), the last `weeks` weeks including this one. */
export async function weeklyReferralVolume(db: Executor, now: Date, weeks: number) {
  const r = await sql<{ weekStart: string; n: string }>`
    SELECT to_char(w.week_start, 'YYYY-MM-DD') AS week_start, count(r.id) AS n
    FROM generate_series(date_trunc('week', ${now}::timestamptz AT TIME ZONE 'UTC') - make_interval(weeks => ${weeks - 1}),
                         date_trunc('week', ${now}::timestamptz AT TIME ZONE 'UTC'), interval '1 week') AS w(week_start)
    LEFT JOIN referrals r ON r.received_at >= w.week_start AT TIME ZONE 'UTC'
                         AND r.received_at < (w.week_start + interval '1 week') AT TIME ZONE 'UTC'
                         AND r.received_at <= ${now}
    GROUP BY w.week_start ORDER BY w.week_start`.execute(db);
  return r.rows.map((x) => ({ weekStart: x.weekStart, count: Number(x.n) }));
}

/**
 * SLA compliance per agency over referrals received in the window: the share with no breach of
 * any clock. Agencies with no referrals in the window are left out.
 */
export async function slaCompliance(db: Executor, since: Date) {
  const r = await sql<{ agencyId: string; agencyName: string; total: string; breached: string }>`
    SELECT a.id AS agency_id, a.name AS agency_name, count(r.id) AS total,
           count(r.id) FILTER (WHERE EXISTS (SELECT 1 FROM sla_breaches b WHERE b.referral_id = r.id)) AS breached
    FROM agencies a JOIN referrals r ON r.agency_id = a.id AND r.received_at >= ${since}
    GROUP BY a.id, a.name ORDER BY a.name`.execute(db);
  return r.rows.map((x) => {
    const total = Number(x.total);
    const breached = Number(x.breached);
    return { agencyId: x.agencyId, agencyName: x.agencyName, total, breached, percent: total ? Math.round(((total - breached) * 100) / total) : 100 };
  });
}
