/** What services need from the outside world. Every I/O edge is handed in, never imported. */
import type { Logger } from 'pino';
import type { Env } from '../../config/env.js';
import type { Clock } from '../kernel/clock.js';
import type { IdGenerator } from '../kernel/ids.js';
import type { DB } from './db/database.js';
import type { JobProducer } from './jobs/producer.js';
import type { HolidayCalendar } from '../modules/clocks/holiday-calendar.js';
import type { PublishedQuestionnaires } from '../modules/questionnaires/questionnaire-cache.js';
import type { AgencyCapacities } from '../modules/capacity/capacity-cache.js';

export interface ServiceDeps {
  env: Env;
  db: DB;
  clock: Clock;
  ids: IdGenerator;
  jobs: JobProducer;
  logger: Logger;
  questionnaires: PublishedQuestionnaires;
  /** the bank holidays the working-day clocks skip, cached for a minute */
  holidays: HolidayCalendar;
  capacities: AgencyCapacities;
}
