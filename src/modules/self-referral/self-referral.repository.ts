/**
 * The self_referrals table: the triage list of public self-referrals, written here only. An
 * item holds the checklist as sent only while it is open; release and close clear it. What a
 * decided item keeps in words (the call note of a release, the note of a close) goes with the
 * person's erasure or retention when released, and with retention after its close when closed.
 */
import { sql } from 'kysely';
import type { Executor, SelfReferralCloseReason } from '../../platform/db/database.js';

export interface NewSelfReferral {
  id: string;
  reference: string;
  formKey: string;
  detailsFingerprint: string;
  questionnaireId: string;
  body: unknown;
  filledInBy: 'person' | 'someone_else';
  confirmEmail: string | null;
  receivedAt: Date;
  forwardDueAt: Date;
}

/** Stores the item; undefined when this form was already sent with these details (the first one stands). */
export async function insertSelfReferral(db: Executor, row: NewSelfReferral): Promise<{ id: string; reference: string } | undefined> {
  return db
    .insertInto('selfReferrals')
    .values({ ...row, status: 'open', body: JSON.stringify(row.body) })
    .onConflict((oc) => oc.columns(['formKey', 'detailsFingerprint']).doNothing())
    .returning(['id', 'reference'])
    .executeTakeFirst();
}

/** The item this form stored with these details (self_referrals_form_details_key). */
export async function findSelfReferralByFormDetails(db: Executor, formKey: string, detailsFingerprint: string) {
  return db.selectFrom('selfReferrals').select(['id', 'reference']).where('formKey', '=', formKey).where('detailsFingerprint', '=', detailsFingerprint).executeTakeFirst();
}

/** Every item sent from one form, first first: more than one when it was sent again with other details. */
export async function listSelfReferralsOfForm(db: Executor, formKey: string) {
  return db.selectFrom('selfReferrals').select(['id', 'reference', 'status', 'receivedAt']).where('formKey', '=', formKey).orderBy('receivedAt').orderBy('id').execute();
}

/** Where a page of the triage list starts: just after (or ends just before) this item, in (received_at, id) order; neither for the first page. */
export interface TriagePlace {
  after?: string;
  before?: string;
}

