/**
 * How long a referral took from its receipt to the agency's mail being accepted by the relay:
 * observed once per referral, where the forward worker records the mail as accepted (a re-run
 * that finds it already forwarded observes nothing).
 */
import { histogramOf, type Metrics } from '../../platform/metrics/metrics.js';

const MINUTE = 60;
const HOUR_S = 3600;

export function forwardLatency(metrics: Metrics) {
  return histogramOf(metrics, {
    name: 'signpost_forward_latency_seconds',
    help: 'Time from a referral\'s receipt to its agency\'s mail being accepted by the mail server',
    labelNames: [],
    buckets: [10, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR_S, 2 * HOUR_S, 4 * HOUR_S, 8 * HOUR_S, 12 * HOUR_S, 24 * HOUR_S, 48 * HOUR_S, 7 * 24 * HOUR_S],
  });
}

export function registerForwardMetrics(metrics: Metrics): void {
  forwardLatency(metrics);
}
