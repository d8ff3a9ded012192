/**
 * Rows cut off the end of the audit chain are found, against the real Postgres. A chain cut
 * short is still a whole chain, so `audit:verify` needs something from before the cut: the
 * workers' daily checkpoint (audit_checkpoints), or a head the operator kept outside the database
 * and hands back with --expect-head. Rows are removed as someone with the database's keys would:
 * as the superuser, with the append-only trigger disabled.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from './helpers/cli.js';
import { recordAudits } from '../src/modules/audit/audit.repository.js';
import { DAY } from '../src/kernel/clock.js';
import { createLogger } from '../src/platform/logger.js';
import { sealAudit, verifyAuditChain } from '../src/modules/audit/audit.service.js';
import { JOBS } from '../src/platform/jobs/registry.js';
import { processRecords } from '../workers/records.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { startTestWorkers } from './helpers/workers.js';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
  await writeRows(80);
  await sealAudit(ctx);
  // where removed rows wait, to be put back between cases (audit_log's own columns, in order)
  await sql`CREATE TABLE cut_rows AS SELECT * FROM audit_log WITH NO DATA`.execute(ctx.db);
});
afterAll(async () => ctx?.close());

/** n audit rows, as the hub's reads write them (ids only). */
const writeRows = (n: number) =>
  recordAudits(
    ctx.db,
    Array.from({ length: n }, () => ({ principal: { userId: null, name: 'the hub' }, action: 'read', entity: 'referral', entityId: randomUUID(), at: ctx.clock.now() })),
  );

const dbHead = async () => {
  const r = await ctx.db.selectFrom('auditLog').select(['seq', 'hash']).where('seq', 'is not', null).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
  return { seq: r.seq!, rows: Number(r.seq), hash: r.hash!.toString('hex') };
};

/** The last n sealed rows deleted by the superuser, with the trigger disabled; kept in cut_rows. */
async function cutTail(n: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard`.execute(trx);
    await sql`
      WITH gone AS (DELETE FROM audit_log WHERE seq > (SELECT max(seq) FROM audit_log) - ${n}::bigint RETURNING *)
      INSERT INTO cut_rows SELECT * FROM gone`.execute(trx);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_guard`.execute(trx);
  });
}
/** The cut rows put back as they were: the chain is whole again. */
async function putBack(): Promise<void> {
  await sql`INSERT INTO audit_log OVERRIDING SYSTEM VALUE SELECT * FROM cut_rows`.execute(ctx.db);
  await sql`DELETE FROM cut_rows`.execute(ctx.db);
  expect((await verifyAuditChain(ctx)).ok).toBe(true);
}

/** `signpost …` in this process: exit code, and what it printed. */
const cli = (args: string[]) => runCliCaptured(args, ctx.env);

/** The workers' daily job, with its log lines at warn level and above captured. */
async function checkpointJob() {
  const lines: string[] = [];
  const logger = createLogger('warn', { write: (s: string) => lines.push(s) });
  const result = await processRecords({ id: 'test', name: 'audit-checkpoint', data: {} }, { ...ctx, logger }).catch((err: Error) => err);
  return { result, log: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the daily checkpoint', () => {
  it('records the head it verified in the table and in the log at warn level, by the injected clock', async () => {
    await writeRows(3); // waiting to be sealed: the job seals first
    const { result, log } = await checkpointJob();
    const head = await dbHead();
    expect(head.rows).toBe(83);
    const takenAt = ctx.clock.now().toISOString();
    expect(result).toEqual({ ok: true, checkpoint: { ...head, takenAt } });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ level: 40, auditCheckpoint: { ...head, takenAt }, msg: 'audit chain checkpoint: keep this head outside the database' });
    const rows = await ctx.db.selectFrom('auditCheckpoints').select(['seq', 'hash', 'takenAt']).execute();
    expect(rows.map((r) => ({ seq: r.seq, hash: r.hash.toString('hex'), takenAt: r.takenAt.toISOString() }))).toEqual([{ seq: head.seq, hash: head.hash, takenAt }]);

    // the next day's, with nothing new to seal: the same head, a day later
    ctx.clock.advance(DAY);
    const next = await checkpointJob();
    expect(next.result).toEqual({ ok: true, checkpoint: { ...head, takenAt: ctx.clock.now().toISOString() } });
    expect(await ctx.db.selectFrom('auditCheckpoints').select('id').execute()).toHaveLength(2);
  });

  it('is append-only, as the audit log is', async () => {
    await expect(sql`UPDATE audit_checkpoints SET seq = 1`.execute(ctx.db)).rejects.toMatchObject({ code: '42501' });
    await expect(sql`DELETE FROM audit_checkpoints`.execute(ctx.db)).rejects.toMatchObject({ code: '42501' });
    await expect(sql`TRUNCATE audit_checkpoints`.execute(ctx.db)).rejects.toMatchObject({ code: '42501' });
  });
});

