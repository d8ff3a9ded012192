/**
 * The process's Prometheus metrics (prom-client): one Registry per process, built by the
 * composition root and handed in as `deps.metrics` (absent: nothing is measured). The platform
 * owns the registry, the HTTP and job histograms, the pool and queue gauges, and the kit a module
 * uses for a gauge read at scrape time (`addScrapeGauge`): cached for a few seconds, so scrapes
 * cannot load the database, and never failing the scrape when Postgres or Redis is down (the last
 * known values stay, `signpost_metrics_source_up` says 0, a warning is logged).
 *
 * Labels never carry ids or personal data: routes are templates, queues and clocks are names.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../logger.js';

export type ProcessRole = 'api' | 'worker';

export interface Metrics {
  readonly registry: Registry;
  readonly role: ProcessRole;
  readonly logger: Logger;
  /** how long a scrape-time reading is reused (ms) */
  readonly cacheMs: number;
  /** a monotonic clock in ms (for the cache and durations: not the hub's business time) */
  readonly monotonicMs: () => number;
  /** request duration by route template and status (the API) */
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** job duration by queue, job and outcome (the worker kit) */
  readonly jobDuration: Histogram<'queue' | 'job' | 'outcome'>;
  /** whether the last reading from each source (postgres, redis) succeeded */
  readonly sourceUp: Gauge<'source'>;
  /** every scrape-time reading (cachedReading adds itself), taken before sourceUp is reported */
  readonly readings: Array<() => Promise<unknown>>;
}

export interface MetricsOptions {
  role: ProcessRole;
  logger: Logger;
  /** scrape-time readings are reused this long (default 5 s) */
  cacheMs?: number;
  monotonicMs?: () => number;
}

export function createMetrics({ role, logger, cacheMs = 5_000, monotonicMs = () => performance.now() }: MetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  // process CPU, memory, handles, GC and the event loop's lag (nodejs_eventloop_lag_*)
  collectDefaultMetrics({ register: registry });
  const readings: Array<() => Promise<unknown>> = [];
  return {
    readings,
    registry,
    role,
    logger,
    cacheMs,
    monotonicMs,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route template (never the raw URL) and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'bullmq_job_duration_seconds',
      help: 'How long a job took to run, by queue, job name and outcome (completed or failed)',
      labelNames: ['queue', 'job', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    sourceUp: new Gauge({
      name: 'signpost_metrics_source_up',
      help: 'Whether the last scrape-time reading from this source (postgres, redis) succeeded (1) or failed (0)',
      labelNames: ['source'],
      registers: [registry],
      // registered first, so reported first: the readings (shared, cached) are taken before it says how they went
      async collect() {
        await Promise.all(readings.map((r) => r()));
      },
    }),
  };
}

/** The metric of this name already registered, or a new one (two callers share one counter). */
export function counterOf<L extends string>(metrics: Metrics, config: { name: string; help: string; labelNames: readonly L[] }): Counter<L> {
  const existing = metrics.registry.getSingleMetric(config.name);
  if (existing) return existing as Counter<L>;
  return new Counter({ ...config, registers: [metrics.registry] });
}

export function histogramOf<L extends string>(metrics: Metrics, config: { name: string; help: string; labelNames: readonly L[]; buckets: number[] }): Histogram<L> {
  const existing = metrics.registry.getSingleMetric(config.name);
  if (existing) return existing as Histogram<L>;
  return new Histogram({ ...config, registers: [metrics.registry] });
}

export function gaugeOf<L extends string>(metrics: Metrics, config: { name: string; help: string; labelNames: readonly L[] }): Gauge<L> {
  const existing = metrics.registry.getSingleMetric(config.name);
  if (existing) return existing as Gauge<L>;
  return new Gauge({ ...config, registers: [metrics.registry] });
}

/** One reading: a value for each set of labels. */
export type Reading<L extends string> = ReadonlyArray<{ labels: Partial<Record<L, string>>; value: number }>;

/** Resolves p, or rejects after ms (a reading must not hold a scrape while a service hangs). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * A reading taken at most once per `cacheMs` however often it is asked for (concurrent scrapes
 * share one, and a read that outlives its timeout is waited on by the next scrape, never started
 * twice), and that never rejects: on failure it logs a warning, marks its source down and
 * answers undefined, so that the caller keeps what it knew.
 */
export function cachedReading<T>(metrics: Metrics, source: 'postgres' | 'redis', name: string, read: () => Promise<T>, timeoutMs = 2_000): () => Promise<T | undefined> {
  let at = -Infinity;
  let last: Promise<T | undefined> | undefined;
  // the read under way, if any: a scrape after a timed-out read waits on it again rather than
  // start another, so a slow Postgres never holds more than one connection per reading
  let inFlight: Promise<T> | undefined;
  const reading = () => {
    const now = metrics.monotonicMs();
    if (last && now - at < metrics.cacheMs) return last;
    at = now;
    if (!inFlight) {
      const started = read();
      inFlight = started;
      const done = () => {
        if (inFlight === started) inFlight = undefined;
      };
      started.then(done, done);
    }
    last = within(inFlight, timeoutMs, source).then(
      (value) => {
        // undefined: a shared reading underneath failed and has said so already
        if (value !== undefined) metrics.sourceUp.set({ source }, 1);
        return value;
      },
      (err: Error) => {
        metrics.sourceUp.set({ source }, 0);
        metrics.logger.warn({ metric: name, source, err: err.message }, 'a metric could not be read; the scrape reports what is known');
        // the next scrape tries again rather than serving the failure for cacheMs
        at = -Infinity;
        return undefined;
      },
    );
    return last;
  };
  metrics.readings.push(reading);
  return reading;
}

/**
 * A gauge whose values are read at scrape time (a cheap query on indexed open items), through
 * `cachedReading`. Every label set of `zero` is reported (0 when the reading has none of it), so
 * that a series exists before its first item and falls back to 0 when the last one goes. `read`
 * answers undefined when it read through another cachedReading that failed (already logged).
 */
export function addScrapeGauge<L extends string>(
  metrics: Metrics,
  config: { name: string; help: string; labelNames: readonly L[]; source: 'postgres' | 'redis'; zero?: Reading<L>; read: () => Promise<Reading<L> | undefined> },
): Gauge<L> {
  const reading = cachedReading(metrics, config.source, config.name, config.read);
  const zero = config.zero ?? (config.labelNames.length === 0 ? [{ labels: {}, value: 0 }] : []);
  let known = false;
  return new Gauge<L>({
    name: config.name,
    help: config.help,
    labelNames: config.labelNames,
    registers: [metrics.registry],
    async collect() {
      const values = await reading();
      if (!values) {
        // nothing read yet: no series rather than a made-up 0
        if (!known) this.reset();
        return;
      }
      known = true;
      this.reset();
      for (const z of zero) this.set(z.labels as Partial<Record<L, string | number>>, 0);
      for (const v of values) this.set(v.labels as Partial<Record<L, string | number>>, v.value);
    },
  });
}