/** Whether an item with this id exists (open or not: a page may start after an item since decided). */
export async function selfReferralExists(db: Executor, id: string): Promise<boolean> {
  return (await db.selectFrom('selfReferrals').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

const placeOf = (id: string) => sql`(SELECT received_at, id FROM self_referrals WHERE id = ${id})`;

/**
 * One page of open items in (received_at, id) order, oldest first, with the names the list shows:
 * `size` items from `place` on (or the `size` just before it). Keyset
 * paging on self_referrals_open_idx (its literal predicate repeated), so a page costs the same
 * wherever it is, and an item released while someone pages is never the reason another is skipped.
 */
export async function pageOpenSelfReferrals(db: Executor, place: TriagePlace, size: number) {
  const backwards = place.before !== undefined;
  let q = db
    .selectFrom('selfReferrals')
    .select([
      'id',
      'reference',
      'receivedAt',
      'forwardDueAt',
      'filledInBy',
      sql<string>`body->'person'->>'givenName'`.as('givenName'),
      sql<string>`body->'person'->>'familyName'`.as('familyName'),
      sql<boolean>`EXISTS (SELECT 1 FROM self_referrals o WHERE o.form_key = self_referrals.form_key AND o.id <> self_referrals.id)`.as('sentMoreThanOnce'),
    ])
    .where('status', '=', sql.lit('open'));
  if (place.after !== undefined) q = q.where(sql<boolean>`(received_at, id) > ${placeOf(place.after)}`);
  if (place.before !== undefined) q = q.where(sql<boolean>`(received_at, id) < ${placeOf(place.before)}`);
  const direction = backwards ? 'desc' : 'asc';
  const items = await q.orderBy('receivedAt', direction).orderBy('id', direction).limit(size).execute();
  return backwards ? items.reverse() : items;
}

/**
 * How many items are open, how many of those are past their forward deadline, the earliest
 * deadline, and (given an item) how many open items come before it in the list's order. Reads
 * self_referrals_open_idx only: its cost follows the open items, never the decided ones.
 */
export async function countOpenSelfReferrals(db: Executor, now: Date, before?: string) {
  const row = await db
    .selectFrom('selfReferrals')
    .select((eb) => [
      eb.fn.countAll<string>().as('open'),
      sql<string>`count(*) FILTER (WHERE forward_due_at <= ${now})`.as('overdue'),
      eb.fn.min('forwardDueAt').as('nextDue'),
      before === undefined ? sql<string>`0`.as('earlier') : sql<string>`count(*) FILTER (WHERE (received_at, id) < ${placeOf(before)})`.as('earlier'),
    ])
    .where('status', '=', sql.lit('open'))
    .executeTakeFirstOrThrow();
  return { open: Number(row.open), overdue: Number(row.overdue), nextDue: row.nextDue as Date | null, earlier: Number(row.earlier) };
}

export async function findSelfReferral(db: Executor, id: string) {
  return db.selectFrom('selfReferrals').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The referrals a released item's checklist made, with their agencies' names (no personal data): what its release did. */
export async function referralsMadeBySubmission(db: Executor, submissionId: string) {
  return db
    .selectFrom('referrals')
    .innerJoin('agencies', 'agencies.id', 'referrals.agencyId')
    .select(['referrals.reference', 'agencies.name as agencyName'])
    .where('referrals.submissionId', '=', submissionId)
    .orderBy('agencies.name')
    .execute();
}

/** Locks an open item for its release or close; undefined when it is no longer open. */
export async function lockOpenSelfReferral(trx: Executor, id: string) {
  return trx.selectFrom('selfReferrals').selectAll().where('id', '=', id).where('status', '=', 'open').forUpdate().executeTakeFirst();
}

/** open -> released: its checklist now lives in the submission; the copy here (and its fingerprint) is erased. */
export async function markSelfReferralReleased(trx: Executor, id: string, f: { submissionId: string; by: string; at: Date; callNote: string | null }): Promise<boolean> {
  const r = await trx
    .updateTable('selfReferrals')
    .set({ status: 'released', submissionId: f.submissionId, decidedBy: f.by, decidedAt: f.at, callNote: f.callNote, body: null, confirmEmail: null, detailsFingerprint: null })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** open -> closed, once: the checklist, its fingerprint and the address are erased, the reason kept. */
export async function markSelfReferralClosed(db: Executor, id: string, f: { reason: SelfReferralCloseReason; note: string | null; by: string; at: Date }): Promise<boolean> {
  const r = await db
    .updateTable('selfReferrals')
    .set({ status: 'closed', closeReason: f.reason, closeNote: f.note, decidedBy: f.by, decidedAt: f.at, body: null, confirmEmail: null, detailsFingerprint: null })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** A released item's call note is about the person its checklist became: erasure removes it. */
export async function eraseSelfReferralNotesOf(db: Executor, submissionIds: string[]): Promise<void> {
  if (submissionIds.length === 0) return;
  await db.updateTable('selfReferrals').set({ callNote: null, closeNote: null }).where('submissionId', 'in', submissionIds).execute();
}

/**
 * Retention of closed items (no person's record holds them): the notes of those closed before
 * `cutoff`, at most `limit`, are removed; the ids are returned. Reads the partial index
 * self_referrals_closed_notes_idx (its literal predicate repeated here), so its cost follows the
 * items due. SKIP LOCKED lets a second run pass by.
 */
export async function eraseClosedSelfReferralNotes(trx: Executor, cutoff: Date, limit: number): Promise<string[]> {
  const rows = await trx
    .updateTable('selfReferrals')
    .set({ callNote: null, closeNote: null })
    .where('id', 'in', () =>
      closedWithNotesBefore(trx, cutoff)
        .select('id')
        .orderBy('decidedAt')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** How many closed items retention would remove notes from now (the dry run's count). */
export async function countClosedSelfReferralNotesDue(db: Executor, cutoff: Date): Promise<number> {
  const row = await closedWithNotesBefore(db, cutoff)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Closed items that still hold a note, closed before `cutoff`: self_referrals_closed_notes_idx's predicate, as literals so that the index serves it. */
function closedWithNotesBefore(db: Executor, cutoff: Date) {
  return db
    .selectFrom('selfReferrals')
    .where('status', '=', sql.lit('closed'))
    .where(sql<boolean>`(call_note IS NOT NULL OR close_note IS NOT NULL)`)
    .where('decidedAt', '<', cutoff);
}
