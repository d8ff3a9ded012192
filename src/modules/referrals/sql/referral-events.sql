-- A referral's history is append-only: only erasure (SET LOCAL signpost.erasing) may blank the free
-- text of its events.
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

CREATE OR REPLACE FUNCTION referral_events_guard()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    BEGIN
      IF TG_OP = 'UPDATE' AND current_setting('signpost.erasing', true) = 'on'
         AND NEW.id = OLD.id AND NEW.referral_id = OLD.referral_id AND NEW.at = OLD.at
         AND NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id AND NEW.actor_label = OLD.actor_label
         AND NEW.from_status IS NOT DISTINCT FROM OLD.from_status AND NEW.to_status = OLD.to_status
         AND NEW.outcome IS NOT DISTINCT FROM OLD.outcome
         AND (NEW.reason IS NULL OR NEW.reason = OLD.reason) AND NEW.note IS NULL THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $function$;

CREATE OR REPLACE TRIGGER referral_events_guard BEFORE DELETE OR UPDATE ON referral_events FOR EACH ROW EXECUTE FUNCTION referral_events_guard();
