/**
 * The period of a report page, read from its address: ISO days (`from=2026-04-01`, what a preset
 * link carries) or the date input's day, month and year fields. Dates only: the address of a
 * report holds nothing about a person.
 */
import { dateFromInput } from '../../../platform/pages/form-dates.js';

const iso = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The preset periods, as London's calendar has them today. */
export function presetPeriods(today: string): { text: string; from: string; to: string }[] {
  const [y, m] = today.split('-').map(Number) as [number, number];
  const quarterStart = Math.floor((m - 1) / 3) * 3 + 1;
  const lastQuarterStart = quarterStart - 3 < 1 ? [y - 1, quarterStart + 9] : [y, quarterStart - 3];
  const fyStart = m >= 4 ? y : y - 1;
  return [
    { text: 'This month so far', from: iso(y, m, 1), to: today },
    { text: 'Last month', from: iso(y, m - 1, 1), to: iso(y, m, 0) },
    { text: 'The last full quarter', from: iso(lastQuarterStart[0]!, lastQuarterStart[1]!, 1), to: iso(lastQuarterStart[0]!, lastQuarterStart[1]! + 3, 0) },
    { text: `This financial year so far (from 1 April ${fyStart})`, from: iso(fyStart, 4, 1), to: today },
    { text: `Last financial year (April ${fyStart - 1} to March ${fyStart})`, from: iso(fyStart - 1, 4, 1), to: iso(fyStart, 3, 31) },
  ];
}

export interface PeriodInput {
  /** both days, when both were given and are real dates (not yet checked against each other) */
  from?: string;
  to?: string;
  /** neither day was given at all */
  none: boolean;
  fieldErrors: Record<string, string>;
}

/** The two days of the address, or what is wrong with them, in the words the form shows. */
export function readPeriod(v: Record<string, string>): PeriodInput {
  const fieldErrors: Record<string, string> = {};
  const given = (name: string) => [name, `${name}[day]`, `${name}[month]`, `${name}[year]`].some((k) => (v[k] ?? '').trim() !== '');
  const day = (name: 'from' | 'to', words: string) => {
    const s = (v[name] ?? '').trim();
    if (ISO_DAY.test(s)) {
      const [y, m, d] = s.split('-').map(Number) as [number, number, number];
      if (iso(y, m, d) === s) return s;
      fieldErrors[name] = `Enter a real date for the ${words} day, for example 1 4 2026`;
      return undefined;
    }
    const d = dateFromInput(v, name);
    if (d === 'missing') fieldErrors[name] = `Enter the ${words} day`;
    else if (d === 'invalid') fieldErrors[name] = `Enter a real date for the ${words} day, for example 1 4 2026`;
    else return iso(d.year, d.month, d.day);
    return undefined;
  };
  if (!given('from') && !given('to')) return { none: true, fieldErrors };
  const from = day('from', 'first');
  const to = day('to', 'last');
  if (from && to && to < from) fieldErrors.to = 'The last day must be the same as the first day or after it';
  return { from, to, none: false, fieldErrors };
}

/** The date input's values for two ISO days, so the form shows the period on the page. */
export function periodValues(from: string, to: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, s] of [['from', from], ['to', to]] as const) {
    const [y, m, d] = s.split('-');
    out[`${name}[day]`] = String(Number(d));
    out[`${name}[month]`] = String(Number(m));
    out[`${name}[year]`] = y!;
  }
  return out;
}

export const errorList = (fieldErrors: Record<string, string>) => Object.entries(fieldErrors).map(([id, text]) => ({ text, href: `#${id}` }));
