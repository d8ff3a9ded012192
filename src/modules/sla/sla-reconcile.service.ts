/**
 * Reconciliation (docs/failure.md, reliability rule 5): Postgres is the truth, Redis only makes things prompt. For
 * what Postgres says is still due, check that Redis holds a live job (waiting, delayed,
 * prioritized or active) under the row's job id, and enqueue it again when it does not:
 *   - every pending referral of an active agency  -> 'forward-referral' (one held for a closed
 *     agency: delayed to the day it reopens), unless a live 'forward-batch' job of the intake's
 *     holds it
 *   - every scheduled follow-up not yet due        -> 'follow-up-due', delayed to its due_at
 *     (one already due needs no timer: the worklist reads Postgres, and T3 is swept)
 *   - every notification still 'queued' after a minute -> 'send-notification'
 *   - every webhook delivery still pending             -> 'deliver-webhook', delayed to its next attempt
 * A job left under the same id in 'completed' or 'failed' must be removed first, or BullMQ
 * treats the add as a duplicate and drops it. Enqueueing is idempotent by job id, and every
 * handler re-reads Postgres before acting, so a spurious re-enqueue is harmless.
 */
import type { Queue } from 'bullmq';
import { futureFollowUpsPage, pendingReferralsPage, queuedNotificationsPage, type Page } from './sla.repository.js';
import { JOBS } from '../../platform/jobs/registry.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { callDayStarts, heldDelayMs } from '../../kernel/promise.js';
import { pendingWebhookDeliveriesPage } from '../webhooks/index.js';

export interface ReconcileCounts {
  forward: number;
  followUp: number;
  notify: number;
  webhooks: number;
}

const LIVE = new Set(['waiting', 'delayed', 'prioritized', 'active', 'waiting-children']);
/** Pages per kind per sweep; a larger backlog is carried on by the next sweep. */
const MAX_PAGES = 20;
/** A notification younger than this is probably being enqueued by its writer right now. */
const NOTIFY_GRACE_MS = 60_000;

/** Of these job ids, the ones with no live job; finished leftovers are removed on the way. */
async function missingJobs(queue: Queue, jobIds: string[]): Promise<Set<string>> {
  const states = await Promise.all(jobIds.map(async (id) => [id, await queue.getJobState(id)] as const));
  const missing = new Set<string>();
  await Promise.all(
    states
      .filter(([, state]) => !LIVE.has(state))
      .map(async ([id, state]) => {
        if (state === 'completed' || state === 'failed') {
          // it may have been retried and locked since we looked: then it is live, leave it
          const removed = await queue.remove(id).then(
            (n) => n === 1,
            () => false,
          );
          if (!removed) return;
        }
        missing.add(id);
      }),
  );
  return missing;
}

async function eachPage<R extends { id: string; at: Date }>(
  fetch: (page: Page) => Promise<R[]>,
  limit: number,
  handle: (rows: R[]) => Promise<number>,
): Promise<number> {
  let after: Page['after'];
  let total = 0;
  for (let i = 0; i < MAX_PAGES; i++) {
    const rows = await fetch({ after, limit });
    if (rows.length) total += await handle(rows);
    if (rows.length < limit) break;
    const last = rows[rows.length - 1]!;
    after = { at: last.at, id: last.id };
  }
  return total;
}

/**
 * The referrals that a live 'forward-batch' job (the intake's) will send: they have no job of
 * their own, and are not missing. Read once a sweep, and only when a referral is pending: what
 * it costs is the forward queue's backlog, not the history.
 */
async function referralsInLiveBatches(queue: Queue): Promise<Set<string>> {
  const live = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
  return new Set(live.filter((j) => j?.name === 'forward-batch').flatMap((j) => (j.data as { referralIds?: string[] }).referralIds ?? []));
}

export async function reconcile(deps: ServiceDeps, now: Date, limit: number): Promise<ReconcileCounts> {
  const { jobs, db } = deps;

  let batched: Promise<Set<string>> | undefined;
  const forward = await eachPage(
    (page) => pendingReferralsPage(db, page),
    limit,
    async (rows) => {
      batched ??= referralsInLiveBatches(jobs.queue(JOBS['forward-batch'].queue));
      const inBatch = await batched;
      const byJob = new Map(rows.filter((r) => !inBatch.has(r.id)).map((r) => [JOBS['forward-referral'].jobId({ referralId: r.id }), r]));
      const missing = [...(await missingJobs(jobs.queue(JOBS['forward-referral'].queue), [...byJob.keys()]))].map((j) => byJob.get(j)!);
      const toSend = missing.filter((r) => !r.heldUntil || heldDelayMs(r.heldUntil, now) === 0);
      if (toSend.length) await jobs.enqueue('forward-referral', toSend.map((r) => ({ referralId: r.id })));
      // held for a closed agency: timed for the day it reopens
      for (const r of missing) if (!toSend.includes(r)) await jobs.enqueue('forward-referral', { referralId: r.id }, { delayMs: heldDelayMs(r.heldUntil!, now) });
      return missing.length;
    },
  );

  const followUp = await eachPage(
    (page) => futureFollowUpsPage(db, now, page),
    limit,
    async (rows) => {
      const byJob = new Map(rows.map((r) => [JOBS['follow-up-due'].jobId({ followUpId: r.id }), r]));
      const missing = await missingJobs(jobs.queue(JOBS['follow-up-due'].queue), [...byJob.keys()]);
      // each has its own delay, so one add per follow-up
      for (const j of missing) {
        const f = byJob.get(j)!;
        await jobs.enqueue('follow-up-due', { followUpId: f.id }, { delayMs: Math.max(0, callDayStarts(f.at).getTime() - now.getTime()) });
      }
      return missing.size;
    },
  );

  const notify = await eachPage(
    (page) => queuedNotificationsPage(db, new Date(now.getTime() - NOTIFY_GRACE_MS), page),
    limit,
    async (rows) => {
      const byJob = new Map(rows.map((r) => [JOBS['send-notification'].jobId({ notificationId: r.id }), r.id]));
      const missing = await missingJobs(jobs.queue(JOBS['send-notification'].queue), [...byJob.keys()]);
      if (missing.size) await jobs.enqueue('send-notification', [...missing].map((j) => ({ notificationId: byJob.get(j)! })));
      return missing.size;
    },
  );

  const webhooks = await eachPage(
    (page) => pendingWebhookDeliveriesPage(db, page),
    limit,
    async (rows) => {
      const byJob = new Map(rows.map((r) => [JOBS['deliver-webhook'].jobId({ deliveryId: r.id }), r]));
      const missing = await missingJobs(jobs.queue(JOBS['deliver-webhook'].queue), [...byJob.keys()]);
      const due = [...missing].map((j) => byJob.get(j)!);
      const dueNow = due.filter((d) => d.at.getTime() <= now.getTime());
      if (dueNow.length) await jobs.enqueue('deliver-webhook', dueNow.map((d) => ({ deliveryId: d.id })));
      // a retry timed for later keeps its time
      for (const d of due) if (!dueNow.includes(d)) await jobs.enqueue('deliver-webhook', { deliveryId: d.id }, { delayMs: d.at.getTime() - now.getTime() });
      return missing.size;
    },
  );

  return { forward, followUp, notify, webhooks };
}
