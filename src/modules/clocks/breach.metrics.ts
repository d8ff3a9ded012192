/** Open breaches by clock (forward, contact, follow_up), read at scrape time (cached; a failed read keeps the last values). */
import type { ServiceDeps } from '../../platform/deps.js';
import { addScrapeGauge, type Metrics } from '../../platform/metrics/metrics.js';
import { countOpenBreaches } from './breach.repository.js';

export const BREACH_CLOCKS = ['forward', 'contact', 'follow_up'] as const;

export function registerBreachMetrics(metrics: Metrics, deps: Pick<ServiceDeps, 'db'>): void {
  addScrapeGauge(metrics, {
    name: 'signpost_sla_breaches_open',
    help: 'Breaches not yet resolved, by clock: forward (T1, the hub), contact (T2, the agency), follow_up (T3, the hub\'s call)',
    labelNames: ['clock'],
    source: 'postgres',
    zero: BREACH_CLOCKS.map((clock) => ({ labels: { clock }, value: 0 })),
    read: async () => (await countOpenBreaches(deps.db)).map((r) => ({ labels: { clock: r.clock }, value: r.n })),
  });
}
