/**
 * Referrals held for a closed agency. A referral whose agency was closed to new referrals when
 * it was made (and whose question had no usable fallback) waits until the day the agency
 * reopens: its clocks start then (src/kernel/promise.ts), it is never "to send", at risk or
 * breached before, and the person was told the dates that count from that day.
 *
 * When the agency says something new of its capacity, each referral still held for it gets its
 * promise made again by the same function: an agency that reopens early starts the clock that
 * day; one that stays closed longer holds it until its new day. Each change is a referral event,
 * and the forward job is timed again after commit. Coordinators see every held referral in one
 * list (/hub/held), from which re-routing one is one step.
 */
import type { Executor } from '../../platform/db/database.js';
import { appendReferralEvent, listHeldReferralRows, lockHeldReferralsOfAgency, updateHeldPromise, type EventActor } from './referral.repository.js';
import type { Capacity } from '../../kernel/capacity.js';
import { promiseSettings, referralPromise, type AgencyClock } from '../../kernel/promise.js';
import { londonDay, ukDate } from '../../kernel/uk-dates.js';
import type { WorkingCalendar } from '../../kernel/working-days.js';
import { forbidden } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { heldDelayMs } from '../../kernel/promise.js';
import { recordAudits } from '../audit/index.js';

export interface Replanned {
  id: string;
  heldUntil: string;
}

/**
 * In the transaction that records the agency's new capacity: every referral still held for it,
 * promised again from the day it now reopens (today, when it is taking referrals again).
 */
export async function replanHeldReferrals(
  trx: Executor,
  deps: Pick<ServiceDeps, 'env'>,
  agency: { id: string; clock: AgencyClock },
  capacity: Pick<Capacity, 'status' | 'closedUntil'>,
  actor: EventActor,
  now: Date,
  calendar: WorkingCalendar,
): Promise<Replanned[]> {
  const today = londonDay(now);
  const reopens = capacity.status === 'closed' && capacity.closedUntil && capacity.closedUntil > today ? capacity.closedUntil : today;
  const held = await lockHeldReferralsOfAgency(trx, agency.id, today);
  const out: Replanned[] = [];
  for (const r of held) {
    if (r.heldUntil === reopens) continue;
    const p = referralPromise({ from: now, heldUntil: reopens, agency: agency.clock }, promiseSettings(deps.env), calendar);
    if (!(await updateHeldPromise(trx, { id: r.id, heldUntil: reopens, forwardDueAt: p.forwardDueAt, contactDueAt: p.contactDueAt, at: now }))) continue;
    await appendReferralEvent(trx, {
      ...actor,
      referralId: r.id,
      at: now,
      fromStatus: 'pending',
      toStatus: 'pending',
      reason: reopens === today ? 'agency_reopened' : 'agency_closed',
      note: reopens === today ? `The agency is taking referrals again from ${ukDate(today)}: sent now` : `The agency is now closed until ${ukDate(reopens)}: the referral waits until then`,
    });
    out.push({ id: r.id, heldUntil: reopens });
  }
  return out;
}

/** After commit: each re-planned referral's forward job, timed for its new day (now, if that is today). */
export async function retimeHeldForwards(deps: Pick<ServiceDeps, 'jobs'>, replanned: Replanned[], now: Date, requestId?: string): Promise<void> {
  for (const r of replanned) {
    await deps.jobs.requeueSafely('forward-referral', { referralId: r.id, requestId }, { delayMs: heldDelayMs(r.heldUntil, now) });
  }
}

const PAGE = 50;

/** The held referrals, soonest to reopen first, a page at a time; each row names the person, so each is audited. */
export async function listHeldReferrals(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal, page: number, requestId?: string) {
  if (!isHub(principal)) throw forbidden('only coordinators and admins see held referrals');
  const now = deps.clock.now();
  const { rows, total } = await listHeldReferralRows(deps.db, londonDay(now), { limit: PAGE, offset: (page - 1) * PAGE });
  await recordAudits(deps.db, rows.map((r) => ({ principal, action: 'list', entity: 'referral', entityId: r.id, personId: r.personId, requestId, at: now })));
  return { items: rows.map(({ personId: _p, ...r }) => r), total, page, pages: Math.max(1, Math.ceil(total / PAGE)) };
}
