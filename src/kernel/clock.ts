/** The only way code learns the time. Tests hand in a ManualClock and move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export class ManualClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-01-05T09:00:00Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  set(to: Date | string): void {
    this.t = new Date(to).getTime();
  }
  advance(ms: number): Date {
    this.t += ms;
    return this.now();
  }
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function addHours(d: Date, hours: number): Date {
  return new Date(d.getTime() + hours * HOUR);
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * DAY);
}
