/**
 * Dates as people in the hub's country read them, in Europe/London whatever the server's zone:
 * "17 December 2026", and the calendar day a moment falls on there. Pure (Intl only).
 */
export const UK_TIME_ZONE = 'Europe/London';

const dayFmt = new Intl.DateTimeFormat('en-GB', { timeZone: UK_TIME_ZONE, day: 'numeric', month: 'long', year: 'numeric' });
const isoDayFmt = new Intl.DateTimeFormat('en-CA', { timeZone: UK_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** A moment, or a calendar day ('YYYY-MM-DD', read as that day), as "17 December 2026". */
export function ukDate(v: Date | string): string {
  const d = typeof v === 'string' ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T12:00:00Z` : v) : v;
  return dayFmt.format(d);
}

const dayMonthFmt = new Intl.DateTimeFormat('en-GB', { timeZone: UK_TIME_ZONE, day: 'numeric', month: 'short' });

/** A calendar day ('YYYY-MM-DD') as "1 Dec": chart labels, read day first as people here read dates. */
export function ukDayMonth(day: string): string {
  return dayMonthFmt.format(new Date(`${day}T12:00:00Z`));
}

/** The calendar day ('YYYY-MM-DD') a moment falls on in London. */
export function londonDay(d: Date): string {
  return isoDayFmt.format(d);
}

const dateTimeFmt = new Intl.DateTimeFormat('sv-SE', { timeZone: UK_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** A moment as London's wall clock reads it, sortable and read by spreadsheets: "2026-03-01 14:05". */
export function londonDateTime(d: Date): string {
  return dateTimeFmt.format(d);
}
