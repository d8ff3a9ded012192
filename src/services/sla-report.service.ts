/** The coordinators' SLA views: breaches (open or resolved, with how late) and the per-agency summary. */
import { listBreaches, slaRisk, slaSummary, type BreachFilter } from '../db/sla-report.repository.js';
import type { ServiceDeps } from './deps.js';

export async function getBreaches(deps: ServiceDeps, filter: BreachFilter) {
  return listBreaches(deps.db, filter, deps.clock.now());
}

export async function getSlaSummary(deps: ServiceDeps) {
  const now = deps.clock.now();
  return { asOf: now, windowDays: 30, agencies: await slaSummary(deps.db, now) };
}

/** What is at risk now, per agency (the dashboard): open breaches and steps due in 24 hours. */
export async function getSlaRisk(deps: ServiceDeps) {
  return slaRisk(deps.db, deps.clock.now());
}
