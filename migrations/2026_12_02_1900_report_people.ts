/**
 * People in the summary report's rollup, so that a year's report does not count distinct people
 * over a year of checklists. A person is counted in a period by their first checklist in it: a
 * checklist whose person's previous checklist (in (received_at, id) order) came before the period.
 * So each day's rows say, per previous checklist's day, how many checklists came (facet
 * `people`, key the previous day's date or '' for none): the report adds the rows of its days
 * whose key is before its first day. `people_org` is the same within one referrer organisation;
 * `people_agency` the same for one agency's referrals (the previous referral of the person at
 * that agency).
 * Besides the writes already marked, a checklist received before others of its person (a paper
 * checklist keyed in later) changes the later ones' previous checklist, and a merge moves
 * checklists between people: both mark the person's days stale. Every day is rolled up again.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE report_facet_days DROP CONSTRAINT report_facet_days_facet_check;
    ALTER TABLE report_facet_days ADD CONSTRAINT report_facet_days_facet_check
      CHECK (facet IN ('checklists', 'no_needs', 'age_band', 'district', 'question', 'outcome', 'people', 'people_org', 'people_agency'));

    CREATE FUNCTION signpost_report_stale_people() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        -- the person's later checklists, and their referrals, have a new previous one
        INSERT INTO report_stale_days (day)
          SELECT DISTINCT (x.received_at AT TIME ZONE 'Europe/London')::date
            FROM changed c
            JOIN submissions s ON s.person_id = c.person_id AND s.received_at > c.received_at
            CROSS JOIN LATERAL (SELECT s.received_at UNION ALL SELECT r.received_at FROM referrals r WHERE r.submission_id = s.id) x;
      ELSE
        -- a checklist moved to another person (a merge): every day of both people
        INSERT INTO report_stale_days (day)
          SELECT DISTINCT (x.received_at AT TIME ZONE 'Europe/London')::date
            FROM changed c JOIN before b ON b.id = c.id AND b.person_id IS DISTINCT FROM c.person_id
            JOIN submissions s ON s.person_id IN (c.person_id, b.person_id)
            CROSS JOIN LATERAL (SELECT s.received_at UNION ALL SELECT r.received_at FROM referrals r WHERE r.submission_id = s.id) x;
      END IF;
      RETURN NULL;
    END $fn$;
    CREATE TRIGGER submissions_report_stale_people_insert AFTER INSERT ON submissions
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_people();
    CREATE TRIGGER submissions_report_stale_people_update AFTER UPDATE ON submissions
      REFERENCING OLD TABLE AS before NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_people();

    -- every day again, with its people
    DELETE FROM report_rolled_days;
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER submissions_report_stale_people_update ON submissions;
    DROP TRIGGER submissions_report_stale_people_insert ON submissions;
    DROP FUNCTION signpost_report_stale_people();
    DELETE FROM report_facet_days WHERE facet IN ('people', 'people_org', 'people_agency');
    ALTER TABLE report_facet_days DROP CONSTRAINT report_facet_days_facet_check;
    ALTER TABLE report_facet_days ADD CONSTRAINT report_facet_days_facet_check
      CHECK (facet IN ('checklists', 'no_needs', 'age_band', 'district', 'question', 'outcome'));
    DELETE FROM report_rolled_days;
  `.execute(db);
}
