/**
 * The database's functions and triggers are current-state .sql files, one place each: every
 * function and trigger the migrated database holds is defined in exactly one file; migrate
 * records each file's checksum and applies a file again when its text changes (or every file,
 * when a migration ran); the intake is one function.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { applySqlFiles, sqlFiles } from '../src/platform/db/sql-files.js';
import { createTestContext, type TestContext } from './helpers/context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
}, 60_000);
afterAll(async () => ctx?.close());

const functions = async () =>
  (
    await sql<{ name: string }>`
      SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public' AND p.prokind = 'f'
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`.execute(ctx.db)
  ).rows.map((r) => r.name);
const triggers = async () => (await sql<{ name: string }>`SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal`.execute(ctx.db)).rows.map((r) => r.name);

describe('functions and triggers as .sql files', () => {
  it('defines every function and trigger of the database in exactly one file, and the intake as one function', async () => {
    const files = sqlFiles();
    expect(files.map((f) => f.name)).toContain('modules/intake/sql/intake.sql');
    const definedIn = (kind: 'FUNCTION' | 'TRIGGER', name: string) =>
      files.filter((f) => new RegExp(`CREATE OR REPLACE ${kind} ${name}\\b`).test(f.text)).map((f) => f.name);
    const [fns, trgs] = [await functions(), await triggers()];
    expect(fns.length).toBeGreaterThan(10);
    expect(trgs.length).toBeGreaterThan(15);
    const problems = [
      ...fns.filter((n) => definedIn('FUNCTION', n).length !== 1).map((n) => `function ${n}: ${definedIn('FUNCTION', n).join(', ') || 'in no file'}`),
      ...trgs.filter((n) => definedIn('TRIGGER', n).length !== 1).map((n) => `trigger ${n}: ${definedIn('TRIGGER', n).join(', ') || 'in no file'}`),
    ];
    expect(problems).toEqual([]);
    expect(fns.filter((n) => n.startsWith('signpost_intake'))).toEqual(['signpost_intake']);
  });

  it('records each file’s checksum, and applies a file again only when its text changed', async () => {
    const recorded = async () => new Map((await sql<{ name: string; checksum: string }>`SELECT name, checksum FROM sql_files`.execute(ctx.db)).rows.map((r) => [r.name, r.checksum]));
    const files = sqlFiles();
    expect(await recorded()).toEqual(new Map(files.map((f) => [f.name, f.checksum])));
    // nothing changed: nothing applied
    expect(await migrateToLatest(ctx.db)).toEqual([]);
    expect(await applySqlFiles(ctx.db, { all: false })).toEqual([]);
    // a file whose recorded version differs (its text changed since) is applied again, and only it
    await sql`UPDATE sql_files SET checksum = ${'0'.repeat(64)} WHERE name = 'modules/referrals/sql/referral-events.sql'`.execute(ctx.db);
    await sql`DROP TRIGGER referral_events_guard ON referral_events`.execute(ctx.db);
    expect(await applySqlFiles(ctx.db, { all: false })).toEqual(['modules/referrals/sql/referral-events.sql']);
    expect(await triggers()).toContain('referral_events_guard');
    expect((await recorded()).get('modules/referrals/sql/referral-events.sql')).toBe(files.find((f) => f.name === 'modules/referrals/sql/referral-events.sql')!.checksum);
    // after a migration ran, every file is applied again
    expect(await applySqlFiles(ctx.db, { all: true })).toEqual(files.map((f) => f.name));
  });
});
