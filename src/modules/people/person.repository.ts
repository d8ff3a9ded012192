/**
 * The people and person_versions tables. A person's first row and each checklist's version come
 * from the intake function; merges, legal holds and erasure are written here.
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import { forgetSearchNames } from './person-search-names.repository.js';

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