describe('signpost audit:verify', () => {
  it('passes when nothing was removed, and prints the head it verified as JSON', async () => {
    const r = await cli(['audit:verify']);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(printed).toMatchObject({ ok: true, head: await dbHead(), checkpoints: 2, brokenAt: null });
    expect(printed.checkpoint).toMatchObject({ seq: '83', hash: (await dbHead()).hash });
  });

  it('fails when the last row is removed: a row at the latest checkpoint is gone', async () => {
    await cutTail(1);
    const result = await verifyAuditChain(ctx);
    expect(result).toMatchObject({
      ok: false,
      head: { seq: '82', rows: 82 },
      brokenAt: { seq: '83', id: null, problem: expect.stringMatching(/^row 83 is gone: the checkpoint of .* recorded 83 rows and the chain ends at row 82$/) },
    });
    const r = await cli(['audit:verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the audit log hash chain is broken');
    await putBack();
  });

  it('fails when the last 50 rows are removed', async () => {
    await cutTail(50);
    expect(Number((await sql<{ n: string }>`SELECT count(*) AS n FROM cut_rows`.execute(ctx.db)).rows[0]!.n)).toBe(50);
    expect(await verifyAuditChain(ctx)).toMatchObject({ ok: false, head: { seq: '33' }, brokenAt: { seq: '34', id: null, problem: expect.stringMatching(/^rows 34 to 83 are gone/) } });
    expect((await cli(['audit:verify'])).code).toBe(1);
    await putBack();
  });

  it('--expect-head: 0 for the current head and for an earlier one, 1 for a head that was cut off', async () => {
    const earlier = await dbHead(); // the checkpoint's head
    await writeRows(5);
    await sealAudit(ctx);
    const current = await dbHead();
    expect(current.rows).toBe(earlier.rows + 5);
    expect((await cli(['audit:verify', '--expect-head', current.hash])).code).toBe(0);
    // a head kept before the latest seals is an earlier link of the same chain
    const older = await cli(['audit:verify', '--expect-head', earlier.hash.toUpperCase()]);
    expect(older.code).toBe(0);
    expect(JSON.parse(older.stdout)).toMatchObject({ head: current, expectedHead: { hash: earlier.hash, seq: earlier.seq } });

    // rows sealed since the last checkpoint: only a head kept outside the database shows their loss
    await cutTail(2);
    expect((await verifyAuditChain(ctx)).ok).toBe(true);
    const cut = await cli(['audit:verify', '--expect-head', current.hash]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain(`the expected head ${current.hash} is not in the chain, which ends at row ${current.rows - 2}`);
    expect(await verifyAuditChain(ctx, { expectHead: Buffer.from(current.hash, 'hex') })).toMatchObject({ ok: false, expectedHead: { hash: current.hash, seq: null } });
    await putBack();
    expect((await cli(['audit:verify', '--expect-head', current.hash])).code).toBe(0);
  });

  it('answers a bad --expect-head as a usage error (64), naming the option', async () => {
    for (const args of [['--expect-head', 'abc'], ['--expect-head', 'g'.repeat(64)], ['--expect-head'], ['--head', 'x']]) {
      const r = await cli(['audit:verify', ...args]);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr, args.join(' ')).toContain('usage: signpost audit:verify [--expect-head HASH]');
    }
    expect((await cli(['audit:verify', '--expect-head', 'abc'])).stderr).toContain('--expect-head takes a head hash as audit:verify prints it');
  });

  // last: new rows are sealed in place of the cut ones, so this chain cannot be put back
  it('fails when rows are cut and new ones sealed in their place, and no new checkpoint is written over the cut', async () => {
    const checkpointed = await ctx.db.selectFrom('auditCheckpoints').select(['seq', 'hash']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    await cutTail(55); // the 5 rows since the checkpoint and 50 below it
    await writeRows(60);
    await sealAudit(ctx);
    const resealed = await dbHead();
    expect(resealed.rows).toBe(Number(checkpointed.seq) + 10); // longer than before: a count would not show it
    const result = await verifyAuditChain(ctx);
    expect(result).toMatchObject({ ok: false, brokenAt: { seq: checkpointed.seq, problem: expect.stringContaining('its hash is not the one the checkpoint of') } });
    expect((await cli(['audit:verify'])).code).toBe(1);

    const before = await ctx.db.selectFrom('auditCheckpoints').select('id').execute();
    const { result: job, log } = await checkpointJob();
    expect(job).toBeInstanceOf(Error);
    expect((job as Error).name).toBe('UnrecoverableError');
    expect(log).toMatchObject([{ level: 50, auditChainBrokenAt: { seq: checkpointed.seq, problem: expect.stringContaining('no longer has the hash the checkpoint') } }]);
    expect(await ctx.db.selectFrom('auditCheckpoints').select('id').execute()).toHaveLength(before.length);
  });
});

describe('the workers', () => {
  it('register the checkpoint as a daily schedule, at 03:00 London time, with an empty payload', async () => {
    const workers = await startTestWorkers(ctx, ['records']);
    try {
      const s = await ctx.jobs.queue(JOBS['audit-checkpoint'].queue).getJobScheduler('daily-audit-checkpoint');
      expect(s).toMatchObject({ key: 'daily-audit-checkpoint', name: 'audit-checkpoint', pattern: '0 3 * * *', tz: 'Europe/London' });
      expect(s!.template?.data ?? {}).toEqual({});
      expect(s!.template?.opts).toMatchObject({ attempts: 5, removeOnFail: JOBS['audit-checkpoint'].options.removeOnFail });
    } finally {
      await workers.stop();
    }
  });
});
