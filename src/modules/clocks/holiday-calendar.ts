/**
 * The working-day calendar: England and Wales bank holidays, held in Postgres (bank_holidays),
 * imported from a file in GOV.UK's bank-holidays.json format (`signpost holidays:import FILE`),
 * and read by every process through a small cache that reloads after CALENDAR_CACHE_TTL_MS,
 * so that an import reaches the API and the workers within a minute without a restart.
 */
import { z } from 'zod';
import type { Env } from '../../../config/env.js';
import type { Clock } from '../../kernel/clock.js';
import { parseDayEnd, type WorkingCalendar } from '../../kernel/working-days.js';
import { listBankHolidayDays, replaceBankHolidaysInSpan } from './bank-holiday.repository.js';
import type { CalendarSource } from '../../platform/deps.js';
import type { DB } from '../../platform/db/database.js';
import { AppError } from '../../kernel/errors.js';

export const CALENDAR_CACHE_TTL_MS = 60_000;
export const DIVISION = 'england-and-wales';

const realDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'is not a real date');

/** GOV.UK's bank-holidays.json: the other divisions (scotland, northern-ireland) may be there and are ignored. */
export const govUkCalendarSchema = z.object({
  [DIVISION]: z.object({
    division: z.literal(DIVISION),
    events: z
      .array(
        z.object({
          title: z.string().trim().min(1).max(200),
          date: realDay,
          notes: z.string().max(500),
          bunting: z.boolean(),
        }),
      )
      .min(1, 'must list at least one bank holiday')
      .refine((events) => new Set(events.map((e) => e.date)).size === events.length, 'lists a date twice'),
  }),
});

/** The file's England and Wales days, or an AppError saying why the file is refused. */
export function parseGovUkCalendar(text: string): { day: string; title: string }[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppError(400, 'invalid_calendar', `the file is not JSON: ${(err as Error).message}`);
  }
  const parsed = govUkCalendarSchema.safeParse(json);
  if (!parsed.success) {
    throw new AppError(
      400,
      'invalid_calendar',
      `the file is not a GOV.UK bank-holidays.json calendar for ${DIVISION}; nothing was imported`,
      parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
    );
  }
  return parsed.data[DIVISION].events.map((e) => ({ day: e.date, title: e.title }));
}

/** Imports a calendar file's text in one transaction (all or nothing); the next read of every process's cache sees it. */
export async function importHolidayCalendar(deps: { db: DB; clock: Clock; holidays?: CalendarSource }, text: string) {
  const events = parseGovUkCalendar(text);
  const result = await deps.db.transaction().execute((trx) => replaceBankHolidaysInSpan(trx, events, deps.clock.now()));
  deps.holidays?.invalidate?.();
  return { division: DIVISION, days: events.length, ...result };
}

/** The calendar as the clocks read it, cached for CALENDAR_CACHE_TTL_MS (by the injected clock). */
export class HolidayCalendar {
  private loaded: { at: number; calendar: Promise<WorkingCalendar> } | undefined;
  private readonly dayEndsAtMinute: number;

  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
    env: Pick<Env, 'WORKING_DAY_ENDS_AT'>,
  ) {
    this.dayEndsAtMinute = parseDayEnd(env.WORKING_DAY_ENDS_AT)!;
  }

  get(): Promise<WorkingCalendar> {
    const now = this.clock.now().getTime();
    if (!this.loaded || now - this.loaded.at >= CALENDAR_CACHE_TTL_MS || now < this.loaded.at) {
      const calendar = listBankHolidayDays(this.db).then((days) => ({ holidays: new Set(days), dayEndsAtMinute: this.dayEndsAtMinute }));
      const entry = { at: now, calendar };
      // a failed read is not remembered: the next caller tries again
      calendar.catch(() => {
        if (this.loaded === entry) this.loaded = undefined;
      });
      this.loaded = entry;
    }
    return this.loaded.calendar;
  }

  /** Forget the cached calendar (this process imported a new one). */
  invalidate(): void {
    this.loaded = undefined;
  }
}
