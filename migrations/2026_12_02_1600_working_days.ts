/**
 * Working-day clocks: the England and Wales bank holidays (bank_holidays, seeded here from the
 * calendar the project ships, config/bank-holidays.json in GOV.UK's format, and refreshed with
 * `signpost holidays:import FILE`), and each agency's contact clock kind (contact_clock: its
 * contact days counted as calendar days, as before, or as working days).
 *
 * The intake function writes the date the person is promised contact by (contact_promised_on)
 * from the agency's contact days in calendar days. It is wrapped, not copied: the new
 * signpost_intake calls the old one (renamed signpost_intake_before_workdays) and, when the
 * checklist was stored, sets the promise of the referrals to working-day agencies on the same
 * rule as src/kernel/working-days.ts (the Nth working day after the London day of the forward
 * deadline). Still one statement, one round trip, one commit.
 */
import { sql, type Kysely } from 'kysely';
import shipped from '../config/bank-holidays.json' with { type: 'json' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE bank_holidays (
      day date PRIMARY KEY,
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
      imported_at timestamptz NOT NULL DEFAULT now()
    );
    ALTER TABLE agencies ADD COLUMN contact_clock text NOT NULL DEFAULT 'calendar_days'
      CHECK (contact_clock IN ('calendar_days', 'working_days'));

    -- the Nth working day after d (d never counts): Monday to Friday, not a bank holiday
    CREATE FUNCTION signpost_working_day_after(d date, n integer) RETURNS date LANGUAGE sql STABLE AS $fn$
      SELECT x::date FROM generate_series(d + 1, d + 7 * n + 60, interval '1 day') AS x
       WHERE extract(isodow FROM x) < 6 AND NOT EXISTS (SELECT 1 FROM bank_holidays b WHERE b.day = x::date)
       ORDER BY x OFFSET n - 1 LIMIT 1
    $fn$;

    ALTER FUNCTION signpost_intake(jsonb) RENAME TO signpost_intake_before_workdays;
    CREATE FUNCTION signpost_intake(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
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
    $fn$;
  `.execute(db);
  const rows = shipped['england-and-wales'].events.map((e) => ({ day: e.date, title: e.title }));
  if (rows.length) await db.insertInto('bank_holidays').values(rows).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP FUNCTION signpost_intake(jsonb);
    ALTER FUNCTION signpost_intake_before_workdays(jsonb) RENAME TO signpost_intake;
    DROP FUNCTION signpost_working_day_after(date, integer);
    ALTER TABLE agencies DROP COLUMN contact_clock;
    DROP TABLE bank_holidays;
  `.execute(db);
}
