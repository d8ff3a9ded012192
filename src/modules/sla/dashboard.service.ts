/** The coordinators' dashboard: what is at risk now, and the charts of the last weeks. */
import { addDays } from '../../kernel/clock.js';
import { londonDay } from '../../kernel/uk-dates.js';
import { callsDueBy } from '../../kernel/promise.js';
import { slaCompliance, weeklyReferralVolume } from './sla-report.repository.js';
import { forbidden } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { getBreaches, getDueSoon, getSlaRisk } from './sla-report.service.js';
import { countOpenFollowUps } from '../follow-up/index.js';
import { listNotificationRows } from '../notifications/index.js';
import { countHeldReferrals, listReferrals } from '../referrals/index.js';
import { triageCounts } from '../self-referral/index.js';

export async function hubDashboard(deps: ServiceDeps, principal: Principal, requestId?: string) {
  if (!isHub(principal)) throw forbidden('only coordinators and admins see this');
  const now = deps.clock.now();
  // self-referrals waiting for the hub's call count too: their forward clock is already running
  const [risk, breaches, failed, rejected, weekly, compliance, failedMail, calls, warnings, triage, held] = await Promise.all([
    getSlaRisk(deps),
    getBreaches(deps, { open: true, limit: 50 }),
    listReferrals(deps, principal, { status: ['forward_failed'], limit: 50 }, requestId),
    listReferrals(deps, principal, { status: ['rejected'], limit: 50 }, requestId),
    weeklyReferralVolume(deps.db, now, 8),
    slaCompliance(deps.db, new Date(now.getTime() - 30 * 86_400_000), now),
    listNotificationRows(deps.db, { failedOnly: true, limit: 20 }),
    countOpenFollowUps(deps.db, callsDueBy(now), addDays(now, 7)),
    getDueSoon(deps, 20),
    triageCounts(deps),
    countHeldReferrals(deps.db, londonDay(now)),
  ]);
  const openByAgency = risk.filter((a) => a.openBreaches.forward + a.openBreaches.contact + a.openBreaches.follow_up > 0);
  const dueSoon = risk.filter((a) => a.dueSoon.forward + a.dueSoon.contact + a.dueSoon.follow_up > 0);
  return { now, openByAgency, breaches, dueSoon, warnings, failedForwards: failed.items, rejected: rejected.items, weekly, compliance, failedMail, calls, triage, held };
}
