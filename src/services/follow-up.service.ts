/**
 * Scheduling the hub's follow-up call (T3). One follow-up per submission, due
 * FOLLOW_UP_AFTER_DAYS (calendar or working days, FOLLOW_UP_CLOCK) after its referrals were forwarded: when a later referral of the same
 * submission is forwarded, the call moves later, so that every agency has had its time before
 * the hub asks the person whether their needs were met. Call inside the transaction that marks
 * the referral forwarded; enqueue the delayed 'follow-up-due' job after commit.
 */
import type { Env } from '../../config/env.js';
import type { DB, Executor } from '../db/database.js';
import { findFollowUpDue, upsertFollowUp } from '../db/follow-up.repository.js';
import { setFollowUpDueOnForwardedReferrals } from '../db/referral.repository.js';
import type { IdGenerator } from '../domain/ids.js';
import { addClockDays } from '../domain/working-days.js';
import type { HolidayCalendar } from './holiday-calendar.js';

export async function scheduleFollowUp(
  db: Executor,
  deps: { ids: IdGenerator; env: Pick<Env, 'FOLLOW_UP_AFTER_DAYS' | 'FOLLOW_UP_CLOCK'>; holidays: Pick<HolidayCalendar, 'get'> },
  submissionId: string,
  forwardedAt: Date,
  /** the referral just forwarded: a follow-up already recorded without it is reopened for it */
  referralId?: string,
): Promise<{ followUpId: string; dueAt: Date }> {
  const dueAt = addClockDays(forwardedAt, deps.env.FOLLOW_UP_AFTER_DAYS, deps.env.FOLLOW_UP_CLOCK, await deps.holidays.get());
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
  return { state: f.dueAt > now ? 'not_yet_due' : 'due', dueAt: f.dueAt };
}
