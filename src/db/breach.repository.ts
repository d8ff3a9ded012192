import { sql } from 'kysely';
import type { Executor, SlaClock } from './database.js';

/**
 * Marks the open breach of this referral's clock resolved at `at`, keeping how late the step
 * was (for reporting). A no-op when there is no open breach. Call it wherever the late step
 * happens: forwarded (forward), contacted or closed (contact), follow-up recorded (follow_up).
 */
export async function resolveBreach(db: Executor, referralIds: string | string[], clock: SlaClock, at: Date): Promise<number> {
  const ids = Array.isArray(referralIds) ? referralIds : [referralIds];
  if (ids.length === 0) return 0;
  const res = await db
    .updateTable('slaBreaches')
    .set({
      resolvedAt: at,
      lateBySeconds: sql<number>`GREATEST(0, floor(extract(epoch FROM (${at}::timestamptz - due_at))))::int`,
    })
    .where('referralId', 'in', ids)
    .where('clock', '=', clock)
    .where('resolvedAt', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}
