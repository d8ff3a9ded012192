/**
 * Person search that forgives a typo or two in a name ([6/6]): "Margret" finds Margaret. The
 * search matches each name part by prefix, as before, or by trigram similarity (pg_trgm's `%`,
 * similarity at least 0.3) against the normalised given and family names. A GIN trigram index on
 * each serves both the prefix (LIKE 'x%') and the similarity test, so a search at a million
 * people is a bitmap scan of the name indexes, not a scan of the table (docs/benchmarks.md, "Person search at a million").
 * pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database owner may
 * create it without being a superuser.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX people_family_trgm_idx ON people USING gin (norm_family gin_trgm_ops) WHERE merged_into IS NULL;
    CREATE INDEX people_given_trgm_idx ON people USING gin (norm_given gin_trgm_ops) WHERE merged_into IS NULL;
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS people_given_trgm_idx;
    DROP INDEX IF EXISTS people_family_trgm_idx;
  `.execute(db);
}
