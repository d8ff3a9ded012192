/**
 * Mail the relay did not take: a counter of failed sends by the notification's kind (a word of
 * the code, never an address) and whether the refusal was permanent (5xx) or temporary (4xx, no
 * connection: retried). Counted in the process that tried to send.
 */
import { counterOf, type Metrics } from '../../platform/metrics/metrics.js';

export function mailFailures(metrics: Metrics) {
  return counterOf(metrics, {
    name: 'signpost_mail_failures_total',
    help: 'Mail sends that failed, by notification kind and whether the refusal was permanent (true) or temporary (false, retried)',
    labelNames: ['kind', 'permanent'],
  });
}

/** Registers the counter up front, so that it is scraped (at 0) before the first failure. */
export function registerMailMetrics(metrics: Metrics): void {
  mailFailures(metrics);
}
