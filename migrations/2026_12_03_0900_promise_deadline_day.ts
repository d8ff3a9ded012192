/**
 * The day a person is told (contact_promised_on) counts from the day the hub's forward deadline
 * closes, not the day its instant falls on. With a closing time of 24:00
 * (WORKING_DAY_ENDS_AT=24:00) a "next working day" deadline is midnight, the first instant of
 * the following day, and the promise counted one day too many, and differed from a re-route's
 * (src/domain/working-days.ts contactPromiseDay, the same rule in TypeScript).
 *
 * signpost_deadline_day(t) is that day. The working-day wrapper of the intake function (since
 * 2026_12_02_1700 named signpost_intake_before_capacity) now sets the promise of every referral
 * it stored, calendar-day agencies too: the deadline's day plus the contact days, or the Nth
 * working day after it. The row is written only where this differs from what the inner function
 * wrote (a deadline at midnight, or within an hour of midnight across a clock change), so the
 * intake writes no more than before. Promises already made do not move.
 */
import { sql, type Kysely } from 'kysely';

const BEFORE = `
CREATE OR REPLACE FUNCTION signpost_intake_before_capacity(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      res jsonb := signpost_intake_before_workdays(p);
    BEGIN
      IF res->>'outcome' = 'inserted' THEN
        UPDATE referrals r
           SET contact_promised_on = signpost_working_day_after((r.forward_due_at AT TIME ZONE 'Europe/London')::date, a.contact_days)
          FROM jsonb_to_recordset(p->'referrals') AS x(id uuid), agencies a
         WHERE r.id = x.id AND a.id = r.agency_id AND a.contact_clock = 'working_days';
      END IF;
      RETURN res;
    END
$fn$;`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- the London day on which a deadline closes: a deadline at midnight closes the day before
    CREATE FUNCTION signpost_deadline_day(t timestamptz) RETURNS date LANGUAGE sql STABLE AS $fn$
      SELECT ((t - interval '1 millisecond') AT TIME ZONE 'Europe/London')::date
    $fn$;

    CREATE OR REPLACE FUNCTION signpost_intake_before_capacity(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      res jsonb := signpost_intake_before_workdays(p);
    BEGIN
      IF res->>'outcome' = 'inserted' THEN
        UPDATE referrals r
           SET contact_promised_on = d.promise
          FROM (SELECT r2.id,
                       CASE WHEN a.contact_clock = 'working_days'
                            THEN signpost_working_day_after(signpost_deadline_day(r2.forward_due_at), a.contact_days)
                            ELSE signpost_deadline_day(r2.forward_due_at) + a.contact_days END AS promise
                  FROM jsonb_to_recordset(p->'referrals') AS x(id uuid)
                  JOIN referrals r2 ON r2.id = x.id
                  JOIN agencies a ON a.id = r2.agency_id) d
         WHERE r.id = d.id AND r.contact_promised_on IS DISTINCT FROM d.promise;
      END IF;
      RETURN res;
    END
    $fn$;
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(BEFORE).execute(db);
  await sql`DROP FUNCTION signpost_deadline_day(timestamptz)`.execute(db);
}
