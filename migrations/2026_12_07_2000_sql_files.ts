/**
 * The functions and triggers move out of migration history into current-state .sql files, one
 * place each (src/modules/<feature>/sql/, src/platform/db/sql/), applied by migrate after the
 * numbered migrations (src/platform/db/sql-files.ts). This table records which version of each
 * file the database runs: its name, SHA-256 and when it was applied.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE sql_files (
      name text PRIMARY KEY,
      checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
      applied_at timestamptz NOT NULL
    )`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE sql_files`.execute(db);
}
