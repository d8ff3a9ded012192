/**
 * Dates as people in the hub's country read them, in Europe/London whatever the server's zone:
 * "17 December 2026", and the calendar day a moment falls on there. Pure (Intl only).
 */
export const UK_TIME_ZONE = 'Europe/London';

const dayFmt = new Intl.DateTimeFormat('en-GB', { timeZone: UK_TIME_ZONE, day: 'numeric', month: 'long', year: 'numeric' });
const weekdayFmt = new Intl.DateTimeFormat('en-GB', { timeZone: UK_TIME_ZONE, weekday: 'long' });
const isoDayFmt = new Intl.DateTimeFormat('en-CA', { timeZone: UK_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** A moment, or a calendar day ('YYYY-MM-DD', read as that day), as "17 December 2026". */
export function ukDate(v: Date | string): string {
  const d = typeof v === 'string' ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T12:00:00Z` : v) : v;
  return dayFmt.format(d);
}

/**
 * The London day on which a deadline closes. A deadline at midnight (closing time 24:00, or a
 * calendar clock from a moment at midnight) closes the day before: its instant is the first
 * moment of the next day.
 */
export function deadlineDay(deadline: Date): string {
  return londonDay(new Date(deadline.getTime() - 1));
}

/**
 * The day a deadline closes (deadlineDay), with its weekday: "Monday 21 December 2026". Every
 * promise a person, an agency or the hub reads is written by this (src/kernel/promise.ts).
 */
export function ukDeadlineDate(d: Date): string {
  const day = deadlineDay(d);
  const noon = new Date(`${day}T12:00:00Z`);
  return `${weekdayFmt.format(noon)} ${dayFmt.format(noon)}`;
}

/** A deadline's London time of day, "17:00"; a deadline at midnight reads "24:00", the end of its day. */
export function ukDeadlineTime(d: Date): string {
  const t = londonDateTime(d).slice(11);
  return t === '00:00' ? '24:00' : t;
}

const dayMonthFmt = new Intl.DateTimeFormat('en-GB', { timeZone: UK_TIME_ZONE, day: 'numeric', month: 'short' });

/** A calendar day ('YYYY-MM-DD') as "1 Dec": chart labels, read day first as people here read dates. */
export function ukDayMonth(day: string): string {
  return dayMonthFmt.format(new Date(`${day}T12:00:00Z`));
}

/** The calendar day ('YYYY-MM-DD') a moment falls on in London. */
export function londonDay(d: Date): string {
  const t = d.getTime();
  if (!Number.isFinite(t)) return isoDayFmt.format(d); // Intl's RangeError, as before
  return new Date(t + londonOffsetMinutes(d) * 60_000).toISOString().slice(0, 10);
}

const dateTimeFmt = new Intl.DateTimeFormat('sv-SE', { timeZone: UK_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** A moment as London's wall clock reads it, sortable and read by spreadsheets: "2026-03-01 14:05". */
export function londonDateTime(d: Date): string {
  return dateTimeFmt.format(d);
}

const partsFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: UK_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

function offsetFromIntl(d: Date): number {
  const p = Object.fromEntries(partsFmt.formatToParts(d).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((wall - Math.floor(d.getTime() / 1000) * 1000) / 60_000);
}

/**
 * London's offset for each UTC hour asked about. Its clock has changed only on whole UTC hours
 * since 1847 (01:00 UTC today), so one reading holds for the hour; Intl is slow enough that the
 * intake's promises spent more time here than in the rest of building a checklist.
 */
const offsetByHour = new Map<number, number>();
const OFFSET_HOURS_KEPT = 20_000;

/** How far London's wall clock is ahead of UTC at a moment, in minutes (0 in winter, 60 in summer). */
export function londonOffsetMinutes(d: Date): number {
  const hour = Math.floor(d.getTime() / 3_600_000);
  if (!Number.isFinite(hour)) return offsetFromIntl(d);
  let offset = offsetByHour.get(hour);
  if (offset === undefined) {
    offset = offsetFromIntl(new Date(hour * 3_600_000));
    if (offsetByHour.size >= OFFSET_HOURS_KEPT) offsetByHour.clear();
    offsetByHour.set(hour, offset);
  }
  return offset;
}

/**
 * The moment London's wall clock reads `minutes` past midnight on `day` ('YYYY-MM-DD'; 1440 is
 * the next midnight). A time the spring change skips is read with the winter offset (an hour
 * later by the summer clock); a time the autumn change repeats is its first occurrence.
 */
export function londonMoment(day: string, minutes: number): Date {
  const [y, m, dd] = day.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, dd) + minutes * 60_000;
  // London is UTC+1 in summer and UTC+0 in winter: the moment is one of these two
  for (const t of [wall - 3_600_000, wall]) {
    if (t + londonOffsetMinutes(new Date(t)) * 60_000 === wall) return new Date(t);
  }
  return new Date(wall);
}

/** Minutes past midnight on London's wall clock at a moment. */
export function londonMinuteOfDay(d: Date): number {
  const local = d.getTime() + londonOffsetMinutes(d) * 60_000;
  return Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
}
