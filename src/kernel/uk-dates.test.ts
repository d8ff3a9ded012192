import { describe, expect, it } from 'vitest';
import { londonDay, londonMinuteOfDay, londonMoment, londonOffsetMinutes } from './uk-dates.js';

// The oracle: Intl's own reading of London's wall clock, asked afresh every time.
const wallFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});
function intl(d: Date): { day: string; offset: number } {
  const p = Object.fromEntries(wallFmt.formatToParts(d).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return { day: `${p.year}-${p.month}-${p.day}`, offset: Math.round((wall - Math.floor(d.getTime() / 1000) * 1000) / 60_000) };
}

describe("London's offset and day, remembered per UTC hour", () => {
  it('agree with Intl every 7 minutes across the clock changes of 2026 and 2027', () => {
    const changes = ['2026-03-29T00:00:00Z', '2026-10-25T00:00:00Z', '2027-03-28T00:00:00Z', '2027-10-31T00:00:00Z'];
    for (const start of changes) {
      for (let t = Date.parse(start) - 86_400_000; t < Date.parse(start) + 86_400_000; t += 7 * 60_000 + 1) {
        const d = new Date(t);
        expect({ day: londonDay(d), offset: londonOffsetMinutes(d) }, d.toISOString()).toEqual(intl(d));
      }
    }
  });

  it('agree with Intl at the last and first millisecond of each side of a change', () => {
    for (const edge of ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z']) {
      for (const t of [Date.parse(edge) - 1, Date.parse(edge)]) {
        const d = new Date(t);
        expect({ day: londonDay(d), offset: londonOffsetMinutes(d) }, d.toISOString()).toEqual(intl(d));
      }
    }
    expect(londonOffsetMinutes(new Date('2026-03-29T00:59:59.999Z'))).toBe(0);
    expect(londonOffsetMinutes(new Date('2026-03-29T01:00:00.000Z'))).toBe(60);
  });

  it('agree with Intl at moments spread over 1900 to 2100 (births, wartime double summer time)', () => {
    let x = 12345;
    for (let i = 0; i < 5_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31; // a fixed pseudo-random walk: the same moments every run
      const d = new Date(Date.UTC(1900, 0, 1) + Math.floor((x / 2 ** 31) * 200 * 365.25 * 86_400_000));
      expect({ day: londonDay(d), offset: londonOffsetMinutes(d) }, d.toISOString()).toEqual(intl(d));
    }
  });

  it('an invalid date is refused as Intl refuses it', () => {
    expect(() => londonDay(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('londonMoment and londonMinuteOfDay read the wall clock both ways', () => {
    expect(londonMoment('2026-07-01', 9 * 60).toISOString()).toBe('2026-07-01T08:00:00.000Z');
    expect(londonMoment('2026-12-01', 9 * 60).toISOString()).toBe('2026-12-01T09:00:00.000Z');
    expect(londonMinuteOfDay(new Date('2026-07-01T08:30:00Z'))).toBe(9 * 60 + 30);
    // a time the spring change skips reads with the winter offset
    expect(londonMoment('2026-03-29', 60 + 30).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
});
