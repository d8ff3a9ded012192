/**
 * The referrals and referral_events tables: every change to a referral after intake, and every
 * event of its history, is written here (the intake function writes the first rows, in one
 * round trip: submission.repository.ts). Events are append-only (a trigger refuses the rest).
 */
import { sql, type UpdateObject } from 'kysely';
import type { Database, Executor, NewReferral } from '../../platform/db/database.js';
import { erasedMailError } from '../../platform/db/mail-error-text.js';
import { byReference, compareReferences } from '../../platform/db/reference-order.js';
import { exactMoment, type KeysetPlace } from '../../platform/db/keyset.js';

export interface ReferralListFilters {
  /** always set for agency users */
  agencyId?: string | undefined;
  /** agency users: only what was forwarded to the agency */
  forwardedOnly?: boolean | undefined;
  statuses?: string[] | undefined;
  /** keyset: the last item of the previous page (its place in the list's own order) */
  after?: KeysetPlace | undefined;
  /**
   * only referrals changed after this moment; the list is then in the order of change, oldest
   * first, keyset-paginated on (updated_at, id)
   */
  updatedAfter?: Date | undefined;
  limit: number;
}

/** Referrals (r) joined to their agency (a), submission (s) and person (p): the base of the list, detail and forward reads. */
export function referralsWithParties(db: Executor) {
  return db
    .selectFrom('referrals as r')
    .innerJoin('agencies as a', 'a.id', 'r.agencyId')
    .innerJoin('submissions as s', 's.id', 'r.submissionId')
    .innerJoin('people as p', 'p.id', 's.personId');
}

/**
 * Whether the person withdrew their consent for this referral's agency after the referral was
 * made (consent_withdrawals: every agency, or this one): its agency no longer sees the person,
 * whatever became of the referral. A later checklist, with consent given again, makes a new
 * referral that is not covered. Served by consent_withdrawals_person_idx.
 */
const consentWithdrawn = sql<boolean>`EXISTS (
  SELECT 1 FROM consent_withdrawals w
   WHERE w.person_id = s.person_id AND w.withdrawn_at >= r.received_at
     AND (w.agency_ids IS NULL OR r.agency_id = ANY (w.agency_ids)))`.as('consentWithdrawn');

/**
 * A page of referrals, keyset-paginated so that a page costs the same however deep it is. Reads
 * limit + 1 rows so the caller knows whether another page exists. Two orders:
 *  - newest first, on (received_at DESC, id DESC): served by referrals_agency_list_idx (agency),
 *    referrals_status_list_idx (status) or referrals_list_idx (neither);
 *  - with `updatedAfter`, the changes, oldest first, on (updated_at, id), so that a poller resumes
 *    where it stopped and a referral changed meanwhile comes again further on: served by
 *    referrals_agency_changes_idx (agency) or referrals_changes_idx (2026_12_08_1410).
 * `cursorAt` is the row's place in its order (keyset.ts), for the next page's `after`.
 */
export async function listReferralRows(db: Executor, f: ReferralListFilters) {
  return referralListQuery(db, f).execute();
}

/** The query listReferralRows runs (exported so that a test can read its plan). */
export function referralListQuery(db: Executor, f: ReferralListFilters) {
  const byChange = f.updatedAfter !== undefined;
  let q = referralsWithParties(db)
    .select([
      'r.id',
      'r.reference',
      'r.submissionId',
      's.personId',
      'r.agencyId',
      'a.name as agencyName',
      'r.status',
      'p.givenName',
      'p.familyName',
      'r.receivedAt',
      'r.forwardDueAt',
      'r.forwardedAt',
      'r.contactDueAt',
      'r.contactedAt',
      'r.closedAt',
      consentWithdrawn,
      exactMoment(byChange ? 'r.updated_at' : 'r.received_at').as('cursorAt'),
    ]);
  if (f.agencyId) q = q.where('r.agencyId', '=', f.agencyId);
  if (f.forwardedOnly) q = q.where('r.forwardedAt', 'is not', null);
  if (f.statuses?.length) q = q.where('r.status', 'in', f.statuses);
  if (byChange) {
    q = q.where('r.updatedAt', '>', f.updatedAfter!);
    if (f.after) q = q.where(sql<boolean>`(r.updated_at, r.id) > (${f.after.at}::timestamptz, ${f.after.id}::uuid)`);
    return q.orderBy('r.updatedAt', 'asc').orderBy('r.id', 'asc').limit(f.limit + 1);
  }
  if (f.after) q = q.where(sql<boolean>`(r.received_at, r.id) < (${f.after.at}::timestamptz, ${f.after.id}::uuid)`);
  return q.orderBy('r.receivedAt', 'desc').orderBy('r.id', 'desc').limit(f.limit + 1);
}

