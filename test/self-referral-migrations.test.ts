/**
 * The self-referral migrations of one form sent more than once, and of the triage list's order,
 * run down and up again on a database holding such a form, as a hub going back a release would.
 */
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../migrations/index.js';
import { HOUR } from '../src/kernel/clock.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { submitSelfReferral } from '../src/modules/self-referral/self-referral.service.js';
import type { SubmissionBody } from '../src/modules/intake/submission.schema.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { seedChecklist, submissionBody } from './helpers/factories.js';

let ctx: TestContext;
let q: Awaited<ReturnType<typeof seedChecklist>>;

beforeAll(async () => {
  ctx = await createTestContext();
  q = await seedChecklist(ctx);
});
afterAll(async () => {
  await ctx?.close();
});

describe('the migration of one form sent more than once', () => {
  it('goes down keeping every item (a later item of a form gets a key of its own) and up again', async () => {
    const FIRST = '2026_12_07_1300_self_referral_form_details';
    const names = Object.keys(migrations);
    const key = `migrate-${ctx.ids.uuid()}`;
    const sent: string[] = [];
    for (const familyName of ['Migrateone', 'Migratetwo']) {
      ctx.clock.advance(HOUR);
      sent.push((await submitSelfReferral(ctx, { body: submissionBody(q, [], { person: { familyName } }) as SubmissionBody, filledInBy: 'person', formKey: key })).reference);
    }
    expect(new Set(sent).size).toBe(2);
    const total = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM self_referrals`.execute(ctx.db)).rows[0]!.n);
    expect(await total()).toBe(2);

    const down = await new Migrator({ db: ctx.db, provider: { getMigrations: async () => migrations } }).migrateTo(names[names.indexOf(FIRST) - 1]!);
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName)).toContain(FIRST);
    expect(await total()).toBe(2);
    const rows = (await sql<{ reference: string; formKey: string }>`SELECT reference, form_key FROM self_referrals ORDER BY received_at, id`.execute(ctx.db)).rows;
    expect(rows.map((k) => k.reference)).toEqual(sent);
    expect(rows[0]!.formKey).toBe(key);
    expect(rows[1]!.formKey).not.toBe(key);

    await migrateToLatest(ctx.db);
    expect(await total()).toBe(2);
    // the form sent a third time, twice with the same details: one more item
    const third = { body: submissionBody(q, [], { person: { familyName: 'Migratethree' } }) as SubmissionBody, filledInBy: 'person' as const, formKey: key };
    const again = await submitSelfReferral(ctx, third);
    expect(await submitSelfReferral(ctx, third)).toEqual(again);
    expect(await total()).toBe(3);
  });
});
