/**
 * The day a person is told (contact_promised_on) counts from the day the hub's forward deadline
 * closes, not the day its instant falls on. With a closing time of 24:00
 * (WORKING_DAY_ENDS_AT=24:00) a "next working day" deadline is midnight, the first instant of
 * the following day, and the promise counted one day too many, and differed from a re-route's
 * (src/kernel/working-days.ts contactPromiseDay, the same rule in TypeScript).
 *
 * signpost_deadline_day(t) is that day, signpost_contact_promise the promise. The working-day wrapper of the intake function (since
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

    -- the day a person is told: the contact days after the day the forward deadline closes
    CREATE FUNCTION signpost_contact_promise(forward_due_at timestamptz, days integer, clock text) RETURNS date LANGUAGE sql STABLE AS $fn$
      SELECT CASE WHEN clock = 'working_days' THEN signpost_working_day_after(signpost_deadline_day(forward_due_at), days)
                  ELSE signpost_deadline_day(forward_due_at) + days END
    $fn$;

    CREATE OR REPLACE FUNCTION signpost_intake_before_capacity(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      res jsonb := signpost_intake_before_workdays(p);
    BEGIN
      IF res->>'outcome' = 'inserted' THEN
        -- the referrals by their keys (a join to the recordset was planned as a scan of every referral)
        UPDATE referrals r
           SET contact_promised_on = signpost_contact_promise(r.forward_due_at, a.contact_days, a.contact_clock)
          FROM agencies a
         WHERE r.id = ANY (ARRAY(SELECT (e->>'id')::uuid FROM jsonb_array_elements(p->'referrals') e))
           AND a.id = r.agency_id
           AND r.contact_promised_on IS DISTINCT FROM signpost_contact_promise(r.forward_due_at, a.contact_days, a.contact_clock);
      END IF;
      RETURN res;
    END
    $fn$;
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(BEFORE).execute(db);
  await sql`DROP FUNCTION signpost_contact_promise(timestamptz, integer, text); DROP FUNCTION signpost_deadline_day(timestamptz)`.execute(db);
}
