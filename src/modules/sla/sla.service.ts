/**
 * The SLA sweep (docs/clocks.md#the-sla-sweep-warnings-and-reminders; reliability rules 5, 7 and 8
 * of docs/failure.md). One sweep at a time across every worker: it runs inside a transaction
 * holding pg_try_advisory_xact_lock, and a sweep that does not get the lock returns
 * { skipped: true } at once (the lock is released by the commit, so a pooler can never strand it).
 *
 * Inside the lock, in bounded batches through the partial indexes:
 *   - T1 forward, T2 contact, T3 follow-up: one breach per (referral, clock), ON CONFLICT DO NOTHING,
 *     and a `referral.breached` webhook event for each new one (dispatched after commit);
 *   - resolves open breaches whose late step already happened but whose resolution was missed;
 *   - deletes expired Idempotency-Keys;
 *   - rolls up the referrals received on each day that has ended (referral_days, the dashboard's
 *     charts), at most MAX_ROLLUP_DAYS a sweep;
 *   - recomputes the summary report's days that are stale or were never rolled up, at most
 *     MAX_REPORT_DAYS a sweep (report-summary.service.ts).
 * After commit, reconciliation (rule 5): whatever Postgres says is due and Redis no longer holds
 * is enqueued again. That part is idempotent by job id, so it needs no lock.
 */
import type { Executor, SlaClock } from '../../platform/db/database.js';
import { overdueContact, overdueFollowUps, overdueForward, type BreachCandidate } from './sla.repository.js';
import { rollUpReferralDays } from './referral-day.repository.js';
import { sql } from 'kysely';
import type { ServiceDeps } from '../../platform/deps.js';
import { reconcile, type ReconcileCounts } from './sla-reconcile.service.js';
import { insertBreaches, resolveMissedBreaches } from '../clocks/index.js';
import { deleteExpiredIdempotencyKeys } from '../intake/index.js';
import { deleteExpiredSessions } from '../accounts/index.js';
import { rollUpReportBacklog } from '../reports/index.js';
import { dispatchWebhookDeliveries, recordBreachEvents } from '../webhooks/index.js';

/** The advisory lock key of the sweep: any constant shared by every process ('SLA1'). */
export const SWEEP_LOCK_KEY = 0x534c4131;
export const SWEEP_BATCH = 500;
/** A sweep stops after this many batches per part; the next sweep (a minute later) carries on. */
const MAX_BATCHES = 20;
/** Days of referrals rolled up per sweep (a new day needs one; a long-idle hub catches up in a few sweeps). */
const MAX_ROLLUP_DAYS = 62;
/** Report days (re)computed per sweep: the stale and never-rolled ones, oldest first (a report rolls up the rest of its period itself). */
const MAX_REPORT_DAYS = 5;

export interface SweepResult {
  skipped: boolean;
  breaches: Record<SlaClock, number>;
  resolved: number;
  idempotencyKeysDeleted: number;
  sessionsDeleted: number;
  daysRolledUp: number;
  reportDaysRolledUp: number;
  reenqueued: ReconcileCounts;
  ms: number;
}

async function inBatches(fn: () => Promise<number>, batch: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const n = await fn();
    total += n;
    if (n < batch) break;
  }
  return total;
}

const FINDERS: Record<SlaClock, (db: Executor, now: Date, limit: number) => Promise<BreachCandidate[]>> = {
  forward: overdueForward,
  contact: overdueContact,
  follow_up: overdueFollowUps,
};

export interface SweepOptions {
  /** skip the Redis part (the benchmark measures the Postgres part alone) */
  reconcile?: boolean;
  batch?: number;
}

export async function runSweep(deps: ServiceDeps, opts: SweepOptions = {}): Promise<SweepResult> {
  const started = performance.now();
  const batch = opts.batch ?? SWEEP_BATCH;
  const now = deps.clock.now();
  const empty: ReconcileCounts = { forward: 0, followUp: 0, notify: 0, webhooks: 0 };

  const webhookDeliveryIds: string[] = [];
  const db = await deps.db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK_KEY}) AS locked`.execute(tx);
    if (!rows[0]?.locked) return null;
    const breaches = { forward: 0, contact: 0, follow_up: 0 } as Record<SlaClock, number>;
    for (const clock of ['forward', 'contact', 'follow_up'] as const) {
      // A batch of candidates may include follow-up referrals already breached (T3 reads per
      // follow-up), so a batch is "full" by its candidates, not by what was inserted.
      let total = 0;
      for (let i = 0; i < MAX_BATCHES; i++) {
        const found = await FINDERS[clock](tx, now, batch);
        const breached = await insertBreaches(tx, deps.ids, clock, found, now);
        total += breached.length;
        webhookDeliveryIds.push(...(await recordBreachEvents(tx, clock, breached, now)));
        if (found.length < batch) break;
      }
      breaches[clock] = total;
    }
    let resolved = 0;
    for (const clock of ['forward', 'contact', 'follow_up'] as const) {
      resolved += await inBatches(() => resolveMissedBreaches(tx, clock, batch), batch);
    }
    const idempotencyKeysDeleted = await inBatches(() => deleteExpiredIdempotencyKeys(tx, now, batch), batch);
    // expired web sessions are already refused at sign-in; this only keeps the table small
    const sessionsDeleted = await deleteExpiredSessions(tx, now);
    const daysRolledUp = await rollUpReferralDays(tx, now, MAX_ROLLUP_DAYS);
    const reportDaysRolledUp = await rollUpReportBacklog({ ...deps, db: tx }, now, MAX_REPORT_DAYS);
    return { breaches, resolved, idempotencyKeysDeleted, sessionsDeleted, daysRolledUp, reportDaysRolledUp };
  });

  if (!db) {
    deps.logger.info('sla sweep skipped: another sweep holds the lock');
    return { skipped: true, breaches: { forward: 0, contact: 0, follow_up: 0 }, resolved: 0, idempotencyKeysDeleted: 0, sessionsDeleted: 0, daysRolledUp: 0, reportDaysRolledUp: 0, reenqueued: empty, ms: Math.round(performance.now() - started) };
  }
  await dispatchWebhookDeliveries(deps.jobs, webhookDeliveryIds);
  const reenqueued = opts.reconcile === false ? empty : await reconcile(deps, now, batch);
  const result: SweepResult = { skipped: false, ...db, reenqueued, ms: Math.round(performance.now() - started) };
  deps.logger.info({ ...result }, 'sla sweep done');
  return result;
}
