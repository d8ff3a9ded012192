/**
 * Agency capacity, as the agency says it: accepting, a waiting list (the usual wait in weeks),
 * or closed to new referrals until a date. Pure.
 *
 * Read-time rules (the database keeps what was said; these say what it means now):
 *  - never said: accepting, and unconfirmed;
 *  - closed until a day that has come (in London): accepting again, and unconfirmed, since the
 *    agency has not said so itself (the intake function applies the same rule);
 *  - not confirmed for `unconfirmedAfterDays` days (30): unconfirmed.
 * "Closed" is the agency's word and "paused" the hub's switch: a paused agency's referrals
 * always wait; a closed agency's go to a question's fallback when there is one.
 */
import { DAY } from './clock.js';
import type { AgencyClock } from './promise.js';
import type { QuestionnaireView } from './questionnaire.js';
import { londonDay, ukDate } from './uk-dates.js';
import { addDaysToDay } from './working-days.js';

export const CAPACITY_STATUSES = ['accepting', 'waiting_list', 'closed'] as const;
export type CapacityStatus = (typeof CAPACITY_STATUSES)[number];

export interface CapacityRecord {
  status: CapacityStatus;
  waitWeeks: number | null;
  /** 'YYYY-MM-DD': closed before this day, accepting from it */
  closedUntil: string | null;
  confirmedAt: Date | null;
  confirmedByLabel: string | null;
}

export interface Capacity extends CapacityRecord {
  unconfirmed: boolean;
  /** the closing date has come: read as accepting until the agency confirms */
  reopened: boolean;
}

export const UNSAID: CapacityRecord = { status: 'accepting', waitWeeks: null, closedUntil: null, confirmedAt: null, confirmedByLabel: null };

export function effectiveCapacity(rec: CapacityRecord | undefined, now: Date, unconfirmedAfterDays: number): Capacity {
  const r = rec ?? UNSAID;
  if (r.status === 'closed' && r.closedUntil !== null && r.closedUntil <= londonDay(now)) {
    return { ...r, status: 'accepting', waitWeeks: null, closedUntil: null, unconfirmed: true, reopened: true };
  }
  const unconfirmed = r.confirmedAt === null || now.getTime() - r.confirmedAt.getTime() > unconfirmedAfterDays * DAY;
  return { ...r, unconfirmed, reopened: false };
}

/** The agencies closed now, with the day each reopens: what routing needs. */
export function closedAgencies(capacities: ReadonlyMap<string, Capacity>): Map<string, string> {
  const closed = new Map<string, string>();
  for (const [id, c] of capacities) if (c.status === 'closed' && c.closedUntil) closed.set(id, c.closedUntil);
  return closed;
}

/** "Waiting list: usually 6 weeks"; "Closed until 3 March 2027: referrals go to X" or "... will wait". */
export function capacityWords(c: Pick<CapacityRecord, 'status' | 'waitWeeks' | 'closedUntil'>, fallbackName?: string | null): string | null {
  if (c.status === 'waiting_list' && c.waitWeeks) return `Waiting list: usually ${weeks(c.waitWeeks)}`;
  if (c.status === 'closed' && c.closedUntil) {
    return `Closed until ${ukDate(c.closedUntil)}: ${fallbackName ? `referrals go to ${fallbackName}` : 'referrals will wait until then'}`;
  }
  return null;
}

/** What the person is told to expect from one agency, or null when nothing delays it. */
export function likelyWait(c: Pick<CapacityRecord, 'status' | 'waitWeeks' | 'closedUntil'>): string | null {
  if (c.status === 'waiting_list' && c.waitWeeks) return `They have a waiting list: it is usually about ${weeks(c.waitWeeks)} before they can help.`;
  if (c.status === 'closed' && c.closedUntil) return `They are not taking new referrals until ${ukDate(c.closedUntil)}, so yours waits until then.`;
  return null;
}

export const weeks = (n: number) => `${n} week${n === 1 ? '' : 's'}`;

/**
 * Why a closing date cannot be taken, or null. It is after today (a date that has come reads as
 * reopened) and at most `maxDays` days ahead (CAPACITY_CLOSED_MAX_DAYS): an agency closed "until
 * 31/12/9999" would hold its referrals for ever, unconfirmed and unreviewed.
 */
export function closedUntilProblem(closedUntil: string, today: string, maxDays: number): string | null {
  if (closedUntil <= today) return 'must be a date after today';
  const last = addDaysToDay(today, maxDays);
  if (closedUntil > last) return `must be at most ${maxDays} days from today (${ukDate(last)} at the latest)`;
  return null;
}

/** What routing and the promise read of every agency, cached per process. */
export interface AgencyFacts {
  /** what each agency last said of its capacity; an agency that never said is absent */
  capacity: Map<string, CapacityRecord>;
  /** each agency's contact clock (T2), which the promise counts with */
  clocks: Map<string, AgencyClock>;
}

/** Every agency's capacity as it reads at `now`, from what each last said. */
export function capacitiesAt(records: ReadonlyMap<string, CapacityRecord>, now: Date, unconfirmedAfterDays: number): Map<string, Capacity> {
  const out = new Map<string, Capacity>();
  for (const [id, r] of records) out.set(id, effectiveCapacity(r, now, unconfirmedAfterDays));
  return out;
}

/** The words shown beside each question of the checklist: its agency's wait, or where it goes while closed. */
export function checklistWaits(caps: ReadonlyMap<string, Capacity>, q: QuestionnaireView): Record<string, string> {
  const names = new Map<string, string>();
  for (const s of q.sections) for (const x of s.questions) names.set(x.agencyId, x.agencyName);
  const out: Record<string, string> = {};
  for (const s of q.sections) {
    for (const x of s.questions) {
      const c = caps.get(x.agencyId);
      if (!c) continue;
      const fb = x.fallbackAgencyId && caps.get(x.fallbackAgencyId)?.status !== 'closed' ? (x.fallbackAgencyName ?? names.get(x.fallbackAgencyId) ?? null) : null;
      const words = capacityWords(c, fb);
      if (words) out[x.id] = words;
    }
  }
  return out;
}
