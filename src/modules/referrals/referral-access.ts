/**
 * Who may see and move a referral, and how much of it they see. One rule, used by every read
 * and write (API, pages, agency links):
 *  - the hub sees everything;
 *  - an agency user sees its own agency's referrals, and only from the moment one was forwarded
 *    to it (a referral still pending, say while the agency is paused, is not the agency's yet);
 *  - once a referral is cancelled (consent withdrawn, entered in error) or re-routed away, or
 *    the person has withdrawn their consent for its agency (even after the referral finished),
 *    its agency keeps the reference, status and dates but no longer sees the person or the answers;
 *    through an emailed link (a bearer credential) and in the signed-in inbox (a list seen at a
 *    glance), the same once the referral is finished: the person is named only while there is
 *    something to do for them, or in a read of the one referral by an account (agencySeesPerson);
 *  - anyone else sees nothing: the referral reads as not found (404), so its existence does
 *    not leak.
 */
import { allowedNext, isTerminal, type Actor, type ReferralStatus } from '../../kernel/referral-state.js';
import { isHub, type Principal } from '../../kernel/principal.js';

export type View = 'full' | 'summary';
/**
 * How the caller came: signed in (API token or web session), through an agency's emailed link, or
 * the signed-in agency's inbox page (a list of its referrals, seen at a glance).
 */
export type Channel = 'account' | 'link' | 'inbox';

const WITHDRAWN_FROM_AGENCY = new Set<string>(['cancelled', 'rerouted']);

export interface ReferralAccess {
  actor: Exclude<Actor, 'system'>;
  view: View;
}

export function accessTo(
  principal: Principal,
  referral: { agencyId: string; status: string; forwardedAt: Date | null; consentWithdrawn?: boolean },
  channel: Channel = 'account',
): ReferralAccess | null {
  if (isHub(principal)) return { actor: 'hub', view: 'full' };
  if (principal.role !== 'agency' || principal.agencyId === null || principal.agencyId !== referral.agencyId) return null;
  if (referral.forwardedAt === null) return null;
  return { actor: 'agency', view: agencySeesPerson(referral.status, referral.consentWithdrawn === true, channel) ? 'full' : 'summary' };
}

/**
 * Whether an agency sees the person on its referral, in a read or on a list's row: the one rule.
 * Never once the referral was withdrawn from it (cancelled, re-routed, or consent withdrawn); once
 * it is finished, only an account's read (the API, or the referral's own page) still names them.
 */
export function agencySeesPerson(status: string, consentWithdrawn: boolean, channel: Channel = 'account'): boolean {
  if (WITHDRAWN_FROM_AGENCY.has(status) || consentWithdrawn) return false;
  return channel === 'account' || !isTerminal(status as ReferralStatus);
}

/** The statuses this actor may move the referral to now (a reopen needs one that was forwarded). */
export function allowedFor(referral: { status: string; forwardedAt: Date | null }, actor: Actor): ReferralStatus[] {
  const status = referral.status as ReferralStatus;
  const next = allowedNext(status, actor);
  return isTerminal(status) && referral.forwardedAt === null ? next.filter((s) => s !== 'accepted') : next;
}
