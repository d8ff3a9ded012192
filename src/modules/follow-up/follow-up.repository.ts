/**
 * Follow-ups (T3): the coordinators' worklist and what a recorded call writes. The worklist's
 * 'due' and 'upcoming' reads go through follow_ups_open_idx (literal predicate, rule 8).
 */
import { sql } from 'kysely';
import type { Executor, NeedsMet } from '../../platform/db/database.js';
import { byReference } from '../../platform/db/reference-order.js';

export type FollowUpState = 'due' | 'upcoming' | 'completed';

export interface FollowUpListItem {
  id: string;
  submissionId: string;
  submissionReference: string;
  personId: string;
  status: 'scheduled' | 'completed' | 'cancelled';
  dueAt: Date;
  contactMade: boolean | null;
  note: string | null;
  completedAt: Date | null;
  person: { givenName: string | null; familyName: string | null; phone: string | null; email: string | null; preferredContact: string | null };
  referrals: {
    id: string;
    reference: string;
    agencyId: string;
    agencyName: string;
    status: string;
    outcome: string | null;
    needsMet: NeedsMet | null;
    forwardedAt: Date | null;
  }[];
  attempts: { at: Date; byUserId: string; contactMade: boolean; note: string | null }[];
}

/** One page of the worklist: due and upcoming by due date (soonest first), completed latest first. */
/** The worklist in one state, or (`{ id }`) the one follow-up with that id, whatever its state. */
export async function listFollowUps(db: Executor, state: FollowUpState | { id: string }, now: Date, limit: number): Promise<FollowUpListItem[]> {
  let q = db
    .selectFrom('followUps as f')
    .innerJoin('submissions as s', 's.id', 'f.submissionId')
    .innerJoin('people as p', 'p.id', 's.personId')
    .select([
      'f.id',
      'f.submissionId',
      's.reference as submissionReference',
      's.personId',
      'f.status',
      'f.dueAt',
      'f.contactMade',
      'f.note',
      'f.completedAt',
      'p.givenName',
      'p.familyName',
      'p.phone',
      'p.email',
      'p.preferredContact',
    ]);
  if (typeof state === 'object') q = q.where('f.id', '=', state.id);
  else if (state === 'due') q = q.where(sql<boolean>`f.status = 'scheduled'`).where('f.dueAt', '<=', now).orderBy('f.dueAt');
  else if (state === 'upcoming') q = q.where(sql<boolean>`f.status = 'scheduled'`).where('f.dueAt', '>', now).orderBy('f.dueAt');
  else q = q.where('f.status', '=', 'completed').orderBy('f.completedAt', 'desc');
  const rows = await q.orderBy('f.id').limit(limit).execute();
  if (rows.length === 0) return [];

  const [referrals, attempts] = await Promise.all([
    db
      .selectFrom('referrals as r')
      .innerJoin('agencies as a', 'a.id', 'r.agencyId')
      .innerJoin('followUps as f', 'f.submissionId', 'r.submissionId')
      .leftJoin('followUpOutcomes as o', (j) => j.onRef('o.followUpId', '=', 'f.id').onRef('o.referralId', '=', 'r.id'))
      .select(['f.id as followUpId', 'r.id', 'r.reference', 'r.agencyId', 'a.name as agencyName', 'r.status', 'r.outcome', 'o.needsMet', 'r.forwardedAt'])
      .where('f.id', 'in', rows.map((r) => r.id))
      .orderBy(byReference('r.reference'))
      .execute(),
    db
      .selectFrom('followUpAttempts')
      .select(['followUpId', 'at', 'byUserId', 'contactMade', 'note'])
      .where('followUpId', 'in', rows.map((r) => r.id))
      .orderBy('at')
      .execute(),
  ]);
  return rows.map((f) => ({
    id: f.id,
    submissionId: f.submissionId,
    submissionReference: f.submissionReference,
    personId: f.personId,
    status: f.status,
    dueAt: f.dueAt,
    contactMade: f.contactMade,
    note: f.note,
    completedAt: f.completedAt,
    person: { givenName: f.givenName, familyName: f.familyName, phone: f.phone, email: f.email, preferredContact: f.preferredContact },
    referrals: referrals.filter((r) => r.followUpId === f.id).map(({ followUpId: _f, ...r }) => r),
    attempts: attempts.filter((a) => a.followUpId === f.id).map(({ followUpId: _f, ...a }) => a),
  }));
}

/**
 * How many calls are due now, and how many fall due within `horizon` (the dashboard and the
 * worklist's tabs). Reads only scheduled follow-ups, through follow_ups_open_idx.
 */
