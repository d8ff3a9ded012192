import { describe, expect, it } from 'vitest';
import { formatTimeOfDay, parseTimeOfDay } from './time-of-day.js';

describe('a typed time of day', () => {
  it('reads the ways people write a time', () => {
    const cases: [string, string][] = [
      ['2.30pm', '14:30'],
      ['2:30 pm', '14:30'],
      ['2:30 PM', '14:30'],
      ['2.30 p.m.', '14:30'],
      ['14:30', '14:30'],
      ['14.30', '14:30'],
      ['1430', '14:30'],
      ['2pm', '14:00'],
      ['2 pm', '14:00'],
      ['9am', '09:00'],
      ['09:05', '09:05'],
      ['0930', '09:30'],
      ['09:30am', '09:30'],
      ['12am', '00:00'],
      ['12.15am', '00:15'],
      ['12pm', '12:00'],
      ['12:45pm', '12:45'],
      ['11.59pm', '23:59'],
      ['00:00', '00:00'],
      ['23:59', '23:59'],
      [' midday ', '12:00'],
      ['12 noon', '12:00'],
      ['midnight', '00:00'],
    ];
    for (const [typed, read] of cases) {
      const t = parseTimeOfDay(typed);
      expect(t && formatTimeOfDay(t), typed).toBe(read);
    }
  });

  it('refuses what names no time, or could name two', () => {
    // without am or pm, a one-digit hour could be either: 2.30 is as often 14:30 as 02:30
    for (const typed of ['2.30', '2:30', '9:05', '930', '', '2', '14', 'pm', '24:00', '25:00', '14:60', '13pm', '0am', '14:30pm', '2:3', '2:300', '2,30', 'half two', '2.30xm', '1:2:3', '-1:00', '١٤:٣٠']) {
      expect(parseTimeOfDay(typed), typed).toBeUndefined();
    }
  });
});
