-- The audit log: append-only (a guard lets only the seal's own columns change, once), sealed into a
-- hash chain by signpost_audit_seal, each row's text as signpost_audit_text; the checkpoints that
-- find a cut tail are append-only too.
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

CREATE OR REPLACE FUNCTION audit_log_guard()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
         AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id
         AND NEW.actor_label = OLD.actor_label AND NEW.action = OLD.action AND NEW.entity = OLD.entity
         AND NEW.entity_id = OLD.entity_id AND NEW.person_id IS NOT DISTINCT FROM OLD.person_id
         AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $function$;

CREATE OR REPLACE FUNCTION signpost_audit_text(a audit_log, s bigint)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
      SELECT concat_ws(chr(31), s::text, a.id::text, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                       coalesce(a.actor_user_id::text, ''), a.actor_label, a.action, a.entity, a.entity_id::text,
                       coalesce(a.person_id::text, ''), coalesce(a.request_id, ''));
    $function$;

CREATE OR REPLACE FUNCTION signpost_audit_seal(max_rows integer)
 RETURNS TABLE(sealed integer, head_seq bigint, head_hash bytea)
 LANGUAGE plpgsql
AS $function$
    DECLARE
      s bigint;
      h bytea;
      r audit_log;
      n integer := 0;
    BEGIN
      IF NOT pg_try_advisory_xact_lock(hashtextextended('signpost-audit-seal', 0)) THEN
        RETURN QUERY SELECT 0, NULL::bigint, NULL::bytea;
        RETURN;
      END IF;
      SELECT a.seq, a.hash INTO s, h FROM audit_log a WHERE a.seq IS NOT NULL ORDER BY a.seq DESC LIMIT 1;
      IF s IS NULL THEN
        s := 0;
        h := decode(repeat('00', 32), 'hex');
      END IF;
      FOR r IN SELECT * FROM audit_log a WHERE a.seq IS NULL ORDER BY a.id LIMIT max_rows FOR UPDATE LOOP
        s := s + 1;
        UPDATE audit_log SET seq = s, prev_hash = h, hash = sha256(h || convert_to(signpost_audit_text(r, s), 'UTF8'))
         WHERE id = r.id
        RETURNING hash INTO h;
        n := n + 1;
      END LOOP;
      RETURN QUERY SELECT n, s, h;
    END $function$;

CREATE OR REPLACE TRIGGER audit_log_guard BEFORE DELETE OR UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

CREATE OR REPLACE TRIGGER audit_checkpoints_append_only BEFORE DELETE OR UPDATE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION forbid_change();

CREATE OR REPLACE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
