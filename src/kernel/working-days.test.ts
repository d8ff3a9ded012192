import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { londonMoment } from './uk-dates.js';
import {
  addWorkingDays,
  endOfNextWorkingDay,
  forwardDueAt,
  isWorkingDay,
  nthWorkingDayAfter,
  parseDayEnd,
  type WorkingCalendar,
} from './working-days.js';

// the calendar the project ships (GOV.UK's file), as the hub loads it
const shipped = JSON.parse(readFileSync(new URL('../../config/bank-holidays.json', import.meta.url), 'utf8')) as { 'england-and-wales': { events: { date: string }[] } };
const holidays = new Set(shipped['england-and-wales'].events.map((e) => e.date));
const cal: WorkingCalendar = { holidays, dayEndsAtMinute: 17 * 60 };
const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();

describe('working days', () => {
  it('are Monday to Friday, bank holidays excepted', () => {
    expect(isWorkingDay('2026-08-28', holidays)).toBe(true); // Friday
    expect(isWorkingDay('2026-08-29', holidays)).toBe(false); // Saturday
    expect(isWorkingDay('2026-08-30', holidays)).toBe(false); // Sunday
    expect(isWorkingDay('2026-08-31', holidays)).toBe(false); // Summer bank holiday
    expect(isWorkingDay('2026-09-01', holidays)).toBe(true);
  });

  it('never count the day they start from, and need at least one', () => {
    expect(nthWorkingDayAfter('2026-11-18', 1, holidays)).toBe('2026-11-19');
    expect(nthWorkingDayAfter('2026-11-18', 3, holidays)).toBe('2026-11-23');
    expect(() => nthWorkingDayAfter('2026-11-18', 0, holidays)).toThrow(RangeError);
    expect(() => nthWorkingDayAfter('2026-11-18', 1.5, holidays)).toThrow(RangeError);
  });

  it('Friday before a bank holiday Monday: the next working day is Tuesday, 10 working days the Monday a fortnight on', () => {
    const friday = at('2026-08-28T09:00:00Z'); // 10:00 BST
    expect(iso(endOfNextWorkingDay(friday, cal))).toBe('2026-09-01T16:00:00.000Z'); // Tue 17:00 BST
    expect(iso(addWorkingDays(friday, 10, cal))).toBe('2026-09-14T16:00:00.000Z'); // Mon 14 Sep 17:00 BST
  });

  it('a receipt after closing time, or at a weekend, still has the whole next working day', () => {
    expect(iso(endOfNextWorkingDay(at('2026-11-19T18:30:00Z'), cal))).toBe('2026-11-20T17:00:00.000Z'); // Thu evening -> Fri
    expect(iso(endOfNextWorkingDay(at('2026-11-20T16:59:00Z'), cal))).toBe('2026-11-23T17:00:00.000Z'); // Fri before closing -> Mon
    expect(iso(endOfNextWorkingDay(at('2026-11-20T18:00:00Z'), cal))).toBe('2026-11-23T17:00:00.000Z'); // Fri evening -> Mon
    expect(iso(endOfNextWorkingDay(at('2026-11-21T11:00:00Z'), cal))).toBe('2026-11-23T17:00:00.000Z'); // Saturday -> Mon
    expect(iso(endOfNextWorkingDay(at('2026-11-22T23:59:00Z'), cal))).toBe('2026-11-23T17:00:00.000Z'); // Sunday night -> Mon
    // the London day decides: 23:30 UTC on a summer Sunday is already Monday in London
    expect(iso(endOfNextWorkingDay(at('2026-06-14T23:30:00Z'), cal))).toBe('2026-06-16T16:00:00.000Z');
  });

  it('Christmas and New Year', () => {
    // 2026: Christmas Day Friday 25, Boxing Day (substitute) Monday 28; 2027-01-01 a Friday
    const christmasEve = at('2026-12-24T10:00:00Z');
    expect(iso(endOfNextWorkingDay(christmasEve, cal))).toBe('2026-12-29T17:00:00.000Z');
    expect(iso(addWorkingDays(christmasEve, 4, cal))).toBe('2027-01-04T17:00:00.000Z');
    expect(iso(addWorkingDays(christmasEve, 10, cal))).toBe('2027-01-12T17:00:00.000Z');
    // 2027: Christmas Day and Boxing Day fall at the weekend, substitutes Monday 27 and Tuesday 28
    expect(iso(endOfNextWorkingDay(at('2027-12-24T12:00:00Z'), cal))).toBe('2027-12-29T17:00:00.000Z');
  });

  it('Easter', () => {
    // 2026: Good Friday 3 April, Easter Monday 6 April (British Summer Time)
    expect(iso(endOfNextWorkingDay(at('2026-04-02T11:00:00Z'), cal))).toBe('2026-04-07T16:00:00.000Z');
    expect(iso(addWorkingDays(at('2026-04-01T11:00:00Z'), 3, cal))).toBe('2026-04-08T16:00:00.000Z');
  });

  it('across the October clock change (Sunday 25 October 2026): 17:00 GMT on the Monday', () => {
    const friday = at('2026-10-23T15:00:00Z'); // 16:00 BST
    const due = endOfNextWorkingDay(friday, cal);
    expect(iso(due)).toBe('2026-10-26T17:00:00.000Z'); // 17:00 GMT
    expect((due.getTime() - friday.getTime()) / 3_600_000).toBe(74); // 73 hours of wall clock, plus the repeated hour
    expect(iso(addWorkingDays(at('2026-10-20T09:00:00Z'), 10, cal))).toBe('2026-11-03T17:00:00.000Z');
  });

  it('across the March clock change (Sunday 29 March 2026): 17:00 BST on the Monday', () => {
    const friday = at('2026-03-27T12:00:00Z'); // 12:00 GMT
    const due = endOfNextWorkingDay(friday, cal);
    expect(iso(due)).toBe('2026-03-30T16:00:00.000Z'); // 17:00 BST
    expect((due.getTime() - friday.getTime()) / 3_600_000).toBe(76); // 77 hours of wall clock, less the skipped hour
  });

  it('a day that ends at midnight (24:00) ends at the start of the next day, London time', () => {
    const midnight: WorkingCalendar = { holidays, dayEndsAtMinute: 24 * 60 };
    expect(iso(endOfNextWorkingDay(at('2026-08-28T09:00:00Z'), midnight))).toBe('2026-09-01T23:00:00.000Z'); // 00:00 BST on the 2nd
    expect(iso(endOfNextWorkingDay(at('2026-12-03T09:00:00Z'), midnight))).toBe('2026-12-05T00:00:00.000Z');
  });

  it('counts with no holidays at all when the calendar is empty (a calendar past its end)', () => {
    const none: WorkingCalendar = { holidays: new Set(), dayEndsAtMinute: 17 * 60 };
    expect(iso(endOfNextWorkingDay(at('2026-08-28T09:00:00Z'), none))).toBe('2026-08-31T16:00:00.000Z');
  });
});

