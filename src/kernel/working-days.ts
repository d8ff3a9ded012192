/**
 * Working-day clocks, in Europe/London. Pure: the bank holidays and the hub's closing time are
 * handed in (the calendar lives in Postgres, see modules/clocks/holiday-calendar.ts).
 *
 * - A working day is Monday to Friday and not an England and Wales bank holiday.
 * - "N working days from a moment" ends at the hub's closing time (WORKING_DAY_ENDS_AT, 17:00
 *   London by default) on the Nth working day AFTER the London day the moment falls on. So the
 *   day of receipt never counts, whatever the hour: a checklist received at 09:00 or at 18:00 on
 *   a Friday, or on the Saturday, has until closing time on the next working day. The staff who
 *   must act get at least N whole working days, and a deadline falls while the hub is open, so
 *   that a coming breach is seen (and a breach recorded) while someone can still act on it.
 * - Calendar-day promises are days, not moments: src/kernel/promise.ts counts them.
 * - Hours (the forward clock's `hours`) are elapsed time: 24 hours is 24 hours.
 */
import type { CLOCK_KINDS, FORWARD_CLOCKS } from '../../config/env.js';
import { HOUR } from './clock.js';
import { londonDay, londonMoment } from './uk-dates.js';

// the settings' words for the clocks (config/env.ts validates them; the kernel counts with them)
export { CLOCK_KINDS, FORWARD_CLOCKS, parseDayEnd } from '../../config/env.js';
export type ClockKind = (typeof CLOCK_KINDS)[number];
export type ForwardClock = (typeof FORWARD_CLOCKS)[number];

export interface WorkingCalendar {
  /** England and Wales bank holidays, 'YYYY-MM-DD' */
  holidays: ReadonlySet<string>;
  /** minutes past midnight, London, at which a working day ends (1020 = 17:00; 1440 = midnight) */
  dayEndsAtMinute: number;
}


function dayNumber(day: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) / 86_400_000;
}

function dayString(n: number): string {
  return new Date(n * 86_400_000).toISOString().slice(0, 10);
}

/** The calendar day `n` days after `day` (both 'YYYY-MM-DD'). */
export function addDaysToDay(day: string, n: number): string {
  return dayString(dayNumber(day) + n);
}

export function isWorkingDay(day: string, holidays: ReadonlySet<string>): boolean {
  const weekday = new Date(dayNumber(day) * 86_400_000).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !holidays.has(day);
}

/** The Nth working day after `day` (n >= 1; day itself never counts). */
export function nthWorkingDayAfter(day: string, n: number, holidays: ReadonlySet<string>): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`working days must be a whole number of at least 1, not ${n}`);
  let d = dayNumber(day);
  for (let left = n; left > 0; ) {
    d += 1;
    if (isWorkingDay(dayString(d), holidays)) left -= 1;
  }
  return dayString(d);
}

/** Closing time on the Nth working day after the London day of `from`. */
export function addWorkingDays(from: Date, n: number, cal: WorkingCalendar): Date {
  return londonMoment(nthWorkingDayAfter(londonDay(from), n, cal.holidays), cal.dayEndsAtMinute);
}

/** "By the end of the next working day". */
export function endOfNextWorkingDay(from: Date, cal: WorkingCalendar): Date {
  return addWorkingDays(from, 1, cal);
}

/** T1: when a referral received at `receivedAt` must have been forwarded. */
export function forwardDueAt(receivedAt: Date, clock: { kind: ForwardClock; hours: number }, cal: WorkingCalendar): Date {
  return clock.kind === 'next_working_day' ? endOfNextWorkingDay(receivedAt, cal) : new Date(receivedAt.getTime() + clock.hours * HOUR);
}
