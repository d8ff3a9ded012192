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
import { sql, type RawBuilder } from 'kysely';
import type { DB, Executor } from '../../platform/db/database.js';
import { forgetOtherClustersWrittenXids } from '../intake/index.js';

export interface NameIndexRun {
  /** people whose names this run added to the index, or changed there (a later checklist changed them) */
  indexed: number;
  /** people it could not lock (an erasure or a merge held them): the next run reads them again */
  skipped: number;
  /** false when another run held the progress row (it did that work) */
  ran: boolean;
  /**
   * true when the progress was ahead of this database's transaction ids: the data came from
   * another cluster (a dump restored elsewhere: docs/ops/backup-and-restore.md). The run then
   * indexed every live person and started the progress again from here.
   */
  rebuilt: boolean;
}

/**
 * The one write of the index: the names of the rows of `people` (id, norm_given, norm_family,
 * live) added, or changed where they differ (a later checklist renamed the person), for the live
 * ones; RETURNING one row per row written. Used as a CTE by both kinds of run below.
 */
const upsertNames = (people: RawBuilder<unknown>) => sql`
  INSERT INTO person_search_names (person_id, norm_given, norm_family)
  SELECT id, norm_given, norm_family FROM (${people}) x
  WHERE live AND (norm_given IS NOT NULL OR norm_family IS NOT NULL)
  ON CONFLICT (person_id) DO UPDATE SET norm_given = EXCLUDED.norm_given, norm_family = EXCLUDED.norm_family
    WHERE (person_search_names.norm_given, person_search_names.norm_family) IS DISTINCT FROM (EXCLUDED.norm_given, EXCLUDED.norm_family)
  RETURNING 1`;

/**
 * Whether the progress is ahead of this database's transaction ids (a dump restored from another
 * cluster): no submission written here could reach it. The indexer rebuilds then; the lag gauge
 * counts every checklist as unread.
 */
const progressAhead = sql<boolean>`read_from_xid > pg_snapshot_xmax(pg_current_snapshot())`;

const moveProgress = (trx: Executor, to: string) => sql`UPDATE person_search_progress SET read_from_xid = ${to}::xid8`.execute(trx);

/**
 * One run of the name indexer, in one transaction. Locks the progress row (SKIP LOCKED: a second
 * indexer returns at once) and each person it indexes, in id order, FOR KEY SHARE SKIP LOCKED: the
 * intake's own updates of a person never wait for it, and an erasure or a merge holding the row
 * is passed over, never waited for (so the indexer is never in a deadlock). Under READ COMMITTED
 * a person erased or merged after the statement began is read again as it is now, and is not
 * indexed. A person a later checklist renamed (a sure match by NHS number) gets the new names.
 * Idempotent: a person already indexed as they are is left alone.
 */
export async function indexNewSearchNames(db: DB): Promise<NameIndexRun> {
  return db.transaction().execute(async (trx) => {
    const progress = await sql<{ from: string; upTo: string; ahead: boolean }>`
      SELECT read_from_xid::text AS "from", pg_snapshot_xmin(pg_current_snapshot())::text AS "upTo",
             ${progressAhead} AS ahead
      FROM person_search_progress FOR UPDATE SKIP LOCKED`.execute(trx);
    const p = progress.rows[0];
    if (!p) return { indexed: 0, skipped: 0, ran: false, rebuilt: false };
    if (p.ahead) {
      // transaction ids from another cluster: no submission of this one could ever reach the
      // progress. Every live person is indexed again, the other cluster's ids on submissions are
      // set to 0 (they are in that rebuild), and the progress starts from this snapshot. Once.
      await forgetOtherClustersWrittenXids(trx);
      const all = await sql<{ n: string }>`
        WITH added AS (${upsertNames(sql`SELECT id, norm_given, norm_family, (merged_into IS NULL AND erased_at IS NULL) AS live FROM people`)})
        SELECT count(*) AS n FROM added`.execute(trx);
      await moveProgress(trx, p.upTo);
      return { indexed: Number(all.rows[0]!.n), skipped: 0, ran: true, rebuilt: true };
    }
    const { rows } = await sql<{ candidates: string; locked: string; indexed: string }>`
      WITH candidates AS (
        SELECT DISTINCT s.person_id AS id FROM submissions s WHERE s.written_xid >= ${p.from}::xid8
      ), locked AS (
        SELECT p.id, p.norm_given, p.norm_family, (p.merged_into IS NULL AND p.erased_at IS NULL) AS live
        FROM people p WHERE p.id IN (SELECT id FROM candidates)
        ORDER BY p.id
        FOR KEY SHARE OF p SKIP LOCKED
      ), added AS (${upsertNames(sql`SELECT * FROM locked`)})
      SELECT (SELECT count(*) FROM candidates) AS candidates, (SELECT count(*) FROM locked) AS locked, (SELECT count(*) FROM added) AS indexed`.execute(trx);
    const r = rows[0]!;
    const skipped = Number(r.candidates) - Number(r.locked);
    // a person passed over keeps the progress where it is, so that the next run reads them again
    if (skipped === 0 && BigInt(p.upTo) > BigInt(p.from)) {
      await moveProgress(trx, p.upTo);
    }
    return { indexed: Number(r.indexed), skipped, ran: true, rebuilt: false };
  });
}

/** Where the indexer's progress stands (xid8, as text): the search reads the people of the submissions from it on. */
export async function searchNamesReadFrom(db: Executor): Promise<string> {
  const row = await db.selectFrom('personSearchProgress').select('readFromXid').executeTakeFirstOrThrow();
  return row.readFromXid;
}

/**
 * When the oldest checklist the indexer has not read yet was written (keyed in, for one the hub
 * entered from paper or the phone with an earlier date of receipt), or null when it has read them
 * all. The progress is read first and sent as a value, so that the read is one step of
 * submissions_written_xid_idx from there, whatever the history holds. While the indexer keeps up
 * this is a second or two ago; it grows while the workers are down or a long transaction holds
 * the progress back, and misspelt names of new people are not found meanwhile. A progress ahead
 * of this database's transaction ids (a dump restored from another cluster, before the indexer's
 * rebuild) leaves every checklist unread: the oldest one's time is answered (a read of the whole
 * table, once a scrape, until the workers' first run rebuilds the index).
 */
export async function oldestUnreadSubmission(db: Executor): Promise<Date | null> {
  const { rows } = await sql<{ from: string; ahead: boolean }>`
    SELECT read_from_xid::text AS "from", ${progressAhead} AS ahead FROM person_search_progress`.execute(db);
  const p = rows[0];
  if (!p) return null;
  const writtenAt = sql<Date>`coalesce(s.entered_at, s.received_at)`;
  if (p.ahead) {
    const all = await db.selectFrom('submissions as s').select((e) => e.fn.min(writtenAt).as('at')).executeTakeFirst();
    return all?.at ?? null;
  }
  const row = await db.selectFrom('submissions as s').select(writtenAt.as('at')).where('s.writtenXid', '>=', p.from).orderBy('s.writtenXid').limit(1).executeTakeFirst();
  return row?.at ?? null;
}

/** Removes these people, and the records merged into them, from the name index (erasure, merge). */
export async function forgetSearchNames(trx: Executor, personId: string): Promise<void> {
  await trx
    .deleteFrom('personSearchNames')
    .where('personId', 'in', (eb) => eb.selectFrom('people').select('id').where((e) => e.or([e('id', '=', personId), e('mergedInto', '=', personId)])))
    .execute();
}
