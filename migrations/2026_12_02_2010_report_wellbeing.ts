/**
 * ONS4 wellbeing change in the summary report's rollup, so that a year's report adds up days
 * (and months) instead of reading every pair of answers of the year.
 *
 * For the checklists received on a day that have answers at both the checklist and its follow-up
 * call, report_facet_days (and report_facet_months) keep, per referrer organisation (agency
 * none) and per agency the checklist was referred to:
 *  - facet `wellbeing`, key `<measure>:<stat>`: for each measure answered at both ends, the
 *    pairs (`n`), the sums of the answers before and after (`before`, `after`), and how many
 *    improved, stayed the same or got worse (a zero is not kept);
 *  - facets `people_wb`, `people_wb_org`, `people_wb_agency`: people with a pair, counted as the
 *    other people facets are (per day of the person's previous checklist with a pair; within
 *    the organisation; with a referral to the agency).
 * Answers recorded, changed or deleted mark the day of their checklist and of the person's
 * later checklists stale. The days with answers are marked now, to be rolled up again.
 */
import { sql, type Kysely } from 'kysely';

const FACETS = `'checklists', 'no_needs', 'age_band', 'district', 'question', 'outcome', 'people', 'people_org', 'people_agency'`;
const WITH_WELLBEING = `${FACETS}, 'wellbeing', 'people_wb', 'people_wb_org', 'people_wb_agency'`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
    ALTER TABLE report_facet_days DROP CONSTRAINT report_facet_days_facet_check;
    ALTER TABLE report_facet_days ADD CONSTRAINT report_facet_days_facet_check CHECK (facet IN (${WITH_WELLBEING}));
    ALTER TABLE report_facet_months DROP CONSTRAINT report_facet_days_facet_check;
    ALTER TABLE report_facet_months ADD CONSTRAINT report_facet_months_facet_check CHECK (facet IN (${WITH_WELLBEING}));

    CREATE FUNCTION signpost_report_stale_wellbeing() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      -- the checklist's day and the days of the person's later checklists (their previous pair may change)
      INSERT INTO report_stale_days (day)
        SELECT DISTINCT (s.received_at AT TIME ZONE 'Europe/London')::date
          FROM changed c
          JOIN submissions s0 ON s0.id = c.submission_id
          JOIN submissions s ON s.person_id = s0.person_id AND s.received_at >= s0.received_at;
      RETURN NULL;
    END $fn$;
    CREATE TRIGGER wellbeing_scores_report_stale_insert AFTER INSERT ON wellbeing_scores
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_wellbeing();
    CREATE TRIGGER wellbeing_scores_report_stale_update AFTER UPDATE ON wellbeing_scores
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_wellbeing();
    CREATE TRIGGER wellbeing_scores_report_stale_delete AFTER DELETE ON wellbeing_scores
      REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_wellbeing();

    INSERT INTO report_stale_days (day)
      SELECT DISTINCT (s.received_at AT TIME ZONE 'Europe/London')::date
        FROM wellbeing_scores w JOIN submissions s ON s.id = w.submission_id WHERE w.occasion = 'follow_up';
  `,
    )
    .execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
    DROP TRIGGER wellbeing_scores_report_stale_delete ON wellbeing_scores;
    DROP TRIGGER wellbeing_scores_report_stale_update ON wellbeing_scores;
    DROP TRIGGER wellbeing_scores_report_stale_insert ON wellbeing_scores;
    DROP FUNCTION signpost_report_stale_wellbeing();
    DELETE FROM report_facet_days WHERE facet IN ('wellbeing', 'people_wb', 'people_wb_org', 'people_wb_agency');
    DELETE FROM report_facet_months WHERE facet IN ('wellbeing', 'people_wb', 'people_wb_org', 'people_wb_agency');
    ALTER TABLE report_facet_days DROP CONSTRAINT report_facet_days_facet_check;
    ALTER TABLE report_facet_days ADD CONSTRAINT report_facet_days_facet_check CHECK (facet IN (${FACETS}));
    ALTER TABLE report_facet_months DROP CONSTRAINT report_facet_months_facet_check;
    ALTER TABLE report_facet_months ADD CONSTRAINT report_facet_days_facet_check CHECK (facet IN (${FACETS}));
  `,
    )
    .execute(db);
}
