/**
 * Who may see and move a referral. One rule, used by every read and write: the hub sees all;
 * an agency user sees its own agency's referrals only; anyone else sees none. A referral the
 * caller may not see is reported as not found (404), so its existence does not leak.
 */
import { allowedNext, isTerminal, type Actor, type ReferralStatus } from '../domain/referral-state.js';
import { isHub, type Principal } from './auth.service.js';

export function actorFor(principal: Principal, referral: { agencyId: string }): Exclude<Actor, 'system'> | null {
  if (isHub(principal)) return 'hub';
  if (principal.role === 'agency' && principal.agencyId !== null && principal.agencyId === referral.agencyId) return 'agency';
  return null;
}

/** The statuses this actor may move the referral to now (a reopen needs one that was forwarded). */
export function allowedFor(referral: { status: string; forwardedAt: Date | null }, actor: Actor): ReferralStatus[] {
  const status = referral.status as ReferralStatus;
  const next = allowedNext(status, actor);
  return isTerminal(status) && referral.forwardedAt === null ? next.filter((s) => s !== 'accepted') : next;
}
