/**
 * The SLA sweep's reads (its writes are the breach repository's). Every query over an open set repeats, word for word, the
 * literal predicate of the partial index it is meant to use (docs/failure.md, reliability rule 8:
 * referrals_forward_open_idx, referrals_contact_open_idx, follow_ups_open_idx,
 * sla_breaches_open_idx, notifications_queued_idx), so its cost follows the number of open,
 * due items and not the size of the tables. Every read is a bounded batch.
 */
import { sql } from 'kysely';
import type { Executor, SlaClock } from '../../platform/db/database.js';
import type { BreachCandidate } from '../clocks/index.js';
export type { BreachCandidate };


/**
 * "This referral (alias r) has no breach of this clock yet", probed through the unique
 * (referral_id, clock) index once per candidate. Written as a scalar subquery on purpose: as
 * NOT EXISTS the planner may turn it into a hash anti-join that reads the whole breach history,
 * which grows with time; this way the cost follows the candidates (see test/bench/sweep.bench.ts).
 */
const noBreachYet = (clock: SlaClock) =>
  sql<boolean>`(SELECT 1 FROM sla_breaches b WHERE b.referral_id = r.id AND b.clock = ${sql.lit(clock)}) IS NULL`;

/** T1: open referrals past forward_due_at without a forward breach. Locks them (SKIP LOCKED). */
export async function overdueForward(db: Executor, now: Date, limit: number): Promise<BreachCandidate[]> {
  return db
    .selectFrom('referrals as r')
    .select(['r.id as referralId', 'r.agencyId', 'r.forwardDueAt as dueAt'])
    .where(sql<boolean>`r.status IN ('pending', 'forward_failed')`)
    .where('r.forwardDueAt', '<=', now)
    .where(noBreachYet('forward'))
    .orderBy('r.forwardDueAt')
    .limit(limit)
    .forUpdate('r')
    .skipLocked()
    .execute();
}

/** T2: referrals still awaiting contact past contact_due_at without a contact breach. */
export async function overdueContact(db: Executor, now: Date, limit: number): Promise<BreachCandidate[]> {
  const rows = await db
    .selectFrom('referrals as r')
    .select(['r.id as referralId', 'r.agencyId', 'r.contactDueAt as dueAt'])
    .where(sql<boolean>`r.status IN ('forwarded', 'acknowledged', 'accepted')`)
    .where('r.contactDueAt', '<=', now)
    .where(noBreachYet('contact'))
    .orderBy('r.contactDueAt')
    .limit(limit)
    .forUpdate('r')
    .skipLocked()
    .execute();
  return rows.map((r) => ({ ...r, dueAt: r.dueAt! }));
}

/**
 * T3: scheduled follow-ups past due_at, as one candidate per referral of the submission that
 * has no follow_up breach yet (cancelled and re-routed referrals are not followed up). The
 * follow-ups are locked (SKIP LOCKED): one being recorded right now is left to the recording.
 */
export async function overdueFollowUps(db: Executor, now: Date, limit: number): Promise<BreachCandidate[]> {
  const followUps = await db
    .selectFrom('followUps as f')
    .select(['f.id', 'f.submissionId', 'f.dueAt'])
    .where(sql<boolean>`f.status = 'scheduled'`)
    .where('f.dueAt', '<=', now)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('referrals as r')
          .select('r.id')
          .whereRef('r.submissionId', '=', 'f.submissionId')
          .where('r.status', 'not in', ['cancelled', 'rerouted'])
          .where(noBreachYet('follow_up')),
      ),
    )
    .orderBy('f.dueAt')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  if (followUps.length === 0) return [];
  const dueBySubmission = new Map(followUps.map((f) => [f.submissionId, f.dueAt]));
  const referrals = await db
    .selectFrom('referrals')
    .select(['id', 'agencyId', 'submissionId'])
    .where('submissionId', 'in', [...dueBySubmission.keys()])
    .where('status', 'not in', ['cancelled', 'rerouted'])
    .execute();
  return referrals.map((r) => ({ referralId: r.id, agencyId: r.agencyId, dueAt: dueBySubmission.get(r.submissionId)! }));
}

// ---- reconciliation reads (keyset pages, so a large backlog is covered in bounded steps) ----

export interface Page {
  after?: { at: Date; id: string } | undefined;
  limit: number;
}

/** Pending referrals of active agencies: each should have a forward job in Redis (a held one, delayed to its day). */
export async function pendingReferralsPage(db: Executor, page: Page): Promise<{ id: string; at: Date; heldUntil: string | null }[]> {
  let q = db
    .selectFrom('referrals as r')
    .innerJoin('agencies as a', 'a.id', 'r.agencyId')
    .select(['r.id', 'r.forwardDueAt as at', 'r.heldUntil'])
    .where(sql<boolean>`r.status IN ('pending', 'forward_failed')`)
    .where(sql<boolean>`r.status = 'pending'`)
    .where(sql<boolean>`a.status = 'active'`);
  if (page.after) q = q.where(sql<boolean>`(r.forward_due_at, r.id) > (${page.after.at}, ${page.after.id})`);
  return q.orderBy('r.forwardDueAt').orderBy('r.id').limit(page.limit).execute();
}

/** Scheduled follow-ups not yet due: each should have a delayed 'follow-up-due' job. */
export async function futureFollowUpsPage(db: Executor, now: Date, page: Page): Promise<{ id: string; at: Date }[]> {
  let q = db
    .selectFrom('followUps as f')
    .select(['f.id', 'f.dueAt as at'])
    .where(sql<boolean>`f.status = 'scheduled'`)
    .where('f.dueAt', '>', now);
  if (page.after) q = q.where(sql<boolean>`(f.due_at, f.id) > (${page.after.at}, ${page.after.id})`);
  return q.orderBy('f.dueAt').orderBy('f.id').limit(page.limit).execute();
}

/** Notifications written more than `olderThan` ago and still not sent. */
export async function queuedNotificationsPage(db: Executor, olderThan: Date, page: Page): Promise<{ id: string; at: Date }[]> {
  let q = db
    .selectFrom('notifications as n')
    .select(['n.id', 'n.createdAt as at'])
    .where(sql<boolean>`n.status = 'queued'`)
    // a referral's forward mail is sent by the forward worker only, which records the referral forwarded with it
    .where('n.kind', '!=', 'referral_forward')
    .where('n.createdAt', '<=', olderThan);
  if (page.after) q = q.where(sql<boolean>`(n.created_at, n.id) > (${page.after.at}, ${page.after.id})`);
  return q.orderBy('n.createdAt').orderBy('n.id').limit(page.limit).execute();
}
