/**
 * The referrals' gauges, read at scrape time (cached, never failing the scrape: the platform's
 * addScrapeGauge): referrals awaiting their forward, and those held for a closed agency.
 */
import { londonDay } from '../../kernel/uk-dates.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { addScrapeGauge, cachedReading, type Metrics } from '../../platform/metrics/metrics.js';
import { countReferralsAwaitingForward } from './referral.repository.js';

export function registerReferralMetrics(metrics: Metrics, deps: Pick<ServiceDeps, 'db' | 'clock'>): void {
  // one query answers both gauges
  const read = cachedReading(metrics, 'postgres', 'signpost_referrals', () => countReferralsAwaitingForward(deps.db, londonDay(deps.clock.now())));
  addScrapeGauge(metrics, {
    name: 'signpost_referrals_awaiting_forward',
    help: 'Referrals not yet sent to their agency: pending (due to be sent now) and forward_failed (refused by the mail server, waiting for a coordinator)',
    labelNames: ['status'],
    source: 'postgres',
    zero: [{ labels: { status: 'pending' }, value: 0 }, { labels: { status: 'forward_failed' }, value: 0 }],
    read: async () => {
      const c = await read();
      return c && [{ labels: { status: 'pending' }, value: c.pending }, { labels: { status: 'forward_failed' }, value: c.forwardFailed }];
    },
  });
  addScrapeGauge(metrics, {
    name: 'signpost_referrals_held',
    help: 'Referrals held for an agency closed to new referrals (sent when it reopens)',
    labelNames: [],
    source: 'postgres',
    read: async () => {
      const c = await read();
      return c && [{ labels: {}, value: c.held }];
    },
  });
}
