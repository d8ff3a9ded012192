/** The sla_breaches table: one breach per (referral, clock), written and resolved here only. */
import { sql } from 'kysely';
import type { Executor, SlaClock } from '../../platform/db/database.js';
import type { IdGenerator } from '../../kernel/ids.js';

/**
 * Marks the open breach of this referral's clock resolved at `at`, keeping how late the step
 * was (for reporting). A no-op when there is no open breach. Call it wherever the late step
 * happens: forwarded (forward), contacted or closed (contact), follow-up recorded (follow_up).
 */
/** A referral past one of its deadlines, as the sweep finds it. */
export interface BreachCandidate {
  referralId: string;
  agencyId: string;
  dueAt: Date;
}

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

/** One breach per (referral, clock): a second insert is a no-op. Returns the new ones. */
export async function insertBreaches(db: Executor, ids: IdGenerator, clock: SlaClock, rows: BreachCandidate[], now: Date): Promise<BreachCandidate[]> {
  if (rows.length === 0) return [];
  const inserted = await db
    .insertInto('slaBreaches')
    .values(rows.map((r) => ({ id: ids.uuid(), referralId: r.referralId, agencyId: r.agencyId, clock, dueAt: r.dueAt, detectedAt: now })))
    .onConflict((oc) => oc.columns(['referralId', 'clock']).doNothing())
    .returning(['referralId', 'agencyId', 'dueAt'])
    .execute();
  return inserted;
}

/**
 * When each clock's step happened, for an open breach whose step is done. Only done steps match
 * (the referral has left the clock's open statuses, or the follow-up is no longer scheduled).
 */
const STEP_DONE_AT: Record<SlaClock, { join: ReturnType<typeof sql>; done: ReturnType<typeof sql>; at: ReturnType<typeof sql> }> = {
  forward: {
    join: sql``,
    done: sql`r.status NOT IN ('pending', 'forward_failed')`,
    at: sql`COALESCE(r.forwarded_at, r.closed_at, r.updated_at)`,
  },
  contact: {
    join: sql``,
    done: sql`r.status NOT IN ('forwarded', 'acknowledged', 'accepted')`,
    at: sql`COALESCE(r.contacted_at, r.closed_at, r.updated_at)`,
  },
  follow_up: {
    join: sql`LEFT JOIN follow_ups f ON f.submission_id = r.submission_id`,
    done: sql`(r.followed_up_at IS NOT NULL OR f.status IS DISTINCT FROM 'scheduled' OR r.status IN ('cancelled', 'rerouted'))`,
    at: sql`COALESCE(r.followed_up_at, f.completed_at, r.closed_at, r.updated_at)`,
  },
};

/**
 * Resolves open breaches whose late step already happened but whose resolution was missed
 * (e.g. the referral was forwarded while its breach was being recorded). Reads OPEN breaches
 * only, through sla_breaches_open_idx; one bounded batch per call.
 */
export async function resolveMissedBreaches(db: Executor, clock: SlaClock, limit: number): Promise<number> {
  const s = STEP_DONE_AT[clock];
  const res = await sql`
    WITH done AS (
      SELECT b.id, ${s.at} AS at
      FROM sla_breaches b
      JOIN referrals r ON r.id = b.referral_id
      ${s.join}
      WHERE b.resolved_at IS NULL AND b.clock = ${sql.lit(clock)} AND ${s.done}
      LIMIT ${limit}
      FOR UPDATE OF b SKIP LOCKED
    )
    UPDATE sla_breaches b
    SET resolved_at = done.at,
        late_by_seconds = GREATEST(0, floor(extract(epoch FROM (done.at - b.due_at))))::int
    FROM done
    WHERE b.id = done.id
  `.execute(db);
  return Number(res.numAffectedRows ?? 0n);
}

/** Open breaches per clock, for the metrics: through the partial index of open breaches (sla_breaches_open_idx). */
export async function countOpenBreaches(db: Executor): Promise<{ clock: SlaClock; n: number }[]> {
  const rows = await db.selectFrom('slaBreaches').select(['clock', sql<string>`count(*)`.as('n')]).where('resolvedAt', 'is', null).groupBy('clock').execute();
  return rows.map((r) => ({ clock: r.clock, n: Number(r.n) }));
}
