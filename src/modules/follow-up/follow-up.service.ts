/**
 * Scheduling the hub's follow-up call (T3). One follow-up per submission, due after the contact
 * deadline of every referral of it that reached its agency (src/kernel/promise.ts followUpDueAt):
 * when a later referral of the same submission is forwarded, the call moves later, so that
 * every agency has had its time before the hub asks the person whether their needs were met.
 * Call inside the transaction that marks the referral forwarded; enqueue the delayed
 * 'follow-up-due' job after commit.
 */
import type { DB, Executor } from '../../platform/db/database.js';
import { findFollowUpDue, upsertFollowUp } from './follow-up.repository.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { callsDueBy } from '../../kernel/promise.js';
import { setFollowUpDueOnForwardedReferrals } from '../referrals/index.js';

export async function scheduleFollowUp(
  db: Executor,
  deps: { ids: IdGenerator },
  submissionId: string,
  /** the forwarded referral's call, from its contact deadline */
  dueAt: Date,
  forwardedAt: Date,
  /** the referral just forwarded: a follow-up already recorded without it is reopened for it */
  referralId?: string,
): Promise<{ followUpId: string; dueAt: Date }> {
  const row = await upsertFollowUp(db, { id: deps.ids.uuid(), submissionId, dueAt, createdAt: forwardedAt, referralId });
  // every referral of the submission shares the submission's follow-up clock
  await setFollowUpDueOnForwardedReferrals(db, submissionId, row.dueAt);
  return { followUpId: row.id, dueAt: row.dueAt };
}

/** Where a follow-up stands for its delayed 'follow-up-due' job, re-read from Postgres. */
export async function followUpDueState(
  deps: { db: DB },
  followUpId: string,
  now: Date,
): Promise<{ state: 'missing' | 'not_scheduled' | 'not_yet_due' | 'due'; dueAt?: Date }> {
  const f = await findFollowUpDue(deps.db, followUpId);
  if (!f) return { state: 'missing' };
  if (f.status !== 'scheduled') return { state: 'not_scheduled' };
  // due on its day, by closing time: from the start of that day it is on the "due" list
  return { state: f.dueAt > callsDueBy(now) ? 'not_yet_due' : 'due', dueAt: f.dueAt };
}
