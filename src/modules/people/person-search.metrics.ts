/**
 * The name indexer's lag, read at scrape time (cached; a failed read keeps the last value): how
 * long ago the oldest checklist it has not read yet was written, 0 when it has read them all.
 * The "name index behind" alert watches it (docs/ops/alerts.yml): while it grows, people new since
 * then are found by the beginnings of their names but not by a misspelling.
 */
import type { ServiceDeps } from '../../platform/deps.js';
import { addScrapeGauge, type Metrics } from '../../platform/metrics/metrics.js';
import { oldestUnreadSubmission } from './person-search-names.repository.js';

export function registerPersonSearchIndexMetrics(metrics: Metrics, deps: Pick<ServiceDeps, 'db' | 'clock'>): void {
  addScrapeGauge(metrics, {
    name: 'signpost_person_search_index_lag_seconds',
    help: 'How long ago the oldest checklist the person-search name indexer has not read yet was written (seconds); 0 when it has read every one',
    labelNames: [],
    source: 'postgres',
    read: async () => {
      const oldest = await oldestUnreadSubmission(deps.db);
      const lag = oldest ? Math.max(0, (deps.clock.now().getTime() - oldest.getTime()) / 1000) : 0;
      return [{ labels: {}, value: lag }];
    },
  });
}
