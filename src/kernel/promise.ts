/**
 * The hub's promise for one referral: when the hub will have sent it to the agency (T1), when
 * the agency will have contacted the person (T2) and when the hub will call the person to check
 * their needs were met (T3). Pure.
 *
 * ONE function computes all three, once, when the referral is made (at intake, at a re-route,
 * and again only when a held referral's agency changes its reopening day), and the result is
 * stored on the referral (forward_due_at, contact_due_at, held_until). Every surface (the
 * person's confirmation and printed record, the agency's mail, inbox and page, the hub's pages,
 * the API, the SLA sweep) reads those stored instants, so nobody is told a date that another
 * surface, or the sweep, contradicts.
 *
 * The rules:
 *  - The clocks start at receipt; for a referral HELD because its agency is closed to new
 *    referrals (and its question has no usable fallback), on the day the agency reopens
 *    (midnight, London), or at receipt if that is later.
 *  - T1, the forward deadline: FORWARD_CLOCK from the start (24 elapsed hours, or closing time
 *    on the next working day).
 *  - T2, the contact deadline: the agency's contact days (calendar or working days, per agency)
 *    after the day the forward deadline closes, so it holds even if the hub forwards at its
 *    last moment. It ends with that day: at midnight for calendar days, at the hub's closing
 *    time (WORKING_DAY_ENDS_AT) for working days, as every working-day deadline does.
 *  - T3, the hub's call: falls due on the Nth working day after the day the contact deadline
 *    closes (N = FOLLOW_UP_WORKING_DAYS_AFTER_CONTACT, 1 by default) and is due by closing time
 *    that day. So the hub never asks "were your needs met?" before the date the person was
 *    given. A checklist has one call: after the latest contact deadline of its referrals.
 */
import { deadlineDay, londonDay, londonMoment } from './uk-dates.js';
import { addDaysToDay, forwardDueAt, nthWorkingDayAfter, type ClockKind, type ForwardClock, type WorkingCalendar } from './working-days.js';

export interface PromiseSettings {
  forward: { kind: ForwardClock; hours: number };
  /** the working days after the contact deadline's day on which the hub's call falls due */
  followUpWorkingDaysAfterContact: number;
}

export interface AgencyClock {
  contactDays: number;
  contactClock: ClockKind;
}

export interface ReferralPromise {
  /** when the clocks started */
  startsAt: Date;
  /** the day a closed agency reopens, when the referral waits for it ('YYYY-MM-DD'), else null */
  heldUntil: string | null;
  forwardDueAt: Date;
  contactDueAt: Date;
  followUpDueAt: Date;
}

const MIDNIGHT_AT_END = 1440;

/** The hub's call for a referral whose contact deadline is `contactDueAt`. */
export function followUpDueAt(contactDueAt: Date, s: Pick<PromiseSettings, 'followUpWorkingDaysAfterContact'>, cal: WorkingCalendar): Date {
  return londonMoment(nthWorkingDayAfter(deadlineDay(contactDueAt), s.followUpWorkingDaysAfterContact, cal.holidays), cal.dayEndsAtMinute);
}

/** The promise for a referral made at `from`, held until `heldUntil` when its agency is closed. */
export function referralPromise(
  input: { from: Date; heldUntil: string | null; agency: AgencyClock },
  s: PromiseSettings,
  cal: WorkingCalendar,
): ReferralPromise {
  const reopens = input.heldUntil === null ? null : londonMoment(input.heldUntil, 0);
  const startsAt = reopens && reopens > input.from ? reopens : input.from;
  const forward = forwardDueAt(startsAt, s.forward, cal);
  const fromDay = deadlineDay(forward);
  const { contactDays, contactClock } = input.agency;
  const contactDueAt =
    contactClock === 'working_days'
      ? londonMoment(nthWorkingDayAfter(fromDay, contactDays, cal.holidays), cal.dayEndsAtMinute)
      : londonMoment(addDaysToDay(fromDay, contactDays), MIDNIGHT_AT_END);
  return { startsAt, heldUntil: input.heldUntil, forwardDueAt: forward, contactDueAt, followUpDueAt: followUpDueAt(contactDueAt, s, cal) };
}

/**
 * The hub's calls are due on their day, by closing time: a call is on the coordinators' "due"
 * list from the start of that day, so this is the end of today (London): every call due before
 * it is due now.
 */
export function callsDueBy(now: Date): Date {
  return londonMoment(addDaysToDay(londonDay(now), 1), 0);
}

/** The start of the day a call is due on (midnight, London): from then it is on the "due" list. */
export function callDayStarts(dueAt: Date): Date {
  return londonMoment(deadlineDay(dueAt), 0);
}

/** How long until a held referral's agency reopens (midnight, London, that day); 0 once it has. */
export function heldDelayMs(heldUntil: string, now: Date): number {
  return Math.max(0, londonMoment(heldUntil, 0).getTime() - now.getTime());
}

/** The settings of the promise, from the hub's configuration. */
export function promiseSettings(env: { FORWARD_CLOCK: ForwardClock; FORWARD_WITHIN_HOURS: number; FOLLOW_UP_WORKING_DAYS_AFTER_CONTACT: number }): PromiseSettings {
  return { forward: { kind: env.FORWARD_CLOCK, hours: env.FORWARD_WITHIN_HOURS }, followUpWorkingDaysAfterContact: env.FOLLOW_UP_WORKING_DAYS_AFTER_CONTACT };
}
