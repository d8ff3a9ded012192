/**
 * The people and person_versions tables. A person's first row and each checklist's version come
 * from the intake function; merges, legal holds and erasure are written here.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Database, Executor } from '../../platform/db/database.js';
import { forgetSearchNames, searchNamesReadFrom } from './person-search-names.repository.js';

/** The columns that identify or describe a person: what erasure removes. */
const PERSONAL_COLUMNS = {
  givenName: null,
  familyName: null,
  dateOfBirth: null,
  postcode: null,
  phone: null,
  email: null,
  addressLine: null,
  preferredContact: null,
  language: null,
  accessNeeds: null,
  nhsNumber: null,
  normGiven: null,
  normFamily: null,
  normPostcode: null,
} as const;

export async function findPerson(db: Executor, id: string) {
  return db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The person row, locked for a merge, an erasure or a withdrawal. */
export async function lockPerson(trx: Executor, id: string) {
  return trx.selectFrom('people').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * The person row and every row merged into it, locked in id order (the order a merge locks two
 * rows in, so the two never deadlock): erasure writes them all. Returns the person's own row.
 */
export async function lockPersonRows(trx: Executor, id: string) {
  const rows = await trx
    .selectFrom('people')
    .selectAll()
    .where((e) => e.or([e('id', '=', id), e('mergedInto', '=', id)]))
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.find((r) => r.id === id);
}

export interface PersonSearch {
  /** normalised name parts: each must begin the given or the family name */
  names: string[];
  dateOfBirth?: string | undefined;
  normPostcode?: string | undefined;
  /** a checklist or referral reference, or its beginning */
  reference?: string | undefined;
  limit: number;
}

/** Name parts this long or longer may match with a typo; shorter ones only by their beginning. */
const FUZZY_FROM = 4;

const SEARCH_COLUMNS = ['p.id', 'p.givenName', 'p.familyName', 'p.dateOfBirth', 'p.postcode', 'p.erasedAt', 'p.createdAt', 'p.updatedAt'] as const;

/**
 * People by name parts, date of birth, postcode or reference (every one given must hold), at most
 * `limit`. With names: exact beginnings first, then the closest spellings, then alphabetically;
 * otherwise alphabetically.
 */
export async function searchPeopleRows(db: Executor, q: PersonSearch) {
  if (q.names.length) return searchPeopleByName(db, q);
  return db
    .selectFrom('people as p')
    .select(SEARCH_COLUMNS)
    .where('p.mergedInto', 'is', null)
    .where((e) => e.and(otherTerms(e, q)))
    .orderBy('p.familyName')
    .orderBy('p.givenName')
    .orderBy('p.id')
    .limit(q.limit)
    .execute();
}

/** The terms other than names, on `p`: date of birth, postcode, a checklist's or referral's reference (or its beginning). */
function otherTerms(e: ExpressionBuilder<Database & { p: Database['people'] }, 'p'>, q: PersonSearch) {
  const terms: Expression<SqlBool>[] = [];
  if (q.dateOfBirth) terms.push(e('p.dateOfBirth', '=', q.dateOfBirth));
  if (q.normPostcode) terms.push(e('p.normPostcode', '=', q.normPostcode));
  if (q.reference) {
    // the checklists whose reference, or whose referral's, begins so (both prefix indexes)
    const ref = q.reference;
    terms.push(
      e(
        'p.id',
        'in',
        e
          .selectFrom('submissions as s')
          .select('s.personId')
          .where('s.reference', 'like', `${ref}%`)
          .union(e.selectFrom('referrals as r').innerJoin('submissions as s2', 's2.id', 'r.submissionId').select('s2.personId').where('r.reference', 'like', `${ref}%`)),
      ),
    );
  }
  return terms;
}

/**
 * The search by name. Each name part begins the given or family name, or, four letters or more,
 * is like one of them by trigram similarity (pg_trgm `%`: "Margret" finds Margaret). Both are read
 * from the name index (person_search_names: its GIN trigram indexes serve LIKE 'x%' and `%`, and
 * the planner ANDs the parts' bitmaps), which the workers' indexer fills a second or two after a
 * checklist commits (person-search-names.repository.ts). A person it has not reached yet is found
 * by the beginnings of their names among the people of the checklists it has not read (the
 * submissions from its progress on, by transaction id: a few seconds' worth), so a new person is
 * found by name from the moment their checklist is stored.
 *
 * The matches are ranked on the index's own narrow rows, and only the `limit` best are read from
 * `people`: a common name that matches thousands costs their index entries, not thousands of
 * people's rows (a join of them all read the whole of `people`: docs/benchmarks.md).
 */
async function searchPeopleByName(db: Executor, q: PersonSearch) {
  // read first, and sent as a value: the planner then sees how few submissions lie beyond it
  // (a subquery's result it would guess at a third of the table, and scan people instead)
  const readFrom = await searchNamesReadFrom(db);
  const rank = (t: 'n' | 'b') => {
    const exact = q.names.map((n) => sql<number>`(${sql.ref(`${t}.norm_family`)} LIKE ${`${n}%`} OR ${sql.ref(`${t}.norm_given`)} LIKE ${`${n}%`})::int`);
    const close = q.names.map((n) => sql<number>`greatest(similarity(${sql.ref(`${t}.norm_family`)}, ${n}), similarity(${sql.ref(`${t}.norm_given`)}, ${n}))`);
    return [sql<number>`${sql.join(exact, sql` + `)}`.as('exact'), sql<number>`${sql.join(close, sql` + `)}`.as('close')] as const;
  };
  const others = Boolean(q.dateOfBirth || q.normPostcode || q.reference);
  return db
    .with('c', (w) => {
      let indexed = w.selectFrom('personSearchNames as n').select(['n.personId as id', 'n.normFamily as nf', 'n.normGiven as ng', ...rank('n')]);
      let unread = w
        .selectFrom('submissions as s')
        .innerJoin('people as b', 'b.id', 's.personId')
        .select(['b.id', 'b.normFamily as nf', 'b.normGiven as ng', ...rank('b')])
        .where('s.writtenXid', '>=', readFrom)
        .where('b.mergedInto', 'is', null);
      for (const n of q.names) {
        indexed = indexed.where((e) =>
          e.or([
            e('n.normFamily', 'like', `${n}%`),
            e('n.normGiven', 'like', `${n}%`),
            ...(n.length >= FUZZY_FROM ? [sql<boolean>`n.norm_family % ${n}`, sql<boolean>`n.norm_given % ${n}`] : []),
          ]),
        );
        unread = unread.where((e) => e.or([e('b.normFamily', 'like', `${n}%`), e('b.normGiven', 'like', `${n}%`)]));
      }
      return indexed.unionAll(unread);
    })
    .with('ranked', (w) => {
      // one row a person (one the indexer has not read since a checklist renamed them is in both
      // branches), its best showing; the other terms, when given, before the limit
      let ranked = w
        .selectFrom('c')
        .select((e) => ['c.id', e.fn.max('c.exact').as('exact'), e.fn.max('c.close').as('close'), e.fn.min('c.nf').as('nf'), e.fn.min('c.ng').as('ng')])
        .groupBy('c.id');
      if (others) ranked = ranked.where('c.id', 'in', (e) => e.selectFrom('people as p').select('p.id').where((x) => x.and(otherTerms(x, q))));
      return ranked.orderBy('exact', 'desc').orderBy('close', 'desc').orderBy('nf').orderBy('ng').orderBy('c.id').limit(q.limit);
    })
    .selectFrom('ranked as r')
    .innerJoin('people as p', 'p.id', 'r.id')
    .select(SEARCH_COLUMNS)
    .where('p.mergedInto', 'is', null)
    .orderBy('r.exact', 'desc')
    .orderBy('r.close', 'desc')
    .orderBy('r.nf')
    .orderBy('r.ng')
    .orderBy('r.id')
    .execute();
}

/** The details as given on each checklist, oldest first. */
export async function listPersonVersions(db: Executor, personId: string) {
  return db
    .selectFrom('personVersions as v')
    .leftJoin('submissions as s', 's.id', 'v.submissionId')
    .select([
      'v.id',
      'v.submissionId',
      's.reference as submissionReference',
      'v.recordedAt',
      'v.givenName',
      'v.familyName',
      'v.dateOfBirth',
      'v.postcode',
      'v.phone',
      'v.email',
      'v.addressLine',
      'v.preferredContact',
      'v.language',
      'v.accessNeeds',
      'v.nhsNumber',
    ])
    .where('v.personId', '=', personId)
    .orderBy('v.recordedAt')
    .orderBy('v.id')
    .execute();
}

/** The records merged into this one. */
export async function listMergedInto(db: Executor, personId: string) {
  return db
    .selectFrom('people as p')
    .leftJoin('users as u', 'u.id', 'p.mergedBy')
    .select(['p.id', 'p.mergedAt', 'u.name as mergedByName'])
    .where('p.mergedInto', '=', personId)
    .orderBy('p.mergedAt')
    .execute();
}

/**
 * A person known from one checklist has no version: their row is what it said. Before the row
 * stops being the only record of it (a merge), it becomes that checklist's version: the rule
 * the intake statement keeps too, written once (people/sql/person-versions.sql).
 */
export async function keepFirstVersion(trx: Executor, personId: string): Promise<void> {
  await sql`SELECT signpost_keep_first_version(${personId}::uuid)`.execute(trx);
}

/**
 * `otherId` becomes part of `keepId`: its versions move over, and its own row points at the one
 * kept. It keeps its details, so that a later checklist giving them still finds the person
 * (the intake function follows the pointer); erasing the kept person erases it too. Call with
 * both rows locked.
 */
export async function mergePersonRows(trx: Executor, keepId: string, otherId: string, by: string, at: Date): Promise<void> {
  // the one kept takes the other's NHS number when it has none, and its legal hold if it had one
  await sql`
    UPDATE people k SET
      nhs_number = coalesce(k.nhs_number, o.nhs_number),
      legal_hold_reason = coalesce(k.legal_hold_reason, o.legal_hold_reason),
      legal_hold_at = coalesce(k.legal_hold_at, o.legal_hold_at),
      legal_hold_by = coalesce(k.legal_hold_by, o.legal_hold_by),
      updated_at = ${at}
    FROM people o
    WHERE k.id = ${keepId} AND o.id = ${otherId}`.execute(trx);
  await trx.updateTable('personVersions').set({ personId: keepId }).where('personId', '=', otherId).execute();
  // the other is found through the one kept from now on, not by its own names
  await forgetSearchNames(trx, otherId);
  // records merged into the other earlier now point at the one kept
  await trx.updateTable('people').set({ mergedInto: keepId }).where('mergedInto', '=', otherId).execute();
  await trx
    .updateTable('people')
    .set({ mergedInto: keepId, mergedAt: at, mergedBy: by, inactiveSince: null, legalHoldReason: null, legalHoldAt: null, legalHoldBy: null, updatedAt: at })
    .where('id', '=', otherId)
    .execute();
}

/** Recomputes when the person's last open checklist closed (after their checklists moved). */
export async function refreshPersonActivity(db: Executor, id: string): Promise<void> {
  await sql`SELECT signpost_person_activity(${id}::uuid)`.execute(db);
}

export async function setLegalHold(db: Executor, id: string, hold: { reason: string; by: string; at: Date } | null): Promise<void> {
  await db
    .updateTable('people')
    .set(hold ? { legalHoldReason: hold.reason, legalHoldAt: hold.at, legalHoldBy: hold.by } : { legalHoldReason: null, legalHoldAt: null, legalHoldBy: null })
    .where('id', '=', id)
    .execute();
}

/**
 * Erasure of the person row and its versions: every identifying column emptied, the erasure
 * stamped. Records merged into this one are emptied too (they hold only the pointer already).
 */
export async function erasePersonRows(trx: Executor, id: string, reason: string, at: Date): Promise<void> {
  await forgetSearchNames(trx, id);
  await trx.deleteFrom('personVersions').where('personId', 'in', (eb) => eb.selectFrom('people').select('id').where((e) => e.or([e('id', '=', id), e('mergedInto', '=', id)]))).execute();
  await trx
    .updateTable('people')
    .set({ ...PERSONAL_COLUMNS, erasedAt: at, erasureReason: reason, updatedAt: at })
    .where((e) => e.or([e('id', '=', id), e('mergedInto', '=', id)]))
    .execute();
}

/**
 * People whose personal data is past retention: nothing open since before `cutoff`, no legal
 * hold, not yet erased; oldest first, but for those in `passedBy`. Reads the partial index on
 * inactive_since, so its cost follows the people due, not the history. Locks nothing: each is
 * then claimed with claimPersonPastRetention, under its person lock.
 */
export async function peoplePastRetention(db: Executor, cutoff: Date, passedBy: readonly string[], limit: number) {
  let q = db
    .selectFrom('people')
    .select('id')
    .where('erasedAt', 'is', null)
    .where('mergedInto', 'is', null)
    .where('inactiveSince', '<', cutoff)
    .where('legalHoldAt', 'is', null);
  if (passedBy.length) q = q.where('id', 'not in', passedBy);
  return q.orderBy('inactiveSince').orderBy('id').limit(limit).execute();
}

/**
 * The person row, if it is still past retention (the conditions read again, now), and the rows
 * merged into it (erasure writes them too), locked; undefined when it is no longer due, or when
 * another transaction holds one of them (SKIP LOCKED: never waits).
 */
export async function claimPersonPastRetention(trx: Executor, id: string, cutoff: Date) {
  const person = await trx
    .selectFrom('people')
    .select('id')
    .where('id', '=', id)
    .where('erasedAt', 'is', null)
    .where('mergedInto', 'is', null)
    .where('inactiveSince', '<', cutoff)
    .where('legalHoldAt', 'is', null)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  if (!person) return undefined;
  // no record is merged into it meanwhile: a merge needs the row just locked
  const merged = await trx.selectFrom('people').select('id').where('mergedInto', '=', id).execute();
  const locked = await trx.selectFrom('people').select('id').where('mergedInto', '=', id).forUpdate().skipLocked().execute();
  return locked.length === merged.length ? person : undefined;
}

/** How many people retention would erase now (the dry run's count). */
export async function countPeoplePastRetention(db: Executor, cutoff: Date): Promise<{ due: number; held: number }> {
  const row = await db
    .selectFrom('people')
    .select((eb) => [
      eb.fn.countAll<string>().filterWhere('legalHoldAt', 'is', null).as('due'),
      eb.fn.countAll<string>().filterWhere('legalHoldAt', 'is not', null).as('held'),
    ])
    .where('erasedAt', 'is', null)
    .where('mergedInto', 'is', null)
    .where('inactiveSince', '<', cutoff)
    .executeTakeFirstOrThrow();
  return { due: Number(row.due), held: Number(row.held) };
}
