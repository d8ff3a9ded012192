/**
 * An audit log that answers questions and shows tampering.
 *
 *  - person_id on every row about a person (backfilled from the referral or checklist read),
 *    with indexes for "who saw this person", "what did this user see" and a time range.
 *  - A hash chain: each row, once sealed, carries its place in the chain (seq), the previous
 *    row's hash and its own: sha256(previous hash || the row's canonical text). Rows are written
 *    unsealed, so that audited reads never queue behind one another, and sealed in id order by
 *    signpost_audit_seal(), which a scheduled job runs every few seconds (one sealer at a time,
 *    by an advisory lock). Changing, deleting or reordering a sealed row breaks the chain, and
 *    `signpost audit:verify` recomputes it.
 *  - The append-only trigger now lets exactly one change through: sealing an unsealed row.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE audit_log
      ADD COLUMN person_id uuid,
      ADD COLUMN seq bigint UNIQUE,
      ADD COLUMN prev_hash bytea,
      ADD COLUMN hash bytea,
      ADD CONSTRAINT audit_log_sealed_whole CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL));

    DROP TRIGGER audit_log_append_only ON audit_log;
    UPDATE audit_log a SET person_id = s.person_id
      FROM referrals r JOIN submissions s ON s.id = r.submission_id
     WHERE a.entity = 'referral' AND a.entity_id = r.id;
    UPDATE audit_log a SET person_id = s.person_id
      FROM submissions s
     WHERE a.entity = 'submission' AND a.entity_id = s.id;

    CREATE INDEX audit_log_person_idx ON audit_log (person_id, at) WHERE person_id IS NOT NULL;
    CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, at);
    CREATE INDEX audit_log_at_idx ON audit_log (at, id);
    CREATE INDEX audit_log_unsealed_idx ON audit_log (id) WHERE seq IS NULL;

    -- What a row's hash covers, field by field, separated by the unit separator (U+001F).
    CREATE FUNCTION signpost_audit_text(a audit_log, s bigint) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT concat_ws(chr(31), s::text, a.id::text, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                       coalesce(a.actor_user_id::text, ''), a.actor_label, a.action, a.entity, a.entity_id::text,
                       coalesce(a.person_id::text, ''), coalesce(a.request_id, ''));
    $$;

    CREATE FUNCTION signpost_audit_seal(max_rows integer) RETURNS TABLE (sealed integer, head_seq bigint, head_hash bytea)
    LANGUAGE plpgsql AS $$
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
    END $$;

    -- Append-only, except sealing: an unsealed row may gain its seq and hashes, nothing else.
    CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
         AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id
         AND NEW.actor_label = OLD.actor_label AND NEW.action = OLD.action AND NEW.entity = OLD.entity
         AND NEW.entity_id = OLD.entity_id AND NEW.person_id IS NOT DISTINCT FROM OLD.person_id
         AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER audit_log_no_truncate ON audit_log;
    DROP TRIGGER audit_log_guard ON audit_log;
    DROP FUNCTION audit_log_guard();
    DROP FUNCTION signpost_audit_seal(integer);
    DROP FUNCTION signpost_audit_text(audit_log, bigint);
    DROP INDEX audit_log_unsealed_idx, audit_log_at_idx, audit_log_actor_idx, audit_log_person_idx;
    ALTER TABLE audit_log DROP CONSTRAINT audit_log_sealed_whole,
      DROP COLUMN hash, DROP COLUMN prev_hash, DROP COLUMN seq, DROP COLUMN person_id;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION forbid_change();
  `.execute(db);
}