export async function countOpenFollowUps(db: Executor, now: Date, horizon: Date): Promise<{ due: number; upcoming: number }> {
  const row = await db
    .selectFrom('followUps as f')
    .select((eb) => [
      eb.fn.countAll<string>().filterWhere('f.dueAt', '<=', now).as('due'),
      eb.fn.countAll<string>().filterWhere('f.dueAt', '>', now).as('upcoming'),
    ])
    .where(sql<boolean>`f.status = 'scheduled'`)
    .where('f.dueAt', '<=', horizon)
    .executeTakeFirstOrThrow();
  return { due: Number(row.due), upcoming: Number(row.upcoming) };
}

/** The checklist a follow-up belongs to (it never changes). */
export async function findFollowUpSubmission(db: Executor, id: string) {
  return db.selectFrom('followUps').select('submissionId').where('id', '=', id).executeTakeFirst();
}

/** The follow-up, locked for the recording transaction. */
export async function lockFollowUp(db: Executor, id: string) {
  return db.selectFrom('followUps').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function referralsOfSubmission(db: Executor, submissionId: string) {
  return db
    .selectFrom('referrals')
    .select(['id', 'reference', 'status', 'forwardedAt'])
    .where('submissionId', '=', submissionId)
    .orderBy(byReference('referrals.reference'))
    .execute();
}

export async function insertAttempt(db: Executor, a: { id: string; followUpId: string; at: Date; byUserId: string; contactMade: boolean; note: string | null }) {
  await db.insertInto('followUpAttempts').values(a).execute();
}

export async function insertOutcomes(db: Executor, followUpId: string, outcomes: { referralId: string; needsMet: NeedsMet }[], by: string, at: Date) {
  if (outcomes.length === 0) return;
  await db
    .insertInto('followUpOutcomes')
    .values(outcomes.map((o) => ({ followUpId, referralId: o.referralId, needsMet: o.needsMet, recordedAt: at, recordedBy: by })))
    .execute();
}

/** scheduled -> completed, once: returns undefined when it was no longer scheduled. */
export async function completeFollowUp(db: Executor, id: string, by: string, note: string | null, at: Date) {
  return db
    .updateTable('followUps')
    .set({ status: 'completed', contactMade: true, note, completedAt: at, completedBy: by })
    .where('id', '=', id)
    .where('status', '=', 'scheduled')
    .returning(['id', 'submissionId'])
    .executeTakeFirst();
}

/**
 * Writes the submission's follow-up, or moves the existing one later (never earlier). With
 * `referralId`, a completed follow-up without an outcome for that referral is reopened.
 */
export async function upsertFollowUp(
  db: Executor,
  f: { id: string; submissionId: string; dueAt: Date; createdAt: Date; referralId?: string | undefined },
): Promise<{ id: string; dueAt: Date }> {
  const uncovered = f.referralId
    ? sql<boolean>`NOT EXISTS (SELECT 1 FROM follow_up_outcomes o WHERE o.follow_up_id = follow_ups.id AND o.referral_id = ${f.referralId}::uuid)`
    : sql<boolean>`false`;
  return db
    .insertInto('followUps')
    .values({ id: f.id, submissionId: f.submissionId, dueAt: f.dueAt, createdAt: f.createdAt })
    .onConflict((oc) =>
      oc.column('submissionId').doUpdateSet({
        dueAt: sql`GREATEST(follow_ups.due_at, excluded.due_at)`,
        // a referral forwarded after the call was made (a re-route, a retried forward) needs
        // its own "were your needs met?": the follow-up goes back on the worklist
        status: sql`CASE WHEN follow_ups.status = 'completed' AND ${uncovered} THEN 'scheduled' ELSE follow_ups.status END`,
        completedAt: sql`CASE WHEN follow_ups.status = 'completed' AND ${uncovered} THEN NULL ELSE follow_ups.completed_at END`,
      }),
    )
    .returning(['id', 'dueAt'])
    .executeTakeFirstOrThrow();
}



/** A follow-up's status and due time, as the 'follow-up-due' job re-reads them. */
export async function findFollowUpDue(db: Executor, id: string) {
  return db.selectFrom('followUps').select(['status', 'dueAt']).where('id', '=', id).executeTakeFirst();
}

/** A scheduled follow-up with nothing left to ask about is cancelled (consent withdrawn for every referral). */
export async function cancelFollowUpOf(db: Executor, submissionId: string): Promise<boolean> {
  const r = await db.updateTable('followUps').set({ status: 'cancelled' }).where('submissionId', '=', submissionId).where('status', '=', 'scheduled').executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Erasure: what was written about the calls goes; whether contact was made, and when, stays. */
export async function eraseFollowUpNotes(db: Executor, followUpIds: string[]): Promise<void> {
  if (followUpIds.length === 0) return;
  await db.updateTable('followUps').set({ note: null }).where('id', 'in', followUpIds).execute();
  await db.updateTable('followUpAttempts').set({ note: null }).where('followUpId', 'in', followUpIds).execute();
}
