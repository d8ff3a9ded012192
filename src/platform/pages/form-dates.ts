/**
 * Dates typed into the NHS.UK date input (name[day], name[month], name[year]), read as the hub's
 * local time (Europe/London, across clock changes). A typed time is read by src/kernel/time-of-day.ts.
 */
import { UK_TIME_ZONE } from '../../kernel/uk-dates.js';

const partsFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: UK_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A moment's calendar fields in London. */
export function londonParts(at: Date): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const get = (type: string) => Number(partsFmt.formatToParts(at).find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** How far London's wall clock is ahead of UTC at this moment (0 or one hour), in ms. */
function londonOffset(at: Date): number {
  const p = londonParts(at);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(at.getTime() / 1000) * 1000;
}

/** The moment a London wall-clock time names (in the hour that does not exist in spring, the one after). */
export function londonTime(year: number, month: number, day: number, hour = 0, minute = 0): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - londonOffset(new Date(wall));
  const second = wall - londonOffset(new Date(first));
  return new Date(second);
}

export type DateProblem = 'missing' | 'invalid';

/** A real calendar date from the date input's three fields, or what is wrong with them. */
export function dateFromInput(v: Record<string, string>, name: string): { year: number; month: number; day: number } | DateProblem {
  const [d, m, y] = [v[`${name}[day]`], v[`${name}[month]`], v[`${name}[year]`]].map((x) => (x ?? '').trim());
  if (!d && !m && !y) return 'missing';
  if (![d, m, y].every((x) => /^[0-9]{1,4}$/.test(x!)) || y!.length !== 4) return 'invalid';
  const [day, month, year] = [Number(d), Number(m), Number(y)];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return 'invalid';
  return { year, month, day };
}

/** The date input's values for a moment, as London reads it ("14:30" for the time). */
export function inputValuesFor(name: string, at: Date): Record<string, string> {
  const p = londonParts(at);
  return {
    [`${name}[day]`]: String(p.day),
    [`${name}[month]`]: String(p.month),
    [`${name}[year]`]: String(p.year),
    [`${name}Time`]: `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`,
  };
}
