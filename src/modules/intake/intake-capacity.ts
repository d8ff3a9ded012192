/**
 * What capacity adds to an intake: what each referral's reply says of the likely wait, the
 * routing records the intake function stores (a fallback used and why, a closed agency's
 * referral that waits, a waiting list), and the capacities routing relied on, which the intake
 * function checks still hold. No I/O.
 */
import { capacityWords, likelyWait, UNSAID, type Capacity } from '../../kernel/capacity.js';
import type { RoutedReferral } from './routing.js';
import type { AgencyClock } from '../../kernel/promise.js';
import { ukDate } from '../../kernel/uk-dates.js';
import type { CapacitySeen, RoutingRow } from './submission.repository.js';

/** The reply's word on one referral's wait. */
export interface ReferralWait {
  status: Capacity['status'];
  waitWeeks: number | null;
  closedUntil: string | null;
  /** what to tell the person, or null when nothing delays it */
  likelyWait: string | null;
  /** questions routed here because their own agency was closed */
  fallbackFor: { agencyId: string; agencyName: string; questionIds: string[]; closedUntil: string }[];
}

const capOf = (caps: ReadonlyMap<string, Capacity>, id: string) => caps.get(id) ?? { ...UNSAID, unconfirmed: true, reopened: false };

/** What routing and the promise relied on, for the intake function to check: each agency's capacity and contact clock. */
export function capacitySeen(caps: ReadonlyMap<string, Capacity>, clocks: ReadonlyMap<string, AgencyClock>, agencyIds: string[]): CapacitySeen[] {
  return agencyIds.map((id) => {
    const c = capOf(caps, id);
    const k = clocks.get(id);
    if (!k) throw new Error(`no contact clock for agency ${id}`);
    return { agency_id: id, status: c.status, wait_weeks: c.waitWeeks, closed_until: c.closedUntil, contact_days: k.contactDays, contact_clock: k.contactClock };
  });
}

/** The wait per referral (same order as `routed`) and the routing rows for those that need one. */
export function intakeCapacity(
  routed: RoutedReferral[],
  referralIds: string[],
  caps: ReadonlyMap<string, Capacity>,
  agencyName: (id: string) => string,
): { waits: ReferralWait[]; routing: RoutingRow[] } {
  const waits: ReferralWait[] = [];
  const routing: RoutingRow[] = [];
  routed.forEach((r, i) => {
    const c = capOf(caps, r.agencyId);
    const fallbackFor = (r.fallbackFor ?? []).map((f) => ({ agencyId: f.fromAgencyId, agencyName: agencyName(f.fromAgencyId), questionIds: f.questionIds, closedUntil: f.closedUntil }));
    waits.push({ status: c.status, waitWeeks: c.waitWeeks, closedUntil: c.closedUntil, likelyWait: likelyWait(c), fallbackFor });
    const sentences: string[] = [];
    for (const f of fallbackFor) {
      sentences.push(`Sent to ${agencyName(r.agencyId)} instead of ${f.agencyName}, which is closed to new referrals until ${ukDate(f.closedUntil)} (${f.questionIds.length === 1 ? 'one question' : `${f.questionIds.length} questions`}).`);
    }
    if (r.held?.length && c.closedUntil) {
      const why = r.held.some((h) => h.reason === 'fallback_closed') ? 'its fallback agency is closed too' : 'the question has no fallback agency';
      sentences.push(`${agencyName(r.agencyId)} is closed to new referrals until ${ukDate(c.closedUntil)} and ${why}: the referral waits until it reopens.`);
    } else {
      const words = capacityWords(c);
      if (words) sentences.push(`${agencyName(r.agencyId)}: ${words.charAt(0).toLowerCase()}${words.slice(1)}.`);
    }
    if (!sentences.length) return;
    routing.push({
      referral_id: referralIds[i]!,
      capacity: c.status,
      wait_weeks: c.waitWeeks,
      closed_until: c.closedUntil,
      fallbacks: (r.fallbackFor ?? []).map((f) => ({ fromAgencyId: f.fromAgencyId, questionIds: f.questionIds, closedUntil: f.closedUntil })),
      // the referral's history says so when a closed agency changed its course
      reason: fallbackFor.length ? 'routed_to_fallback' : r.held?.length ? 'agency_closed' : null,
      note: sentences.join(' '),
    });
  });
  return { waits, routing };
}
