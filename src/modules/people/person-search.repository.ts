/**
 * The search for people (the API's POST /people/search, its deprecated GET /people, and the people page): by name parts, date of
 * birth, postcode or reference. It reads `people`, the name index (`person_search_names`, which
 * person-search-names.repository.ts writes) and the submissions its indexer has not read yet.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Database, Executor } from '../../platform/db/database.js';
import { searchNamesReadFrom } from './person-search-names.repository.js';

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
    // coalesce: a name the person does not have (NULL) is no match, not an unknown that would sort first
    const exact = q.names.map((n) => sql<number>`coalesce(${sql.ref(`${t}.norm_family`)} LIKE ${`${n}%`} OR ${sql.ref(`${t}.norm_given`)} LIKE ${`${n}%`}, false)::int`);
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
