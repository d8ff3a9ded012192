/**
 * Every agency's capacity, read once and kept for CAPACITY_CACHE_TTL_MS, so that the checklist
 * page and the intake pay no round trip for it (there are few agencies). A change made through
 * this process clears it at once; another process's change shows within the TTL, and intake
 * cannot act on a stale read: the intake function checks what routing used (see
 * migrations/2026_12_02_1700_capacity.ts) and the service routes again from a fresh read.
 */
import type { Clock } from '../domain/clock.js';
import type { CapacityRecord } from '../domain/capacity.js';
import type { DB } from '../db/database.js';
import { listCapacityRecords } from '../db/capacity.repository.js';

export class AgencyCapacities {
  private cached: { at: number; value: Promise<Map<string, CapacityRecord>> } | undefined;

  constructor(
    private db: DB,
    private clock: Clock,
    private ttlMs: number,
  ) {}

  /** What each agency last said; an agency that never said is absent. */
  records(): Promise<Map<string, CapacityRecord>> {
    const now = this.clock.now().getTime();
    const c = this.cached;
    // a clock moved backwards (a test's ManualClock) also refreshes
    if (c && now - c.at < this.ttlMs && now >= c.at) return c.value;
    const value = listCapacityRecords(this.db);
    const entry = { at: now, value };
    this.cached = entry;
    value.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return value;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}
