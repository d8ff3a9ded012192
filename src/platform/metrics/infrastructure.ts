/**
 * The gauges of what every process stands on: its Postgres pool (total, idle, waiting, read from
 * the pool itself, no query) and the BullMQ queues (waiting, active, delayed, failed jobs, read
 * from Redis at scrape time through the cache; a Redis that is down leaves the last values).
 */
import { Gauge } from 'prom-client';
import type { DB } from '../db/database.js';
import { poolStats } from '../db/kysely.js';
import type { JobProducer } from '../jobs/producer.js';
import { QUEUE_NAMES } from '../jobs/registry.js';
import { addScrapeGauge, type Metrics } from './metrics.js';

export function registerPoolMetrics(metrics: Metrics, db: DB): void {
  const stat = (name: string, help: string, pick: (s: NonNullable<ReturnType<typeof poolStats>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        const s = poolStats(db);
        if (s) this.set(pick(s));
      },
    });
  stat('pg_pool_connections_total', 'Connections the Postgres pool holds (idle and in use)', (s) => s.total);
  stat('pg_pool_connections_idle', 'Connections of the Postgres pool not in use', (s) => s.idle);
  stat('pg_pool_requests_waiting', 'Queries waiting for a connection from the Postgres pool', (s) => s.waiting);
}

const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export function registerQueueMetrics(metrics: Metrics, jobs: JobProducer): void {
  addScrapeGauge(metrics, {
    name: 'bullmq_queue_jobs',
    help: 'Jobs in each queue by state (waiting, active, delayed, failed)',
    labelNames: ['queue', 'state'],
    source: 'redis',
    zero: QUEUE_NAMES.flatMap((queue) => STATES.map((state) => ({ labels: { queue, state }, value: 0 }))),
    read: async () => {
      const counts = await Promise.all(QUEUE_NAMES.map(async (queue) => [queue, await jobs.queue(queue).getJobCounts(...STATES)] as const));
      return counts.flatMap(([queue, c]) => STATES.map((state) => ({ labels: { queue, state }, value: c[state] ?? 0 })));
    },
  });
}
