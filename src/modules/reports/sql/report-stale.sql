-- The report roll-up's stale marks: every write that changes what a day of the summary report counts
-- marks that day (and the person's days) stale, statement by statement, for the sweep or the next
-- report to roll up again.
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

CREATE OR REPLACE FUNCTION signpost_report_stale_days()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
    END $function$;

CREATE OR REPLACE FUNCTION signpost_report_stale_people()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
    END $function$;

CREATE OR REPLACE FUNCTION signpost_report_stale_wellbeing()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    BEGIN
      -- the checklist's day and the days of the person's later checklists (their previous pair may change)
      INSERT INTO report_stale_days (day)
        SELECT DISTINCT (s.received_at AT TIME ZONE 'Europe/London')::date
          FROM changed c
          JOIN submissions s0 ON s0.id = c.submission_id
          JOIN submissions s ON s.person_id = s0.person_id AND s.received_at >= s0.received_at;
      RETURN NULL;
    END $function$;

CREATE OR REPLACE TRIGGER submissions_report_stale AFTER INSERT ON submissions REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();

CREATE OR REPLACE TRIGGER submissions_report_stale_people_insert AFTER INSERT ON submissions REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_people();

CREATE OR REPLACE TRIGGER submissions_report_stale_people_update AFTER UPDATE ON submissions REFERENCING OLD TABLE AS before NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_people();

CREATE OR REPLACE TRIGGER referrals_report_stale_insert AFTER INSERT ON referrals REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();

CREATE OR REPLACE TRIGGER referrals_report_stale_update AFTER UPDATE ON referrals REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();

CREATE OR REPLACE TRIGGER follow_ups_report_stale AFTER UPDATE ON follow_ups REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();

CREATE OR REPLACE TRIGGER follow_up_outcomes_report_stale_insert AFTER INSERT ON follow_up_outcomes REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();

CREATE OR REPLACE TRIGGER follow_up_outcomes_report_stale_update AFTER UPDATE ON follow_up_outcomes REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_days();

CREATE OR REPLACE TRIGGER wellbeing_scores_report_stale_insert AFTER INSERT ON wellbeing_scores REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_wellbeing();

CREATE OR REPLACE TRIGGER wellbeing_scores_report_stale_update AFTER UPDATE ON wellbeing_scores REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_wellbeing();

CREATE OR REPLACE TRIGGER wellbeing_scores_report_stale_delete AFTER DELETE ON wellbeing_scores REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION signpost_report_stale_wellbeing();
