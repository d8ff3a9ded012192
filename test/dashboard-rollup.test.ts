/**
 * The dashboard's weekly volume and 30-day compliance read the days the SLA sweep has rolled up
 * (referral_days) and count the rest live. Whatever the sweep has or has not rolled up, and
 * however the window falls across days, they must equal the plain count over referrals (the
 * queries they replaced, kept here as the reference).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../src/kernel/clock.js';
import { slaCompliance, weeklyReferralVolume } from '../src/modules/sla/sla-report.repository.js';
import { runSweep } from '../src/modules/sla/sla.service.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { submit } from './helpers/sla-fixtures.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker } = await createWorld({ worker: 'link_worker' }));
});
afterAll(async () => ctx?.close());

async function plainWeekly(now: Date, weeks: number) {
  const r = await sql<{ weekStart: string; n: string }>`
    SELECT to_char(w.week_start, 'YYYY-MM-DD') AS week_start, count(r.id) AS n
    FROM generate_series(date_trunc('week', ${now}::timestamptz AT TIME ZONE 'UTC') - make_interval(weeks => ${weeks - 1}),
                         date_trunc('week', ${now}::timestamptz AT TIME ZONE 'UTC'), interval '1 week') AS w(week_start)
    LEFT JOIN referrals r ON r.received_at >= w.week_start AT TIME ZONE 'UTC'
                         AND r.received_at < (w.week_start + interval '1 week') AT TIME ZONE 'UTC'
                         AND r.received_at <= ${now}
    GROUP BY w.week_start ORDER BY w.week_start`.execute(ctx.db);
  return r.rows.map((x) => ({ weekStart: x.weekStart, count: Number(x.n) }));
}

async function plainCompliance(since: Date) {
  const r = await sql<{ agencyId: string; agencyName: string; total: string; breached: string }>`
    SELECT a.id AS agency_id, a.name AS agency_name, count(r.id) AS total,
           count(r.id) FILTER (WHERE EXISTS (SELECT 1 FROM sla_breaches b WHERE b.referral_id = r.id)) AS breached
    FROM agencies a JOIN referrals r ON r.agency_id = a.id AND r.received_at >= ${since}
    GROUP BY a.id, a.name ORDER BY a.name`.execute(ctx.db);
  return r.rows.map((x) => {
    const total = Number(x.total);
    const breached = Number(x.breached);
    return { agencyId: x.agencyId, agencyName: x.agencyName, total, breached, percent: total ? Math.round(((total - breached) * 100) / total) : 100 };
  });
}

async function expectSameAsPlain() {
  const now = ctx.clock.now();
  for (const weeks of [1, 2, 8]) expect(await weeklyReferralVolume(ctx.db, now, weeks), `${weeks} weeks`).toEqual(await plainWeekly(now, weeks));
  // windows starting mid-day, at a midnight, inside the rolled-up days and before them all
  const midnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  for (const since of [30 * 24 * HOUR, 60 * HOUR, 26 * HOUR, 5 * HOUR].map((ago) => new Date(now.getTime() - ago)).concat([new Date(midnight.getTime() - 48 * HOUR), midnight])) {
    expect(await slaCompliance(ctx.db, since, now), `since ${since.toISOString()}`).toEqual(await plainCompliance(since));
  }
}

const rolledDays = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM referral_days WHERE agency_id IS NULL`.execute(ctx.db)).rows[0]!.n);

describe('the dashboard charts over the rollup', () => {
  it('match the plain counts before the sweep, after it rolls up days, and after a breach on a rolled-up day', async () => {
    await submit(api, worker, q, [0, 15]);
    ctx.clock.advance(7 * HOUR);
    await submit(api, worker, q, [1]);
    await expectSameAsPlain();
    expect(await rolledDays()).toBe(0);

    // a day and a half on: the first days are over and rolled up; the forward clock breaches
    ctx.clock.advance(30 * HOUR);
    const first = await runSweep(ctx, { reconcile: false });
    expect(first.daysRolledUp).toBeGreaterThanOrEqual(1);
    expect(first.breaches.forward).toBe(3);
    await submit(api, worker, q, [0, 2]);
    await expectSameAsPlain();

    // the second run rolls up nothing new the same day; two days later it catches up, and the
    // last checklist's breaches (detected after its day was rolled up) still count
    expect((await runSweep(ctx, { reconcile: false })).daysRolledUp).toBe(0);
    ctx.clock.advance(50 * HOUR);
    const later = await runSweep(ctx, { reconcile: false });
    expect(later.daysRolledUp).toBeGreaterThanOrEqual(2);
    expect(later.breaches.forward).toBe(2);
    await submit(api, worker, q, [3]);
    await expectSameAsPlain();
    const compliance = await slaCompliance(ctx.db, new Date(ctx.clock.now().getTime() - 30 * 24 * HOUR), ctx.clock.now());
    expect(compliance.reduce((n, c) => n + c.breached, 0)).toBe(5);
    expect(compliance.reduce((n, c) => n + c.total, 0)).toBe(6);

    // each rolled-up day has its total row, empty days too, and the per-agency rows add up to it
    const { rows } = await sql<{ day: string; total: number; parts: string | null }>`
      SELECT d.day::text AS day, d.received AS total, (SELECT sum(x.received) FROM referral_days x WHERE x.day = d.day AND x.agency_id IS NOT NULL) AS parts
        FROM referral_days d WHERE d.agency_id IS NULL ORDER BY d.day`.execute(ctx.db);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const r of rows) expect(Number(r.parts ?? 0), r.day).toBe(r.total);
  });
});
