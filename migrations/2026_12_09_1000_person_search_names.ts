/**
 * Person search's fuzzy index moves off the intake's path ([1/6]). The GIN trigram indexes of
 * 2026_12_08_1100_person_search sat on `people`, so every new person wrote about twenty trigram
 * entries into each of two GIN indexes inside the intake's statement (docs/benchmarks.md, "Where
 * the rest is"). Now:
 *  - `person_search_names` holds the normalised names of each live person (not merged, not
 *    erased), with the two GIN trigram indexes; the people module's name indexer fills it after
 *    the checklist has committed (the 'person-search-index' job, every PERSON_SEARCH_INDEX_EVERY_MS),
 *    and erasure and merges delete a person's row in their own transaction;
 *  - the indexer finds what is new by transaction id, not by clock: each submission records the
 *    id of the transaction that wrote it (`written_xid`, indexed), and `person_search_progress`
 *    keeps the oldest transaction id whose submissions may not have been read yet (the xmin of
 *    the snapshot of the last run: every transaction older than it had finished, so a checklist
 *    that commits late is never passed over);
 *  - `submissions_received_idx` (received_at DESC) goes: `submissions_received_person_idx`
 *    (received_at, with person and organisation) serves every read it served, backwards too, so
 *    the intake writes as many index entries into `submissions` as before.
 * The name index serves the whole search by name: the beginning of a name by its text-pattern
 * btree indexes, a misspelling by its trigram indexes. A person the indexer has not reached yet
 * is found by the beginnings of their names among the people of the submissions it has not read
 * (by `written_xid`), so people's own two text-pattern name indexes (2026_12_02_1100_one_person)
 * move here too: two fewer index entries per new person on the intake's path.
 * The backfill copies the names of every live person, and the progress starts at this
 * migration's snapshot. The backfill runs after the statements that lock both tables, so an
 * intake under way when the migration began has committed before it reads. ADD COLUMN with a
 * constant default does not rewrite the table; old rows keep 0 (they are in the backfill).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- first the statements that lock people and submissions (ACCESS EXCLUSIVE, until commit):
    -- they wait for any intake under way, so the backfill below sees every person there is
    DROP INDEX IF EXISTS people_family_trgm_idx;
    DROP INDEX IF EXISTS people_given_trgm_idx;
    DROP INDEX IF EXISTS people_family_idx;
    DROP INDEX IF EXISTS people_given_idx;
    ALTER TABLE submissions ADD COLUMN written_xid xid8 NOT NULL DEFAULT '0';
    ALTER TABLE submissions ALTER COLUMN written_xid SET DEFAULT pg_current_xact_id();
    CREATE INDEX submissions_written_xid_idx ON submissions (written_xid) INCLUDE (person_id);
    DROP INDEX IF EXISTS submissions_received_idx;

    CREATE TABLE person_search_names (
      person_id uuid PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
      norm_given text,
      norm_family text
    );
    INSERT INTO person_search_names (person_id, norm_given, norm_family)
      SELECT id, norm_given, norm_family FROM people
      WHERE merged_into IS NULL AND erased_at IS NULL AND (norm_given IS NOT NULL OR norm_family IS NOT NULL);
    CREATE INDEX person_search_names_family_trgm_idx ON person_search_names USING gin (norm_family gin_trgm_ops);
    CREATE INDEX person_search_names_given_trgm_idx ON person_search_names USING gin (norm_given gin_trgm_ops);
    CREATE INDEX person_search_names_family_idx ON person_search_names (norm_family text_pattern_ops);
    CREATE INDEX person_search_names_given_idx ON person_search_names (norm_given text_pattern_ops);

    CREATE TABLE person_search_progress (
      only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
      read_from_xid xid8 NOT NULL
    );
    INSERT INTO person_search_progress (read_from_xid) VALUES (pg_snapshot_xmin(pg_current_snapshot()));
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS person_search_progress;
    CREATE INDEX IF NOT EXISTS submissions_received_idx ON submissions (received_at DESC);
    DROP INDEX IF EXISTS submissions_written_xid_idx;
    ALTER TABLE submissions DROP COLUMN IF EXISTS written_xid;
    CREATE INDEX IF NOT EXISTS people_family_idx ON people (norm_family text_pattern_ops) WHERE merged_into IS NULL;
    CREATE INDEX IF NOT EXISTS people_given_idx ON people (norm_given text_pattern_ops) WHERE merged_into IS NULL;
    CREATE INDEX IF NOT EXISTS people_family_trgm_idx ON people USING gin (norm_family gin_trgm_ops) WHERE merged_into IS NULL;
    CREATE INDEX IF NOT EXISTS people_given_trgm_idx ON people USING gin (norm_given gin_trgm_ops) WHERE merged_into IS NULL;
    DROP TABLE IF EXISTS person_search_names;
  `.execute(db);
}
