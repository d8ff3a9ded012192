/**
 * Where a rule must exist in TypeScript and in SQL (the intake statement checks in SQL what the
 * application decided in TypeScript; a list is sorted by the database and by the application),
 * one table of cases holds the two together.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectiveCapacity, type CapacityStatus } from '../src/kernel/capacity.js';
import { byReference, compareReferences } from '../src/platform/db/reference-order.js';
import { createTestContext, type TestContext } from './helpers/context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
}, 60_000);
afterAll(async () => ctx?.close());

describe('an agency’s capacity on a day (kernel/capacity.ts and signpost_capacity_now)', () => {
  const cases: { said: { status: CapacityStatus; closedUntil: string | null } | null; today: string; reads: CapacityStatus }[] = [
    { said: null, today: '2026-12-07', reads: 'accepting' },
    { said: { status: 'accepting', closedUntil: null }, today: '2026-12-07', reads: 'accepting' },
    { said: { status: 'waiting_list', closedUntil: null }, today: '2026-12-07', reads: 'waiting_list' },
    { said: { status: 'closed', closedUntil: '2026-12-08' }, today: '2026-12-07', reads: 'closed' },
    { said: { status: 'closed', closedUntil: '2026-12-07' }, today: '2026-12-07', reads: 'accepting' },
    { said: { status: 'closed', closedUntil: '2026-12-01' }, today: '2026-12-07', reads: 'accepting' },
    { said: { status: 'closed', closedUntil: '2027-02-01' }, today: '2027-01-31', reads: 'closed' },
  ];
  it.each(cases)('$said on $today reads $reads in both', async ({ said, today, reads }) => {
    // noon in London on that day
    const ts = effectiveCapacity(said ? { ...said, waitWeeks: said.status === 'waiting_list' ? 4 : null, confirmedAt: null, confirmedByLabel: null } : undefined, new Date(`${today}T12:00:00Z`), 30).status;
    const { rows } = await sql<{ status: string }>`SELECT signpost_capacity_now(${said?.status ?? null}::text, ${said?.closedUntil ?? null}::date, ${today}::date) AS status`.execute(ctx.db);
    expect([ts, rows[0]!.status]).toEqual([reads, reads]);
  });
});

describe('referral references in the order people read them (byReference and compareReferences)', () => {
  it('sorts the same in Postgres and in TypeScript', async () => {
    const refs = ['SP-7K3M-9QXD-10', 'SP-7K3M-9QXD-2', 'SP-7K3M-9QXD-2R', 'SP-7K3M-9QXD-1', 'SP-7K3M-9QXD-2RR', 'SP-7K3M-9QXD-11', 'SP-7K3M-9QXD-3', 'SP-7K3M-9QXD-1R'];
    const expected = ['SP-7K3M-9QXD-1', 'SP-7K3M-9QXD-1R', 'SP-7K3M-9QXD-2', 'SP-7K3M-9QXD-2R', 'SP-7K3M-9QXD-2RR', 'SP-7K3M-9QXD-3', 'SP-7K3M-9QXD-10', 'SP-7K3M-9QXD-11'];
    const { rows } = await sql<{ reference: string }>`
      SELECT x.reference FROM unnest(${refs}::text[]) AS x(reference) ORDER BY ${byReference('x.reference')}`.execute(ctx.db);
    expect(rows.map((r) => r.reference)).toEqual(expected);
    expect([...refs].sort(compareReferences)).toEqual(expected);
  });
});
