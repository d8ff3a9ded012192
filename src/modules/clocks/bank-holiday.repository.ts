/** The England and Wales bank holidays the working-day clocks skip (bank_holidays). */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';

export async function listBankHolidayDays(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('bankHolidays').select('day').orderBy('day').execute();
  return rows.map((r) => r.day);
}

/**
 * A calendar file's days replace what is held for the span it covers (its first to its last
 * day): new days are added, changed titles updated, and a day in that span the file no longer
 * has (a holiday moved) removed. Days outside the span are kept, so that a file that has
 * dropped past years leaves the history as it was. Call in a transaction.
 */
export async function replaceBankHolidaysInSpan(trx: Executor, events: { day: string; title: string }[], at: Date) {
  const days = events.map((e) => e.day).sort();
  const first = days[0]!;
  const last = days.at(-1)!;
  const before = await trx.selectFrom('bankHolidays').select(['day', 'title']).where('day', '>=', first).where('day', '<=', last).execute();
  const held = new Map(before.map((r) => [r.day, r.title]));
  const removed = await trx
    .deleteFrom('bankHolidays')
    .where('day', '>=', first)
    .where('day', '<=', last)
    .where('day', 'not in', days)
    .executeTakeFirst();
  await trx
    .insertInto('bankHolidays')
    .values(events.map((e) => ({ day: e.day, title: e.title, importedAt: at })))
    .onConflict((oc) => oc.column('day').doUpdateSet({ title: sql`excluded.title`, importedAt: sql`excluded.imported_at` }))
    .execute();
  return {
    first,
    last,
    added: events.filter((e) => !held.has(e.day)).length,
    changed: events.filter((e) => held.has(e.day) && held.get(e.day) !== e.title).length,
    removed: Number(removed.numDeletedRows),
  };
}
