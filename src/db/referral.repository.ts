import { sql } from 'kysely';
import type { Executor, NewReferral, ReferralsTable } from './database.js';
import type { Updateable } from 'kysely';

export interface ReferralListFilters {
  /** always set for agency users */
  agencyId?: string | undefined;
  statuses?: string[] | undefined;
  /** keyset: the last item of the previous page */
  after?: { receivedAt: Date; id: string } | undefined;
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
 * A page of referrals, newest first, keyset-paginated on (received_at DESC, id DESC) so that a
 * page costs the same however deep it is. Served by referrals_agency_list_idx (agency),
 * referrals_status_list_idx (status) or referrals_list_idx (neither). Reads limit + 1 rows so
 * the caller knows whether another page exists.
 */
export async function listReferralRows(db: Executor, f: ReferralListFilters) {
  let q = referralsWithParties(db)
    .select([
      'r.id',
      'r.reference',
      'r.submissionId',
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
    ]);
  if (f.agencyId) q = q.where('r.agencyId', '=', f.agencyId);
  if (f.statuses?.length) q = q.where('r.status', 'in', f.statuses);
  if (f.after) q = q.where(sql<boolean>`(r.received_at, r.id) < (${f.after.receivedAt}::timestamptz, ${f.after.id}::uuid)`);
  return q.orderBy('r.receivedAt', 'desc').orderBy('r.id', 'desc').limit(f.limit + 1).execute();
}

/** The referral row alone (for visibility checks and transitions). */
export async function findReferral(db: Executor, id: string) {
  return db.selectFrom('referrals').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Everything the detail view shows, in one round trip (the events and questions are two more). */
export async function findReferralDetail(db: Executor, id: string) {
  return referralsWithParties(db)
    .selectAll('r')
    .select([
      'a.name as agencyName',
      's.reference as submissionReference',
      's.consent',
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
    ])
    .where('r.id', '=', id)
    .executeTakeFirst();
}

/** The text of these questions (the ones that flagged a referral), in questionnaire order. */
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

export async function listReferralEvents(db: Executor, referralId: string) {
  return db
    .selectFrom('referralEvents')
    .select(['id', 'at', 'actorUserId', 'actorLabel', 'fromStatus', 'toStatus', 'reason', 'outcome', 'note'])
    .where('referralId', '=', referralId)
    .orderBy('id')
    .execute();
}

/**
 * The conditional update every status change goes through: it applies only while the referral
 * is still in `from`, so two concurrent moves cannot both win. Undefined when it moved meanwhile.
 */
export async function updateReferralIfStatus(trx: Executor, id: string, from: string, set: Updateable<ReferralsTable>) {
  return trx.updateTable('referrals').set(set).where('id', '=', id).where('status', '=', from).returningAll().executeTakeFirst();
}

export async function insertReferral(trx: Executor, row: NewReferral) {
  await trx.insertInto('referrals').values(row).execute();
}

export async function appendReferralEvent(
  trx: Executor,
  e: { referralId: string; at: Date; actorUserId: string | null; actorLabel: string; fromStatus: string | null; toStatus: string; reason?: string | null; outcome?: string | null; note?: string | null },
) {
  await trx
    .insertInto('referralEvents')
    .values({ ...e, reason: e.reason ?? null, outcome: e.outcome ?? null, note: e.note ?? null })
    .execute();
}

/** Closes the open alerts of this kind for a referral (e.g. a rejection once it is re-routed). */
/** Resolves the open alerts of one kind for a referral; `by` is null when the system resolved them. */
export async function resolveReferralAlerts(trx: Executor, referralId: string, kind: string, by: string | null, at: Date) {
  await trx
    .updateTable('alerts')
    .set({ resolvedAt: at, resolvedBy: by })
    .where('referralId', '=', referralId)
    .where('kind', '=', kind)
    .where('resolvedAt', 'is', null)
    .execute();
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
export async function listReferralsAwaitingContactDueBy(db: Executor, now: Date, until: Date, agencyId?: string) {
  let q = db
    .selectFrom('referrals as r')
    .innerJoin('agencies as a', 'a.id', 'r.agencyId')
    .select(['r.agencyId', 'a.name as agencyName', 'a.email as agencyEmail', 'r.reference', 'r.contactDueAt', 'r.status'])
    .where(sql<boolean>`r.status IN ('forwarded', 'acknowledged', 'accepted')`)
    .where('r.contactDueAt', '>', now)
    .where('r.contactDueAt', '<=', until);
  if (agencyId) q = q.where('r.agencyId', '=', agencyId);
  return q.orderBy('r.agencyId').orderBy('r.contactDueAt').orderBy('r.reference').execute();
}
