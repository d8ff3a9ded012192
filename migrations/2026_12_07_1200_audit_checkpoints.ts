/**
 * Checkpoints of the audit chain's head, so that cutting rows off its end shows.
 *
 * The hash chain (2026_12_02_1110_audit_chain) shows a row changed or removed in the middle, but
 * a chain cut short is still a whole chain: removing the last sealed rows, or removing them and
 * sealing new rows in their place, left `audit:verify` content. Each day the workers write the
 * head they have just verified here (its place in the chain, which is also the number of rows up
 * to it, and its hash) and to the log at warn level; `audit:verify` fails when a checkpoint's row
 * is gone or no longer has that hash.
 *
 * Append-only like audit_log: a trigger refuses UPDATE, DELETE and TRUNCATE. No foreign key to
 * audit_log: the rows a checkpoint names are what it is there to miss when they go.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE audit_checkpoints (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      seq bigint NOT NULL CHECK (seq > 0),
      hash bytea NOT NULL CHECK (octet_length(hash) = 32),
      taken_at timestamptz NOT NULL
    );
    CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
      FOR EACH ROW EXECUTE FUNCTION forbid_change();
    CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE audit_checkpoints`.execute(db);
}
