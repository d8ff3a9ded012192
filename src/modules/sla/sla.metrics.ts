/**
 * The SLA's gauges. At scrape time (cached; a failed read keeps the last values): the steps due
 * within the next 24 hours, by clock, counted through each clock's partial index of open items
 * (the dashboard's own count). Set by the sweep: when it last ran to the end, which the "sweep not
 * run" alert watches (docs/ops/alerts.yml).
 */
import { HOUR } from '../../kernel/clock.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { addScrapeGauge, gaugeOf, type Metrics } from '../../platform/metrics/metrics.js';
import { countDueSoon } from './sla-report.repository.js';

const CLOCKS = ['forward', 'contact', 'follow_up'] as const;

export function registerDueSoonMetrics(metrics: Metrics, deps: Pick<ServiceDeps, 'db' | 'clock'>): void {
  addScrapeGauge(metrics, {
    name: 'signpost_due_within_24h',
    help: 'Steps falling due within the next 24 hours and not yet late, by clock: forward (T1), contact (T2), follow_up (T3)',
    labelNames: ['clock'],
    source: 'postgres',
    zero: CLOCKS.map((clock) => ({ labels: { clock }, value: 0 })),
    read: async () => {
      const now = deps.clock.now();
      const counts = await countDueSoon(deps.db, now, new Date(now.getTime() + 24 * HOUR));
      return CLOCKS.map((clock) => ({ labels: { clock }, value: counts[clock] }));
    },
  });
}

/** The gauge the sweep sets when it finishes (its name is what the alert reads). */
export function sweepLastRunGauge(metrics: Metrics) {
  return gaugeOf(metrics, {
    name: 'signpost_sla_sweep_last_run_timestamp_seconds',
    help: 'When this process last finished an SLA sweep (Unix time, seconds); 0 until it has run one',
    labelNames: [],
  });
}

/** Registers the sweep's gauge up front (0 until this process has run a sweep). */
export function registerSweepMetrics(metrics: Metrics): void {
  sweepLastRunGauge(metrics);
}
