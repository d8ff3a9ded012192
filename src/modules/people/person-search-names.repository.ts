/**
 * The person search's trigram index, off the intake's path (migrations/2026_12_09_1000_person_search_names.ts):
 * `person_search_names` holds the normalised names of each live person, and only this file and
 * erasure's and merge's statements (person.repository.ts) write it.
 *
 * The indexer reads what is new by transaction id. Each submission records the transaction that
 * wrote it; `person_search_progress` keeps the oldest transaction id whose submissions may not
 * have been read yet. A run reads the submissions written by that transaction or a later one,
 * indexes their people, and moves the progress up to the xmin of its own snapshot: every
 * transaction below it had finished when the run looked, so a checklist that commits late (a
 * slow statement, a retry) is still read by a later run. The cost of a run is the checklists
 * written since the last one, never the history.
 */
import { sql } from 'kysely';
import type { DB, Executor } from '../../platform/db/database.js';

export interface NameIndexRun {
  /** people whose names this run added to the index */
  indexed: number;
  /** people it could not lock (an erasure or a merge held them): the next run reads them again */
  skipped: number;
  /** false when another run held the progress row (it did that work) */
  ran: boolean;
}

/**
 * One run of the name indexer, in one transaction. Locks the progress row (SKIP LOCKED: a second
 * indexer returns at once) and each person it indexes, in id order, FOR KEY SHARE SKIP LOCKED: the
 * intake's own updates of a person never wait for it, and an erasure or a merge holding the row
 * is passed over, never waited for (so the indexer is never in a deadlock). Under READ COMMITTED
 * a person erased or merged after the statement began is read again as it is now, and is not
 * indexed. Idempotent: a person already indexed is left as they are.
 */
export async function indexNewSearchNames(db: DB): Promise<NameIndexRun> {
  return db.transaction().execute(async (trx) => {
    const progress = await sql<{ from: string; upTo: string }>`
      SELECT read_from_xid::text AS "from", pg_snapshot_xmin(pg_current_snapshot())::text AS "upTo"
      FROM person_search_progress FOR UPDATE SKIP LOCKED`.execute(trx);
    const p = progress.rows[0];
    if (!p) return { indexed: 0, skipped: 0, ran: false };
    const { rows } = await sql<{ candidates: string; locked: string; indexed: string }>`
      WITH candidates AS (
        SELECT DISTINCT s.person_id AS id FROM submissions s WHERE s.written_xid >= ${p.from}::xid8
      ), locked AS (
        SELECT p.id, p.norm_given, p.norm_family, (p.merged_into IS NULL AND p.erased_at IS NULL) AS live
        FROM people p WHERE p.id IN (SELECT id FROM candidates)
        ORDER BY p.id
        FOR KEY SHARE OF p SKIP LOCKED
      ), added AS (
        INSERT INTO person_search_names (person_id, norm_given, norm_family)
        SELECT id, norm_given, norm_family FROM locked
        WHERE live AND (norm_given IS NOT NULL OR norm_family IS NOT NULL)
        ON CONFLICT (person_id) DO NOTHING
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM candidates) AS candidates, (SELECT count(*) FROM locked) AS locked, (SELECT count(*) FROM added) AS indexed`.execute(trx);
    const r = rows[0]!;
    const skipped = Number(r.candidates) - Number(r.locked);
    // a person passed over keeps the progress where it is, so that the next run reads them again
    if (skipped === 0 && BigInt(p.upTo) > BigInt(p.from)) {
      await sql`UPDATE person_search_progress SET read_from_xid = ${p.upTo}::xid8`.execute(trx);
    }
    return { indexed: Number(r.indexed), skipped, ran: true };
  });
}

/** Removes these people, and the records merged into them, from the name index (erasure, merge). */
export async function forgetSearchNames(trx: Executor, personId: string): Promise<void> {
  await trx
    .deleteFrom('personSearchNames')
    .where('personId', 'in', (eb) => eb.selectFrom('people').select('id').where((e) => e.or([e('id', '=', personId), e('mergedInto', '=', personId)])))
    .execute();
}
