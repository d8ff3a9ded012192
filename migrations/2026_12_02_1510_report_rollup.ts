/**
 * The summary report's daily rollup (src/modules/reports/report-summary.repository.ts): what the referrals
 * and checklists received on each London day came to, so that a report of a quarter or a year
 * adds up days, not referrals, however long the history.
 *
 *  - report_days: per (day, agency, referrer organisation): referrals, re-routed, and for each
 *    clock (fwd, con, fup) the steps done on time, late, and clocks that ended without the step,
 *    with the durations of the done steps in 16 buckets (b0..b15: the upper edges in hours are
 *    modules/reports/report-summary.ts's DURATION_BUCKETS_HOURS; b15 is everything longer); and needs met
 *    at the follow-up. Clocks still running are not rolled up: the report counts them live
 *    through the sweep's partial indexes (they are the open items).
 *  - report_facet_days: per (day, agency or none, organisation, facet, key) counts: checklists,
 *    no-needs checklists, age bands and postcode districts of checklists (agency none); referrals
 *    by question, by outcome and by age band (per agency).
 *  - report_rolled_days: the days rolled up. report_stale_days: a log of days whose rows are out
 *    of date, written by statement-level triggers on every write that changes a day's figures
 *    (a new checklist, a referral's change or re-route, a follow-up's change, needs met). It is
 *    insert-only, so a write committed while a day is being rolled up leaves its mark for the
 *    next roll-up instead of being lost. Before a report is read, the days of its period that
 *    are stale or were never rolled up are rolled up (the sweep keeps that to a few).
 * Nothing is rolled up here: the first report or sweep does it.
 */
import { sql, type Kysely } from 'kysely';

// 16 buckets: a copy of modules/reports/report-summary.ts's BUCKET_COUNT (a migration never imports app code)
const BUCKETS = 16;
const clockColumns = (c: string) =>
  [`${c}_on_time integer NOT NULL`, `${c}_late integer NOT NULL`, `${c}_ended integer NOT NULL`, ...Array.from({ length: BUCKETS }, (_, i) => `${c}_b${i} integer NOT NULL`)].join(',\n      ');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
    CREATE TABLE report_days (
      day date NOT NULL,
      agency_id uuid NOT NULL REFERENCES agencies (id),
      organisation_id uuid REFERENCES organisations (id),
      referrals integer NOT NULL,
      rerouted integer NOT NULL,
      ${clockColumns('fwd')},
      ${clockColumns('con')},
      ${clockColumns('fup')},
      needs_yes integer NOT NULL,
      needs_partly integer NOT NULL,
      needs_no integer NOT NULL,
      needs_not_yet integer NOT NULL
    );
    CREATE INDEX report_days_day_idx ON report_days (day);

    CREATE TABLE report_facet_days (
      day date NOT NULL,
      agency_id uuid REFERENCES agencies (id),
      organisation_id uuid REFERENCES organisations (id),
      facet text NOT NULL CHECK (facet IN ('checklists', 'no_needs', 'age_band', 'district', 'question', 'outcome')),
      key text NOT NULL,
      n integer NOT NULL CHECK (n > 0)
    );
    CREATE INDEX report_facet_days_day_idx ON report_facet_days (day);

    CREATE TABLE report_rolled_days (day date PRIMARY KEY, rolled_at timestamptz NOT NULL);
    CREATE TABLE report_stale_days (day date NOT NULL);
    CREATE INDEX report_stale_days_day_idx ON report_stale_days (day);

    -- people in a period, counted live: an index-only scan of the period's checklists
    CREATE INDEX submissions_received_person_idx ON submissions (received_at) INCLUDE (person_id, organisation_id);

    CREATE FUNCTION signpost_report_stale_days() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_TABLE_NAME IN ('submissions', 'referrals') THEN
        INSERT INTO report_stale_days (day) SELECT DISTINCT (c.received_at AT TIME ZONE 'Europe/London')::date FROM changed c;
      ELSIF TG_TABLE_NAME = 'follow_ups' THEN
        INSERT INTO report_stale_days (day)
          SELECT DISTINCT (r.received_at AT TIME ZONE 'Europe/London')::date FROM changed c JOIN referrals r ON r.submission_id = c.submission_id;
      ELSE -- follow_up_outcomes
        INSERT INTO report_stale_days (day)
          SELECT DISTINCT (r.received_at AT TIME ZONE 'Europe/London')::date FROM changed c JOIN referrals r ON r.id = c.referral_id;
      END IF;
      RETURN NULL;
    END $fn$;
    -- a new checklist marks its day (its referrals are inserted with it, on the same day)
    CREATE TRIGGER submissions_report_stale AFTER INSERT ON submissions
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();
    -- a re-route inserts a referral into an older checklist
    CREATE TRIGGER referrals_report_stale_insert AFTER INSERT ON referrals
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();
    CREATE TRIGGER referrals_report_stale_update AFTER UPDATE ON referrals
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();
    CREATE TRIGGER follow_ups_report_stale AFTER UPDATE ON follow_ups
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();
    CREATE TRIGGER follow_up_outcomes_report_stale_insert AFTER INSERT ON follow_up_outcomes
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();
    CREATE TRIGGER follow_up_outcomes_report_stale_update AFTER UPDATE ON follow_up_outcomes
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();
  `,
    )
    .execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER follow_up_outcomes_report_stale_update ON follow_up_outcomes;
    DROP TRIGGER follow_up_outcomes_report_stale_insert ON follow_up_outcomes;
    DROP TRIGGER follow_ups_report_stale ON follow_ups;
    DROP TRIGGER referrals_report_stale_update ON referrals;
    DROP TRIGGER referrals_report_stale_insert ON referrals;
    DROP TRIGGER submissions_report_stale ON submissions;
    DROP FUNCTION signpost_report_stale_days();
    DROP INDEX submissions_received_person_idx;
    DROP TABLE report_stale_days, report_rolled_days, report_facet_days, report_days;
  `.execute(db);
}
