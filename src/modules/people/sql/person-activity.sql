-- When a person's last checklist closed (people.inactive_since), kept with every change of a
-- checklist's status or person, for retention to find who is due.
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

CREATE OR REPLACE FUNCTION signpost_person_activity(pid uuid)
 RETURNS void
 LANGUAGE sql
AS $function$
      UPDATE people SET inactive_since = (
        SELECT CASE WHEN bool_or(s.status = 'open') THEN NULL ELSE max(coalesce(s.closed_at, s.received_at)) END
          FROM submissions s WHERE s.person_id = pid)
      WHERE id = pid;
    $function$;

CREATE OR REPLACE FUNCTION submissions_person_activity()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    BEGIN
      PERFORM signpost_person_activity(NEW.person_id);
      IF OLD.person_id <> NEW.person_id THEN
        PERFORM signpost_person_activity(OLD.person_id);
      END IF;
      RETURN NULL;
    END $function$;

CREATE OR REPLACE TRIGGER submissions_person_activity AFTER UPDATE OF status, closed_at, person_id ON submissions FOR EACH ROW WHEN (((old.status IS DISTINCT FROM new.status) OR (old.closed_at IS DISTINCT FROM new.closed_at) OR (old.person_id IS DISTINCT FROM new.person_id))) EXECUTE FUNCTION submissions_person_activity();
