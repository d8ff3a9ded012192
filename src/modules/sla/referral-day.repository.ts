/**
 * The referral_days table (migrations/2026_12_02_1300_scale.ts): referrals received per UTC
 * day, per agency and in all (agency_id NULL). Written here only, by the SLA sweep; read by
 * the dashboard's charts (sla-report.repository.ts), which add a live count of the days not
 * yet rolled up, so the figures are the same whether or not the sweep has run.
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';

/**
 * Rolls up the days after the last one rolled up (or from the first referral's day), up to the
 * day before the one `now` falls in an hour ago (so a referral committed just after midnight
 * is counted in its day), at most `maxDays` days per call; the next sweep carries on. A day's
 * count is final once it is over: referrals are never deleted and never change received_at.
 * Every rolled-up day gets its total row, even an empty day, so the latest total row says how
 * far the rollup has got. Returns the number of days rolled up.
 */
export async function rollUpReferralDays(db: Executor, now: Date, maxDays: number): Promise<number> {
  const { rows } = await sql<{ days: number }>`
    WITH span AS (
      SELECT s.first, LEAST(((${now}::timestamptz - interval '1 hour') AT TIME ZONE 'UTC')::date, s.first + ${maxDays}::int) AS until
        FROM (SELECT COALESCE((SELECT max(day) + 1 FROM referral_days WHERE agency_id IS NULL),
                              (SELECT (min(received_at) AT TIME ZONE 'UTC')::date FROM referrals)) AS first) s
    ), counts AS (
      SELECT (r.received_at AT TIME ZONE 'UTC')::date AS day, r.agency_id, count(*)::int AS n
        FROM referrals r, span
       WHERE r.received_at >= span.first::timestamp AT TIME ZONE 'UTC' AND r.received_at < span.until::timestamp AT TIME ZONE 'UTC'
       GROUP BY 1, 2
    ), ins AS (
      INSERT INTO referral_days (day, agency_id, received)
      SELECT d::date, NULL, COALESCE((SELECT sum(c.n) FROM counts c WHERE c.day = d::date), 0)::int
        FROM span, generate_series(span.first, span.until - 1, interval '1 day') d
      UNION ALL
      SELECT day, agency_id, n FROM counts
      ON CONFLICT ON CONSTRAINT referral_days_key DO NOTHING
      RETURNING agency_id
    )
    SELECT (count(*) FILTER (WHERE agency_id IS NULL))::int AS days FROM ins`.execute(db);
  return rows[0]?.days ?? 0;
}

/**
 * The instant from which the dashboard counts referrals live: midnight (UTC) after the last
 * day rolled up, but never later than the start of `now`'s day (a day is only read from the
 * rollup once it is over by the reader's clock too). Null when nothing is rolled up yet.
 */
export async function rolledUpUntil(db: Executor, now: Date): Promise<Date | null> {
  const row = await db.selectFrom('referralDays').select(sql<string | null>`max(day)`.as('last')).where('agencyId', 'is', null).executeTakeFirst();
  if (!row?.last) return null;
  const next = new Date(`${row.last}T00:00:00.000Z`).getTime() + 86_400_000;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(Math.min(next, today));
}
