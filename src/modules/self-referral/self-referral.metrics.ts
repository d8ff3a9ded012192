/**
 * Self-referrals waiting in triage, read at scrape time through the triage list's own count (the
 * partial index of open items; cached; a failed read keeps the last value).
 */
import type { ServiceDeps } from '../../platform/deps.js';
import { addScrapeGauge, type Metrics } from '../../platform/metrics/metrics.js';
import { countOpenSelfReferrals } from './self-referral.repository.js';

export function registerSelfReferralMetrics(metrics: Metrics, deps: Pick<ServiceDeps, 'db' | 'clock'>): void {
  addScrapeGauge(metrics, {
    name: 'signpost_self_referrals_in_triage',
    help: 'Public self-referrals waiting in triage for a coordinator (released or closed ones are not counted)',
    labelNames: [],
    source: 'postgres',
    read: async () => [{ labels: {}, value: (await countOpenSelfReferrals(deps.db, deps.clock.now())).open }],
  });
}