describe('the forward clock', () => {
  it('in hours is elapsed time, clock change or not', () => {
    expect(iso(forwardDueAt(at('2026-10-24T12:00:00Z'), { kind: 'hours', hours: 24 }, cal))).toBe('2026-10-25T12:00:00.000Z');
  });
  it('next_working_day is the end of the next working day', () => {
    expect(iso(forwardDueAt(at('2026-08-28T09:00:00Z'), { kind: 'next_working_day', hours: 24 }, cal))).toBe('2026-09-01T16:00:00.000Z');
  });
});

describe('London wall-clock moments', () => {
  it('a time the spring change skips is read with the winter offset; a repeated one is its first occurrence', () => {
    expect(iso(londonMoment('2026-03-29', 90))).toBe('2026-03-29T01:30:00.000Z'); // 01:30 does not exist: 02:30 BST
    expect(iso(londonMoment('2026-10-25', 90))).toBe('2026-10-25T00:30:00.000Z'); // 01:30 BST, not 01:30 GMT
    expect(iso(londonMoment('2026-07-01', 0))).toBe('2026-06-30T23:00:00.000Z');
  });
});

describe('settings and labels', () => {
  it('reads a closing time', () => {
    expect(parseDayEnd('17:00')).toBe(1020);
    expect(parseDayEnd('24:00')).toBe(1440);
    expect(parseDayEnd('00:00')).toBeUndefined();
    expect(parseDayEnd('24:30')).toBeUndefined();
    expect(parseDayEnd('5pm')).toBeUndefined();
  });
});
