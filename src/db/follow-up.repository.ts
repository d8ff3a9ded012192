/**
 * Follow-ups (T3): the coordinators' worklist and what a recorded call writes. The worklist's
 * 'due' and 'upcoming' reads go through follow_ups_open_idx (literal predicate, rule 8).
 */
import { sql } from 'kysely';
import type { Executor, NeedsMet } from './database.js';

export type FollowUpState = 'due' | 'upcoming' | 'completed';

export interface FollowUpListItem {
  id: string;
  submissionId: string;
  submissionReference: string;
  status: string;
  dueAt: Date;
  contactMade: boolean | null;
  note: string | null;
  completedAt: Date | null;
  person: { givenName: string; familyName: string; phone: string | null; email: string | null; preferredContact: string };
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
export async function listFollowUps(db: Executor, state: FollowUpState, now: Date, limit: number): Promise<FollowUpListItem[]> {
  let q = db
    .selectFrom('followUps as f')
    .innerJoin('submissions as s', 's.id', 'f.submissionId')
    .innerJoin('people as p', 'p.id', 's.personId')
    .select([
      'f.id',
      'f.submissionId',
      's.reference as submissionReference',
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
  if (state === 'due') q = q.where(sql<boolean>`f.status = 'scheduled'`).where('f.dueAt', '<=', now).orderBy('f.dueAt');
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
      .orderBy('r.reference')
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

/** The follow-up, locked for the recording transaction. */
export async function lockFollowUp(db: Executor, id: string) {
  return db.selectFrom('followUps').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function referralsOfSubmission(db: Executor, submissionId: string) {
  return db
    .selectFrom('referrals')
    .select(['id', 'reference', 'status', 'forwardedAt'])
    .where('submissionId', '=', submissionId)
    .orderBy('reference')
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

export async function markFollowedUp(db: Executor, referralIds: string[], at: Date) {
  if (referralIds.length === 0) return;
  await db.updateTable('referrals').set({ followedUpAt: at, updatedAt: at }).where('id', 'in', referralIds).execute();
}
