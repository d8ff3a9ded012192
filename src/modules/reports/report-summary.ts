/**
 * The summary report of a period (GET /api/v1/reports/summary, the hub's reports page, each
 * agency's own performance page): its shape, and the pure rules behind its figures.
 *
 *  - The period is London's whole days `from` to `to`; the figures are about what was received
 *    in it (checklists and their referrals, as the CSV export is), followed to today.
 *  - Clock times come from the daily rollup's duration buckets (DURATION_BUCKETS_HOURS): a median
 *    or 90th percentile is reported as the bucket's upper edge, "within N hours", which is how a
 *    return states it and what a day-by-day rollup can add up at a million referrals.
 *  - Small numbers: outside the hub, a count from 1 to threshold - 1 is shown as "<threshold",
 *    and a rate or percentile resting on fewer items than the threshold is not shown.
 */
import type { WellbeingChange } from '../../kernel/wellbeing.js';

export type { WellbeingChange };

/** The upper edges (hours) of the duration buckets; a last bucket holds everything longer. */
export const DURATION_BUCKETS_HOURS = [1, 2, 4, 8, 12, 24, 48, 72, 96, 120, 168, 240, 336, 504, 672] as const;
export const BUCKET_COUNT = DURATION_BUCKETS_HOURS.length + 1;

export type ClockName = 'forward' | 'contact' | 'follow_up';
export const CLOCKS: ClockName[] = ['forward', 'contact', 'follow_up'];
export const CLOCK_LABELS: Record<ClockName, string> = {
  forward: 'Forwarded to the agency (the hub)',
  contact: 'Person contacted (the agency)',
  follow_up: 'Follow-up call (the hub)',
};

/** The bucket a duration falls in: the first edge it does not exceed. */
export function bucketOf(hours: number): number {
  const i = DURATION_BUCKETS_HOURS.findIndex((edge) => hours <= edge);
  return i === -1 ? DURATION_BUCKETS_HOURS.length : i;
}

/**
 * The p-th percentile (0-100, nearest rank) of the durations counted in `buckets`, as the upper
 * edge of its bucket in hours; null for no durations, Infinity when it falls in the last bucket.
 */
export function percentileFromBuckets(buckets: readonly number[], p: number): number | null {
  const n = buckets.reduce((a, b) => a + b, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  let seen = 0;
  for (const [i, count] of buckets.entries()) {
    seen += count;
    if (seen >= rank) return DURATION_BUCKETS_HOURS[i] ?? Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}

export interface ClockFigures {
  clock: ClockName;
  /** clocks whose step was done: on time, late */
  onTime: number;
  late: number;
  /** not done yet and past the deadline (counted live) */
  overdue: number;
  /** not done yet and not due yet (counted live) */
  notYetDue: number;
  /** stopped before the step (the referral ended first) */
  ended: number;
  /** onTime / (onTime + late + overdue), as a percentage to one decimal place; null when nothing was due */
  onTimeRate: number | null;
  /** hours (a bucket's upper edge); Infinity means longer than the last edge */
  medianHours: number | null;
  p90Hours: number | null;
  buckets: number[];
}

export interface AgencyFigures {
  agencyId: string;
  agency: string;
  referrals: number;
  rerouted: number;
  clocks: ClockFigures[];
  /** outcome code -> referrals closed with it */
  outcomes: { code: string; label: string; referrals: number }[];
  needsMet: NeedsMetFigures;
}

export interface NeedsMetFigures {
  yes: number;
  partly: number;
  no: number;
  notYet: number;
}

export interface SummaryReport {
  period: { from: string; to: string; days: number };
  filter: { agencyId: string | null; agency: string | null; organisationId: string | null; organisation: string | null };
  generatedAt: string;
  checklists: number;
  /** checklists with no "yes" answer */
  noNeeds: number;
  people: number;
  referrals: number;
  byAgency: AgencyFigures[];
  /** the whole hub (or the filter's share), every agency together */
  clocks: ClockFigures[];
  byQuestion: { questionId: string; question: string; section: string; position: number; referrals: number }[];
  bySection: { section: string; referrals: number }[];
  byOrganisation: { organisationId: string | null; organisation: string; type: string | null; checklists: number; referrals: number }[];
  byOrganisationType: { type: string | null; label: string; checklists: number; referrals: number }[];
  outcomes: { code: string; label: string; snomedCode: string | null; referrals: number }[];
  needsMet: NeedsMetFigures;
  wellbeing: WellbeingChange;
  ageBands: { band: string; count: number }[];
  postcodeDistricts: { district: string; checklists: number }[];
}

/** A count as shown outside the hub: 1 to threshold - 1 become "<threshold". */
export function smallNumber(n: number, threshold: number): number | string {
  return n > 0 && n < threshold ? `<${threshold}` : n;
}

/** The period before `from`..`to`: as many whole calendar months when it is whole months, else as many days. */
export function previousPeriod(from: string, to: string): { from: string; to: string } {
  const d = (s: string) => new Date(`${s}T00:00:00Z`);
  const iso = (t: Date) => t.toISOString().slice(0, 10);
  const f = d(from);
  const t = d(to);
  const dayAfterTo = new Date(t.getTime() + 86_400_000);
  if (f.getUTCDate() === 1 && dayAfterTo.getUTCDate() === 1) {
    const months = (dayAfterTo.getUTCFullYear() - f.getUTCFullYear()) * 12 + dayAfterTo.getUTCMonth() - f.getUTCMonth();
    const start = new Date(Date.UTC(f.getUTCFullYear(), f.getUTCMonth() - months, 1));
    return { from: iso(start), to: iso(new Date(f.getTime() - 86_400_000)) };
  }
  const days = Math.round((t.getTime() - f.getTime()) / 86_400_000) + 1;
  return { from: iso(new Date(f.getTime() - days * 86_400_000)), to: iso(new Date(f.getTime() - 86_400_000)) };
}

/**
 * The whole calendar months within `from`..`to` (dates): the first day of the first and of the
 * last, and the last whole month's last day; null when the period holds no whole month. The
 * report reads these months from the monthly rollup and the days either side from the daily one.
 */
export function wholeMonths(from: string, to: string): { first: string; last: string; lastDay: string } | null {
  const d = (s: string) => new Date(`${s}T00:00:00Z`);
  const iso = (t: Date) => t.toISOString().slice(0, 10);
  const f = d(from);
  const t = d(to);
  const first = f.getUTCDate() === 1 ? f : new Date(Date.UTC(f.getUTCFullYear(), f.getUTCMonth() + 1, 1));
  // the month after the last whole one starts the day after `to` when `to` ends a month
  const after = new Date(t.getTime() + 86_400_000);
  const end = after.getUTCDate() === 1 ? after : new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1));
  if (end <= first) return null;
  const last = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1));
  return { first: iso(first), last: iso(last), lastDay: iso(new Date(end.getTime() - 86_400_000)) };
}

/** A rate as a percentage to one decimal place, or null when there is nothing to divide by. */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : null;
}

/** The summary of a period beside the period before it (the hub's report). */
export interface SummaryComparison {
  current: SummaryReport;
  previous: SummaryReport;
}

/** An agency's own figures beside the whole hub's, for the same period (its performance page). */
export interface AgencyPerformance {
  agency: SummaryReport;
  hub: SummaryReport;
}
