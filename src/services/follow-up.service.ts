/**
 * Scheduling the hub's follow-up call (T3). One follow-up per submission, due
 * FOLLOW_UP_AFTER_DAYS after its referrals were forwarded: when a later referral of the same
 * submission is forwarded, the call moves later, so that every agency has had its time before
 * the hub asks the person whether their needs were met. Call inside the transaction that marks
 * the referral forwarded; enqueue the delayed 'follow-up-due' job after commit.
 */
import { sql } from 'kysely';
import type { Env } from '../../config/env.js';
import type { Executor } from '../db/database.js';
import { addDays } from '../domain/clock.js';
import type { IdGenerator } from '../domain/ids.js';

export async function scheduleFollowUp(
  db: Executor,
  deps: { ids: IdGenerator; env: Pick<Env, 'FOLLOW_UP_AFTER_DAYS'> },
  submissionId: string,
  forwardedAt: Date,
  /** the referral just forwarded: a follow-up already recorded without it is reopened for it */
  referralId?: string,
): Promise<{ followUpId: string; dueAt: Date }> {
  const dueAt = addDays(forwardedAt, deps.env.FOLLOW_UP_AFTER_DAYS);
  const uncovered = referralId
    ? sql<boolean>`NOT EXISTS (SELECT 1 FROM follow_up_outcomes o WHERE o.follow_up_id = follow_ups.id AND o.referral_id = ${referralId}::uuid)`
    : sql<boolean>`false`;
  const row = await db
    .insertInto('followUps')
    .values({ id: deps.ids.uuid(), submissionId, dueAt, createdAt: forwardedAt })
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
  // every referral of the submission shares the submission's follow-up clock
  await db
    .updateTable('referrals')
    .set({ followUpDueAt: row.dueAt })
    .where('submissionId', '=', submissionId)
    .where('forwardedAt', 'is not', null)
    .execute();
  return { followUpId: row.id, dueAt: row.dueAt };
}