/** The referral row alone (for visibility checks and transitions). */
export async function findReferral(db: Executor, id: string) {
  return db.selectFrom('referrals').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Everything the detail view shows, in one round trip (the events and questions are two more). */
export async function findReferralDetails(db: Executor, ids: string[]) {
  if (ids.length === 0) return [];
  return referralsWithParties(db)
    .selectAll('r')
    .select([
      'a.name as agencyName',
      's.reference as submissionReference',
      's.consent',
      's.personId',
      'a.personFields',
      'p.givenName',
      'p.familyName',
      'p.dateOfBirth',
      'p.postcode',
      'p.phone',
      'p.email',
      'p.addressLine',
      'p.preferredContact',
      'p.language',
      'p.accessNeeds',
      'p.nhsNumber',
      'p.erasedAt as personErasedAt',
      consentWithdrawn,
    ])
    .where('r.id', 'in', ids)
    .execute();
}

/** The text of these questions (the ones that flagged a referral), in questionnaire order. */
/** A person's referrals, newest first, with what the access rule needs (referral-access.ts). */
export async function listReferralsOfPerson(db: Executor, personId: string) {
  return referralsWithParties(db)
    .select(['r.id', 'r.agencyId', 'r.status', 'r.forwardedAt', consentWithdrawn])
    .where('s.personId', '=', personId)
    .orderBy('r.receivedAt', 'desc')
    .orderBy('r.id', 'desc')
    .execute();
}

export async function findQuestionTexts(db: Executor, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('questions as q')
    .innerJoin('questionnaireSections as s', 's.id', 'q.sectionId')
    .select(['q.id', 'q.text'])
    .where('q.id', 'in', ids)
    .orderBy('s.position')
    .orderBy('q.position')
    .execute();
}

/** The events of several referrals, in order (the call script shows what each agency recorded). */
export async function listEventsOfReferrals(db: Executor, referralIds: string[]) {
  if (referralIds.length === 0) return [];
  return db
    .selectFrom('referralEvents')
    .select(['referralId', 'at', 'actorUserId', 'actorLabel', 'fromStatus', 'toStatus', 'reason', 'outcome', 'note'])
    .where('referralId', 'in', referralIds)
    .orderBy('id')
    .execute();
}

/**
 * The conditional update every status change goes through: it applies only while the referral
 * is still in `from`, so two concurrent moves cannot both win. Undefined when it moved meanwhile.
 */
export async function updateReferralIfStatus(trx: Executor, id: string, from: string, set: UpdateObject<Database, 'referrals'>) {
  return trx.updateTable('referrals').set(set).where('id', '=', id).where('status', '=', from).returningAll().executeTakeFirst();
}

export async function insertReferral(trx: Executor, row: NewReferral) {
  await trx.insertInto('referrals').values(row).execute();
}

/** Who an event names: a user, or the hub itself (kernel/actors.ts SYSTEM_ACTOR). */
export interface EventActor {
  actorUserId: string | null;
  actorLabel: string;
}

export async function appendReferralEvent(
  trx: Executor,
  e: EventActor & { referralId: string; at: Date; fromStatus: string | null; toStatus: string; reason?: string | null; outcome?: string | null; note?: string | null },
) {
  await trx
    .insertInto('referralEvents')
    .values({
      referralId: e.referralId,
      at: e.at,
      actorUserId: e.actorUserId,
      actorLabel: e.actorLabel,
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      reason: e.reason ?? null,
      outcome: e.outcome ?? null,
      note: e.note ?? null,
    })
    .execute();
}

// ---- forwarding (modules/forwarding/forward.service.ts) ----

/**
 * The forward worker's locks once the agency's mail server accepted the referral: every
 * referral of the submission (the call's time is written on each one forwarded, and a sibling
 * still pending now may be forwarded by another worker before this one writes), in id order,
 * the order every writer of several referrals keeps (the intake too), so that none of them can
 * deadlock with another. Returns the referral's status now.
 */
export async function lockForRecordingForward(trx: Executor, r: { id: string; submissionId: string }): Promise<string | undefined> {
  const rows = await trx
    .selectFrom('referrals')
    .select(['id', 'status'])
    .where('submissionId', '=', r.submissionId)
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  return rows.find((x) => x.id === r.id)?.status;
}

/** The referral's status, and the reason of the step that put it there. */
export async function findReferralStatus(db: Executor, id: string) {
  return db
    .selectFrom('referrals as r')
    .select(['r.status', (eb) => eb.selectFrom('referralEvents as e').select('e.reason').whereRef('e.referralId', '=', 'r.id').orderBy('e.id', 'desc').limit(1).as('reason')])
    .where('r.id', '=', id)
    .executeTakeFirst();
}

/**
 * The mail reached the agency, but the referral ended (cancelled, re-routed, declined) while it
 * was being sent: it records that the agency has it (forwarded_at), without changing its status.
 */
export async function markSentAfterEnding(trx: Executor, r: { id: string; at: Date; messageId: string }): Promise<boolean> {
  const row = await trx
    .updateTable('referrals')
    .set({ forwardedAt: r.at, forwardMessageId: r.messageId, forwardAttempts: sql`forward_attempts + 1`, lastForwardError: null })
    .where('id', '=', r.id)
    .where('forwardedAt', 'is', null)
    .where('status', '!=', 'pending')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** A temporary failure: the referral stays pending, the attempt and error are kept. */
export async function recordForwardAttempt(db: Executor, r: { id: string; at: Date; error: string }): Promise<void> {
  await db
    .updateTable('referrals')
    .set({ forwardAttempts: sql`forward_attempts + 1`, lastForwardError: r.error.slice(0, 1000), updatedAt: r.at })
    .where('id', '=', r.id)
    .where('status', '=', 'pending')
    .execute();
}

// ---- the hub's follow-up (modules/follow-up/follow-up.service.ts, follow-up-record.service.ts) ----

/** Sets the follow-up due time on every forwarded referral of the submission. */
export async function setFollowUpDueOnForwardedReferrals(db: Executor, submissionId: string, dueAt: Date): Promise<void> {
  await db
    .updateTable('referrals')
    .set({ followUpDueAt: dueAt })
    .where('submissionId', '=', submissionId)
    .where('forwardedAt', 'is not', null)
    .execute();
}

export async function markFollowedUp(db: Executor, referralIds: string[], at: Date) {
  if (referralIds.length === 0) return;
  await db.updateTable('referrals').set({ followedUpAt: at, updatedAt: at }).where('id', 'in', referralIds).execute();
}

/** Whether the submission already has a live referral (not finished, not rejected) for this agency. */
export async function hasLiveReferralForAgency(db: Executor, submissionId: string, agencyId: string): Promise<boolean> {
  const row = await db
    .selectFrom('referrals')
    .select('id')
    .where('submissionId', '=', submissionId)
    .where('agencyId', '=', agencyId)
    .where('status', 'not in', ['completed', 'unable_to_contact', 'declined', 'rerouted', 'cancelled', 'rejected'])
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Referrals still awaiting contact whose contact_due_at falls in (now, until], with their
 * agency's name and address, by agency, due date and reference. The status predicate is
 * written literally so that the planner uses referrals_contact_open_idx (rule 8).
 */
export async function listReferralsAwaitingContactDueBy(db: Executor, now: Date, until: Date) {
  return db
    .selectFrom('referrals as r')
    .innerJoin('agencies as a', 'a.id', 'r.agencyId')
    .select(['r.agencyId', 'a.name as agencyName', 'a.email as agencyEmail', 'r.reference', 'r.contactDueAt', 'r.status'])
    .where(sql<boolean>`r.status IN ('forwarded', 'acknowledged', 'accepted')`)
    .where('r.contactDueAt', '>', now)
    .where('r.contactDueAt', '<=', until)
    .orderBy('r.agencyId')
    .orderBy('r.contactDueAt')
    .orderBy(byReference('r.reference'))
    .execute();
}

/**
 * The person's live referrals (in scope: these agencies, or all), locked for a withdrawal, in id
 * order (the order every writer of several referrals keeps), returned by receipt and reference.
 * FOR NO KEY UPDATE, not FOR UPDATE: a forward worker in the middle of an SMTP send holds a key
 * share on its referral (its agency link row references it), and a withdrawal must not wait
 * on a slow relay for that (forward.service.ts tells the agency if its mail went meanwhile).
 */
export async function lockLiveReferralsOfPerson(trx: Executor, personIds: string[], agencyIds: string[] | null) {
  let q = trx
    .selectFrom('referrals as r')
    .innerJoin('submissions as s', 's.id', 'r.submissionId')
    .innerJoin('agencies as a', 'a.id', 'r.agencyId')
    .selectAll('r')
    .select(['a.name as agencyName', 'a.email as agencyEmail'])
    .where('s.personId', 'in', personIds)
    .where('r.status', 'not in', ['completed', 'unable_to_contact', 'declined', 'rerouted', 'cancelled']);
  if (agencyIds) q = q.where('r.agencyId', 'in', agencyIds);
  const rows = await q.orderBy('r.id').forNoKeyUpdate('r').execute();
  return rows.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || compareReferences(a.reference, b.reference));
}

/** Erasure: the agency's mail server's last reply to a forward (its code stays: erasedMailError). */
export async function eraseForwardErrors(trx: Executor, referralIds: string[]): Promise<void> {
  if (referralIds.length === 0) return;
  await trx
    .updateTable('referrals')
    .set({ lastForwardError: erasedMailError('last_forward_error') })
    .where('id', 'in', referralIds)
    .where('lastForwardError', 'is not', null)
    .execute();
}

/**
 * Erasure: the free text of these referrals' events goes (notes, and reasons other than the
 * codes Signpost itself writes). The append-only trigger lets this one change through, inside
 * a transaction that says so (SET LOCAL signpost.erasing).
 */
export async function eraseEventText(trx: Executor, referralIds: string[]): Promise<void> {
  if (referralIds.length === 0) return;
  await sql`SET LOCAL signpost.erasing = 'on'`.execute(trx);
  await trx
    .updateTable('referralEvents')
    .set({ reason: sql`CASE WHEN reason IN ('consent_withdrawn', 'referred_again') THEN reason END`, note: null })
    .where('referralId', 'in', referralIds)
    .where((e) => e.or([e('reason', 'is not', null), e('note', 'is not', null)]))
    .execute();
  await sql`SET LOCAL signpost.erasing = 'off'`.execute(trx);
}

// ---- referrals held for a closed agency (modules/referrals/held-referral.service.ts) ----

/** An agency's referrals still held for it (their day has not come), locked in id order. */
export async function lockHeldReferralsOfAgency(trx: Executor, agencyId: string, today: string) {
  return trx
    .selectFrom('referrals')
    .select(['id', 'reference', 'heldUntil', 'receivedAt'])
    .where(sql<boolean>`status = 'pending' AND held_until IS NOT NULL`)
    .where('agencyId', '=', agencyId)
    .where('heldUntil', '>', today)
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
}

/** A held referral's promise made again (its agency reopens on another day); only while it is still pending. */
export async function updateHeldPromise(trx: Executor, r: { id: string; heldUntil: string; forwardDueAt: Date; contactDueAt: Date; at: Date }): Promise<boolean> {
  const row = await trx
    .updateTable('referrals')
    .set({ heldUntil: r.heldUntil, forwardDueAt: r.forwardDueAt, contactDueAt: r.contactDueAt, updatedAt: r.at })
    .where('id', '=', r.id)
    .where('status', '=', 'pending')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The coordinators' list of held referrals, the soonest to reopen first, through referrals_held_idx
 * (its literal predicate): its cost follows the referrals held, not the history.
 */
export async function listHeldReferralRows(db: Executor, today: string, page: { limit: number; offset: number }) {
  const base = db
    .selectFrom('referrals as r')
    .where(sql<boolean>`r.status = 'pending' AND r.held_until IS NOT NULL`)
    .where('r.heldUntil', '>', today);
  const [rows, count] = await Promise.all([
    base
      .innerJoin('agencies as a', 'a.id', 'r.agencyId')
      .innerJoin('submissions as s', 's.id', 'r.submissionId')
      .innerJoin('people as p', 'p.id', 's.personId')
      .select(['r.id', 'r.reference', 'r.agencyId', 'a.name as agencyName', 's.personId', 'p.givenName', 'p.familyName', 'r.receivedAt', 'r.heldUntil', 'r.forwardDueAt', 'r.contactDueAt'])
      .orderBy('r.heldUntil')
      .orderBy('r.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    base.select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

/** How many referrals are held for a closed agency (referrals_held_idx). */
export async function countHeldReferrals(db: Executor, today: string): Promise<number> {
  const row = await db
    .selectFrom('referrals')
    .select(sql<string>`count(*)`.as('n'))
    .where(sql<boolean>`status = 'pending' AND held_until IS NOT NULL`)
    .where('heldUntil', '>', today)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The referrals still to be sent, for the metrics: pending ones due now, pending ones held for a
 * closed agency (held_until after today), and forward_failed ones. Reads only the open items,
 * through the partial index of the forward clock (referrals_forward_open_idx), never the history.
 */
export async function countReferralsAwaitingForward(db: Executor, today: string): Promise<{ pending: number; held: number; forwardFailed: number }> {
  const { rows } = await sql<{ pending: string; held: string; forwardFailed: string }>`
    SELECT count(*) FILTER (WHERE status = 'pending' AND (held_until IS NULL OR held_until <= ${today}::date)) AS pending,
           count(*) FILTER (WHERE status = 'pending' AND held_until > ${today}::date) AS held,
           count(*) FILTER (WHERE status = 'forward_failed') AS forward_failed
    FROM referrals WHERE status IN ('pending', 'forward_failed')`.execute(db);
  const r = rows[0]!;
  return { pending: Number(r.pending), held: Number(r.held), forwardFailed: Number(r.forwardFailed) };
}
