/**
 * What services need from the outside world. Every I/O edge is handed in, never imported. The
 * per-process caches are described here by what they answer; the modules that own their tables
 * make them (src/context.ts puts them together).
 */
import type { Logger } from 'pino';
import type { Env } from '../../config/env.js';
import { capacitiesAt, type AgencyFacts, type Capacity, type CapacityRecord } from '../kernel/capacity.js';
import type { AgencyClock } from '../kernel/promise.js';
import type { Clock } from '../kernel/clock.js';
import type { IdGenerator } from '../kernel/ids.js';
import type { QuestionnaireView } from '../kernel/questionnaire.js';
import type { WorkingCalendar } from '../kernel/working-days.js';
import type { DB } from './db/database.js';
import type { JobProducer } from './jobs/producer.js';
import type { Metrics } from './metrics/metrics.js';

/** Published questionnaires by id (immutable once published). */
export interface QuestionnaireSource {
  get(id: string): Promise<QuestionnaireView | undefined>;
}

/** The bank holidays the working-day clocks skip, and the hub's closing time. */
export interface CalendarSource {
  get(): Promise<WorkingCalendar>;
  /** forget a cached calendar (this process imported a new one) */
  invalidate?(): void;
}

/** Every agency's capacity and contact clock, as routing and the promise read them. */
export interface AgencyFactsSource {
  facts(): Promise<AgencyFacts>;
  records(): Promise<Map<string, CapacityRecord>>;
  invalidate(): void;
}

export interface ServiceDeps {
  env: Env;
  db: DB;
  clock: Clock;
  ids: IdGenerator;
  jobs: JobProducer;
  logger: Logger;
  questionnaires: QuestionnaireSource;
  /** the bank holidays the working-day clocks skip, cached for a minute */
  holidays: CalendarSource;
  capacities: AgencyFactsSource;
  /** the process's Prometheus registry (src/platform/metrics/); absent: nothing is measured */
  metrics?: Metrics;
}

/**
 * Every agency's capacity as it reads now, and its contact clock: what routing, the promise and
 * the pages that list agencies need. `fresh` drops the process's cached read first.
 */
export async function readAgencyFacts(
  deps: Pick<ServiceDeps, 'capacities' | 'env'>,
  now: Date,
  fresh = false,
): Promise<{ capacity: Map<string, Capacity>; clocks: ReadonlyMap<string, AgencyClock> }> {
  if (fresh) deps.capacities.invalidate();
  const facts = await deps.capacities.facts();
  return { capacity: capacitiesAt(facts.capacity, now, deps.env.CAPACITY_UNCONFIRMED_AFTER_DAYS), clocks: facts.clocks };
}
