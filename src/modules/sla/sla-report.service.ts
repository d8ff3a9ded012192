/** The coordinators' SLA views: breaches (open or resolved, with how late) and the per-agency summary. */
import { HOUR } from '../../kernel/clock.js';
import { countDueSoon, listBreaches, listDueSoon, slaRisk, slaSummary, type BreachFilter } from './sla-report.repository.js';
import type { ServiceDeps } from '../../platform/deps.js';

export async function getBreaches(deps: ServiceDeps, filter: BreachFilter) {
  return listBreaches(deps.db, filter, deps.clock.now());
}

/** The end of the warning window: what falls due before it is "due soon" (SLA_WARN_WITHIN_HOURS). */
export function warnUntil(deps: Pick<ServiceDeps, 'env'>, now: Date): Date {
  return new Date(now.getTime() + deps.env.SLA_WARN_WITHIN_HOURS * HOUR);
}

export async function getSlaSummary(deps: ServiceDeps) {
  const now = deps.clock.now();
  return { asOf: now, windowDays: 30, warnWithinHours: deps.env.SLA_WARN_WITHIN_HOURS, agencies: await slaSummary(deps.db, now, warnUntil(deps, now)) };
}

/** What is at risk now, per agency (the dashboard): open breaches and steps due within the warning window. */
export async function getSlaRisk(deps: ServiceDeps) {
  const now = deps.clock.now();
  return slaRisk(deps.db, now, warnUntil(deps, now));
}

/** The warning window in all (counts per clock) and its soonest steps, for the dashboard. */
export async function getDueSoon(deps: ServiceDeps, limit: number) {
  const now = deps.clock.now();
  const soon = warnUntil(deps, now);
  const [counts, items] = await Promise.all([countDueSoon(deps.db, now, soon), listDueSoon(deps.db, now, soon, limit)]);
  return { withinHours: deps.env.SLA_WARN_WITHIN_HOURS, counts, items };
}
