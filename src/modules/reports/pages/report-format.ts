/**
 * How the report pages put a figure into words: times as "within 2 days", rates as "87.5%",
 * a change as "3 more (up 50%)", and, outside the hub, small numbers held back so that a single
 * person cannot be recognised (modules/reports/report-summary.ts smallNumber).
 */
import { smallNumber, type ClockFigures } from '../report-summary.js';
import type { ChartModel } from '../../../platform/pages/charts.js';

/** One table of a report, with its chart when it has one (the chart is never shown alone). */
export interface Figure {
  id: string;
  caption: string;
  note?: string;
  chart?: ChartModel;
  chartTitle?: string;
  head: { text: string; format?: 'numeric' }[];
  rows: string[][];
  /** the words shown instead of an empty table */
  empty?: string;
}

export interface ReportSection {
  id: string;
  heading: string;
  note?: string;
  figures: Figure[];
}

// one formatter (toLocaleString makes a new one for every number)
const GROUPED = new Intl.NumberFormat('en-GB');
const n = (x: number) => GROUPED.format(x);

/** A bucket's upper edge in words: "within 4 hours", "within 3 days", "over 28 days". */
export function hoursText(h: number | null): string {
  if (h === null) return 'none yet';
  if (h === Number.POSITIVE_INFINITY) return 'over 28 days';
  if (h < 48) return `within ${h} ${h === 1 ? 'hour' : 'hours'}`;
  return `within ${h / 24} days`;
}

export function rateText(r: number | null): string {
  return r === null ? 'nothing due' : `${r}%`;
}

/** The change from the previous period: "3 more (up 50%)", "2 fewer (down 20%)", "no change". */
export function changeText(current: number, previous: number): string {
  const d = current - previous;
  if (d === 0) return 'no change';
  const pct = previous > 0 ? ` (${d > 0 ? 'up' : 'down'} ${Math.round((Math.abs(d) / previous) * 1000) / 10}%)` : '';
  return `${n(Math.abs(d))} ${d > 0 ? 'more' : 'fewer'}${pct}`;
}

/** A rate's change in percentage points: "up 4.5 points". */
export function pointsText(current: number | null, previous: number | null): string {
  if (current === null || previous === null) return 'cannot compare';
  const d = Math.round((current - previous) * 10) / 10;
  return d === 0 ? 'no change' : `${d > 0 ? 'up' : 'down'} ${Math.abs(d)} points`;
}

/** The clocks whose step was due: done on time, done late, or overdue now. */
export const clockDue = (c: ClockFigures) => c.onTime + c.late + c.overdue;
/** How many durations the median and 90th percentile rest on. */
export const clockTimed = (c: ClockFigures) => c.buckets.reduce((a, b) => a + b, 0);

/**
 * How a report writes its numbers: the hub's own pages exactly (EXACT), anything that leaves the
 * hub through small-number suppression (Suppressor).
 */
export interface Numbers {
  count(x: number): string;
  /** whether a figure resting on `base` items is withheld */
  withheld(base: number): boolean;
  readonly notShown: string;
}

export const EXACT: Numbers = { count: n, withheld: () => false, notShown: '' };

/** The change from the previous period, unless either side is withheld (the difference would give it away). */
export const changeOf = (f: Numbers, current: number, previous: number) =>
  f.withheld(current) || f.withheld(previous) ? f.notShown : changeText(current, previous);

/** A rate resting on `base` items. */
export const rateOf = (f: Numbers, r: number | null, base: number) => (f.withheld(base) ? f.notShown : rateText(r));

/** A rate's change in points, unless either rate is withheld. */
export const pointsOf = (f: Numbers, current: number | null, currentBase: number, previous: number | null, previousBase: number) =>
  f.withheld(currentBase) || f.withheld(previousBase) ? f.notShown : pointsText(current, previous);

/** Counts, rates and times as shown outside the hub. */
export class Suppressor implements Numbers {
  constructor(readonly threshold: number) {}

  withheld(base: number): boolean {
    return base > 0 && base < this.threshold;
  }

  get notShown(): string {
    // one plain thing in a cell; the page's words say what is held back and why
    return `fewer than ${this.threshold}`;
  }

  count(x: number): string {
    const v = smallNumber(x, this.threshold);
    return typeof v === 'number' ? n(v) : v;
  }

  /** A figure that rests on `base` items: shown only when they are at least the threshold. */
  resting(text: string, base: number): string {
    return this.withheld(base) ? this.notShown : text;
  }
}
