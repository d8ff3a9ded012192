/**
 * Fast at a million referrals (docs/benchmarks.md#history-at-scale: `npm run bench:scale`). The
 * coordinators' pages read what is open or recent, never the whole history:
 *   - referral_days: referrals received per UTC day, per agency and in all (agency_id NULL, a
 *     row written for every day rolled up, even an empty one, so the latest such row says how
 *     far the rollup has got). The dashboard's weekly volume and 30-day compliance add these
 *     finished days to a live count of the rest. A day's count is final once the day is over
 *     (referrals are never deleted and keep their received_at), so the SLA sweep rolls up each
 *     day once, after it ends; this migration rolls up the history already held.
 *   - follow_ups_completed_idx: the completed calls, latest first (the worklist's third tab).
 *   - sla_breaches_open_latest_idx: the open breaches, latest first (the dashboard's list).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE referral_days (
      day date NOT NULL,
      agency_id uuid REFERENCES agencies (id),
      received integer NOT NULL CHECK (received >= 0),
      CONSTRAINT referral_days_key UNIQUE NULLS NOT DISTINCT (day, agency_id)
    );
    CREATE INDEX referral_days_agency_idx ON referral_days (agency_id, day) WHERE agency_id IS NOT NULL;
    CREATE INDEX follow_ups_completed_idx ON follow_ups (completed_at DESC, id) WHERE status = 'completed';
    CREATE INDEX sla_breaches_open_latest_idx ON sla_breaches (detected_at DESC, id) WHERE resolved_at IS NULL;
  `.execute(db);
  // every day of the history that ended an hour ago or more (the sweep's rule, src/modules/sla/sla.service.ts)
  await sql`
    WITH span AS (
      SELECT (min(received_at) AT TIME ZONE 'UTC')::date AS first, ((now() - interval '1 hour') AT TIME ZONE 'UTC')::date AS until FROM referrals
    )
    INSERT INTO referral_days (day, agency_id, received)
    SELECT d::date, NULL, 0 FROM span, generate_series(span.first, span.until - 1, interval '1 day') d
    UNION ALL
    SELECT (r.received_at AT TIME ZONE 'UTC')::date, r.agency_id, count(*)::int
      FROM referrals r, span WHERE r.received_at < span.until::timestamp AT TIME ZONE 'UTC'
     GROUP BY 1, 2
  `.execute(db);
  await sql`
    UPDATE referral_days d SET received = t.n
      FROM (SELECT day, sum(received)::int AS n FROM referral_days WHERE agency_id IS NOT NULL GROUP BY day) t
     WHERE d.agency_id IS NULL AND d.day = t.day
  `.execute(db);
  await sql`ANALYZE referral_days`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX sla_breaches_open_latest_idx;
    DROP INDEX follow_ups_completed_idx;
    DROP TABLE referral_days;
  `.execute(db);
}
