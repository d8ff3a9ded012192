/**
 * The restore drill made short (docs/ops/backup-and-restore.md; `npm run restore-drill` is the
 * long one): a hub populated through its API, with referrals pending at the dump, is dumped with
 * pg_dump, restored with pg_restore into a new database, migrated and verified by `audit:verify
 * --expect-head`; its workers start with an empty Redis prefix and mail each pending referral
 * once, and no referral forwarded before the dump again.
 */
import { describe, expect, it } from 'vitest';
import { drillProblems, runRestoreDrill, type DrillReport } from './drill/drill.js';
import { TEST_PG_URL, TEST_REDIS_URL } from './helpers/env.js';

describe('a backup restored into a hub that carries on', () => {
  it('forwards the referrals pending at the dump once each, and none forwarded before it again', async () => {
    const r = await runRestoreDrill({ forwardedBefore: 3, pendingAtDump: 3, serverUrl: TEST_PG_URL, redisUrl: TEST_REDIS_URL, settleMs: 2_000 });
    expect(drillProblems(r)).toEqual([]);
    expect(r.referrals).toEqual({ forwardedBefore: 3, pendingAtDump: 3 });
    expect(r.dumpBytes).toBeGreaterThan(0);
    // the CLI command found the chain whole, and the head seen before the dump in it
    expect(r.auditVerify.exitCode).toBe(0);
    const verified = JSON.parse(r.auditVerify.output) as { ok: boolean; sealed: number; expectedHead: { seq: string } | null };
    expect(verified.ok).toBe(true);
    expect(verified.sealed).toBeGreaterThan(0);
    expect(verified.expectedHead).not.toBeNull();
    expect(r.afterRestore).toEqual({ pendingMailedOnce: 3, pendingNotMailed: 0, pendingMailedTwiceOrMore: 0, forwardedBeforeMailedAgain: 0, restoredStatuses: { forwarded: 6 } });
  }, 300_000);

  it('reports a restore that did not carry on', () => {
    const ok: DrillReport = {
      postgres: { server: 'PostgreSQL 15', pgDump: 'pg_dump 15' },
      checklists: { forwardedBefore: 1, pendingAtDump: 1 },
      referrals: { forwardedBefore: 1, pendingAtDump: 1 },
      dumpBytes: 1,
      migrationsApplied: [],
      auditVerify: { exitCode: 0, output: '{}' },
      afterRestore: { pendingMailedOnce: 1, pendingNotMailed: 0, pendingMailedTwiceOrMore: 0, forwardedBeforeMailedAgain: 0, restoredStatuses: { forwarded: 2 } },
      timings: { populate: 0, dump: 0, restore: 0, migrate: 0, auditVerify: 0, workersStart: 0, pendingForwarded: 0 },
    };
    expect(drillProblems(ok)).toEqual([]);
    expect(drillProblems({ ...ok, auditVerify: { exitCode: 1, output: 'broken' } })).toHaveLength(1);
    expect(drillProblems({ ...ok, afterRestore: { ...ok.afterRestore, pendingMailedOnce: 0, pendingMailedTwiceOrMore: 1 } })).toHaveLength(1);
    expect(drillProblems({ ...ok, afterRestore: { ...ok.afterRestore, forwardedBeforeMailedAgain: 1 } })).toHaveLength(1);
    expect(drillProblems({ ...ok, afterRestore: { ...ok.afterRestore, pendingMailedOnce: 0, pendingNotMailed: 1, restoredStatuses: { forwarded: 1, pending: 1 } } })).toHaveLength(2);
  });
});
