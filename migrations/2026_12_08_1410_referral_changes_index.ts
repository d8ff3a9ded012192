/**
 * The changes to referrals in the order they were made (the FHIR API's Task search with
 * `_lastUpdated=gt…`, docs/fhir.md): an agency polling for what changed since its last look pages
 * on (updated_at, id), oldest first, and reads only the changes, not its whole history.
 * referrals_agency_changes_idx serves an agency's (and the hub's search by `owner`),
 * referrals_changes_idx the hub's. Plain CREATE INDEX: the migrator runs each migration in a
 * transaction (Kysely's Migrator on PostgreSQL), where CREATE INDEX CONCURRENTLY cannot run; on a
 * large table, create them CONCURRENTLY by hand before deploying (the IF NOT EXISTS lets this
 * migration pass over them then).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE INDEX IF NOT EXISTS referrals_agency_changes_idx ON referrals (agency_id, updated_at, id);
    CREATE INDEX IF NOT EXISTS referrals_changes_idx ON referrals (updated_at, id);
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS referrals_changes_idx;
    DROP INDEX IF EXISTS referrals_agency_changes_idx;
  `.execute(db);
}
