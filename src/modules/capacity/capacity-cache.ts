/**
 * Every agency's capacity and contact clock, read once and kept for CAPACITY_CACHE_TTL_MS, so
 * that the checklist page and the intake pay no round trip for them (there are few agencies). A change made through
 * this process clears it at once; another process's change shows within the TTL, and intake
 * cannot act on a stale read: the intake function checks what routing used (see
 * migrations/2026_12_02_1700_capacity.ts) and the service routes again from a fresh read.
 */
import type { Clock } from '../../kernel/clock.js';
import type { AgencyFacts, CapacityRecord } from '../../kernel/capacity.js';
import type { DB } from '../../platform/db/database.js';
import { listAgencyClocks, listCapacityRecords } from './capacity.repository.js';


export class AgencyCapacities {
  private cached: { at: number; value: Promise<AgencyFacts> } | undefined;

  constructor(
    private db: DB,
    private clock: Clock,
    private ttlMs: number,
  ) {}

  /** What each agency last said; an agency that never said is absent. */
  async records(): Promise<Map<string, CapacityRecord>> {
    return (await this.facts()).capacity;
  }

  facts(): Promise<AgencyFacts> {
    const now = this.clock.now().getTime();
    const c = this.cached;
    // a clock moved backwards (a test's ManualClock) also refreshes
    if (c && now - c.at < this.ttlMs && now >= c.at) return c.value;
    const value = Promise.all([listCapacityRecords(this.db), listAgencyClocks(this.db)]).then(([capacity, clocks]) => ({ capacity, clocks }));
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
