/** Row types for the working-day calendar (migrations/2026_12_02_1600_working_days.ts), camelCased. */
import type { ColumnType, Generated } from 'kysely';

export interface BankHolidaysTable {
  /** 'YYYY-MM-DD', an England and Wales bank holiday */
  day: ColumnType<string, string, string>;
  title: string;
  importedAt: Generated<Date>;
}

export interface CalendarTables {
  bankHolidays: BankHolidaysTable;
}
