/**
 * The restore drill, as a library (docs/ops/backup-and-restore.md): used by `npm run
 * restore-drill` (test/drill/restore-drill.ts) and, shortened, by test/restore-drill.test.ts.
 *
 * A hub is populated through its real API and workers; then its workers stop and more checklists
 * arrive, so that some referrals are pending (their jobs sit in Redis) when the backup is taken.
 * The backup is `pg_dump --format=custom`; it is restored with `pg_restore` into a new database
 * (the machine's programs of the server's own major version), migrated, and `audit:verify
 * --expect-head` (the CLI command) must find the audit chain whole and still holding the head
 * seen before the dump. Then the workers start on the restored database with a new queue prefix,
 * as after losing Redis too: the SLA sweep's reconciliation finds the pending referrals in
 * Postgres and the forward worker mails each exactly once; none forwarded before the dump is
 * mailed again. It uses the machine's Postgres and Redis, with databases and a prefix of its own,
 * dropped at the end.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { loadEnv, type Env } from '../../config/env.js';
import { SmtpSink, type SinkMessage } from '../../dev/smtp-sink.js';
import { createContext, createWorkerDeps } from '../../src/context.js';
import { createApp } from '../../src/app.js';
import { createHttpServer, listen } from '../../src/server.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { seedDemo, SEED_QUESTIONNAIRE_ID } from '../../src/cli/seed.js';
import { runCli } from '../../src/cli/index.js';
import { findQuestionnaire } from '../../src/modules/questionnaires/questionnaire.repository.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import { sealAudit, verifyAuditChain } from '../../src/modules/audit/index.js';
import { startWorkers } from '../../workers/index.js';
import type { QueueName } from '../../src/platform/jobs/registry.js';
import { submissionBody } from '../helpers/factories.js';
import { deleteRedisPrefix } from '../helpers/redis-prefix.js';
import { createDatabase, pgBin } from '../soak/services.js';

const run = promisify(execFile);

export interface DrillOptions {
  /** checklists sent while the workers run: forwarded before the dump */
  forwardedBefore: number;
  /** checklists sent once the workers have stopped: pending at the dump */
  pendingAtDump: number;
  /** a Postgres server URL (any database on it) and a Redis URL */
  serverUrl: string;
  redisUrl: string;
  /** how long to wait after the last pending referral is mailed, for a mail that should not come */
  settleMs?: number;
  /** a safety net for each wait, never an assertion */
  waitTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface DrillReport {
  postgres: { server: string; pgDump: string };
  checklists: { forwardedBefore: number; pendingAtDump: number };
  referrals: { forwardedBefore: number; pendingAtDump: number };
  dumpBytes: number;
  migrationsApplied: string[];
  auditVerify: { exitCode: number; output: string };
  afterRestore: {
    pendingMailedOnce: number;
    pendingNotMailed: number;
    pendingMailedTwiceOrMore: number;
    forwardedBeforeMailedAgain: number;
    restoredStatuses: Record<string, number>;
  };
  /** milliseconds of each step */
  timings: Record<'populate' | 'dump' | 'restore' | 'migrate' | 'auditVerify' | 'workersStart' | 'pendingForwarded', number>;
}

/** What a drill's report says went wrong; empty when the restore carried on as it should. */
export function drillProblems(r: DrillReport): string[] {
  const p: string[] = [];
  if (r.auditVerify.exitCode !== 0) p.push(`audit:verify exited ${r.auditVerify.exitCode}: ${r.auditVerify.output}`);
  if (r.referrals.pendingAtDump === 0) p.push('no referral was pending at the dump: the drill proved nothing');
  if (r.afterRestore.pendingNotMailed) p.push(`${r.afterRestore.pendingNotMailed} referrals pending at the dump were never mailed`);
  if (r.afterRestore.pendingMailedTwiceOrMore) p.push(`${r.afterRestore.pendingMailedTwiceOrMore} referrals pending at the dump were mailed more than once`);
  if (r.afterRestore.forwardedBeforeMailedAgain) p.push(`${r.afterRestore.forwardedBeforeMailedAgain} referrals forwarded before the dump were mailed again`);
  const notForwarded = Object.entries(r.afterRestore.restoredStatuses).filter(([s]) => s !== 'forwarded');
  if (notForwarded.length) p.push(`referrals not forwarded in the restored hub: ${notForwarded.map(([s, n]) => `${n} ${s}`).join(', ')}`);
  return p;
}

function urlOn(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | false | null | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`restore drill: timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A referral's forward mail carries its stable Message-ID (src/platform/mail/message-id.ts). */
const forwardMailOf = (m: SinkMessage) => /^<forward-([0-9a-f-]{36})@/.exec(m.messageId ?? '')?.[1];

async function timed<T>(timings: Record<string, number>, step: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[step] = Math.round(performance.now() - t0);
  }
}

export async function runRestoreDrill(o: DrillOptions): Promise<DrillReport> {
  const log = o.log ?? (() => {});
  const wait = o.waitTimeoutMs ?? 180_000;
  const tag = randomBytes(4).toString('hex');
  const source = { name: `signpost_drill_${tag}`, prefix: `sp-drill-${tag}` };
  const restored = { name: `signpost_drill_${tag}_restored`, prefix: `sp-drill-${tag}-restored` };
  const timings = {} as DrillReport['timings'];
  const dir = await mkdtemp(join(tmpdir(), 'signpost-drill-'));
  const sink = await new SmtpSink({ host: '127.0.0.1', port: 0, dir: null }).start();
  const envFor = (db: string, prefix: string): Env =>
    loadEnv({
      NODE_ENV: 'test',
      DATABASE_URL: urlOn(o.serverUrl, db),
      REDIS_URL: o.redisUrl,
      QUEUE_PREFIX: prefix,
      SMTP_URL: sink.url,
      LOG_LEVEL: process.env.DRILL_LOG_LEVEL ?? 'silent',
      MFA_REQUIRED_ROLES: '',
      AUTH_CACHE_TTL_MS: '0',
      // the reconciliation finds the pending referrals on its first pass
      SLA_SWEEP_EVERY_MS: '1000',
    });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const { serverVersion, major } = await admin(o.serverUrl, async (c) => {
      const v = (await c.query<{ server_version_num: string; server_version: string }>('SELECT current_setting($1) AS server_version_num, version() AS server_version', ['server_version_num'])).rows[0]!;
      return { serverVersion: v.server_version.split(' ').slice(0, 2).join(' '), major: Math.floor(Number(v.server_version_num) / 10_000) };
    });
    const pgDump = pgBin('pg_dump', major);
    const pgRestore = pgBin('pg_restore', major);
    const pgDumpVersion = (await run(pgDump, ['--version'])).stdout.trim();
    log(`PostgreSQL ${serverVersion}; ${pgDumpVersion} (${pgDump})`);

    // ---- 1. a populated hub, through its API and workers ----
    const sourceEnv = envFor(source.name, source.prefix);
    const populated = await timed(timings, 'populate', async () => {
      await createDatabase(o.serverUrl, source.name);
      cleanups.push(() => admin(o.serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${source.name}" WITH (FORCE)`)));
      cleanups.push(() => deleteRedisPrefix(o.redisUrl, source.prefix));
      const ctx = createContext({ env: sourceEnv, role: 'api' });
      try {
        await migrateToLatest(ctx.db);
        await seedDemo(ctx.db, ctx.clock.now());
        const q = (await findQuestionnaire(ctx.db, SEED_QUESTIONNAIRE_ID))!;
        const questions = q.sections.flatMap((s) => s.questions);
        const checklist = { id: q.id, questions };
        // needs whose agencies take referrals at once, in turn
        const yes = ['benefits check', 'debts'].map((t) => questions.find((x) => x.text.includes(t))!.id);
        const user = await createUserWithToken(ctx, { role: 'link_worker', name: 'Restore drill link worker', email: `drill-${tag}@example.org`, agencyId: null });
        const server = await listen(createHttpServer(createApp(ctx), sourceEnv), 0, '127.0.0.1');
        const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        let n = 0;
        const submit = async () => {
          const res = await fetch(`${base}/api/v1/submissions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json', 'idempotency-key': `drill-${tag}-${n}` },
            body: JSON.stringify(submissionBody(checklist, [yes[n++ % yes.length]!])),
          });
          if (res.status !== 201) throw new Error(`restore drill: POST /api/v1/submissions answered ${res.status}: ${await res.text()}`);
          const body = (await res.json()) as { id: string; referrals: { id: string }[] };
          // the link worker reads it back: a read of personal data, so a row of the audit chain
          const read = await fetch(`${base}/api/v1/submissions/${body.id}`, { headers: { authorization: `Bearer ${user.token}` } });
          if (read.status !== 200) throw new Error(`restore drill: GET /api/v1/submissions/:id answered ${read.status}`);
          return body.referrals.map((r) => r.id);
        };
        try {
          const workerDeps = createWorkerDeps(sourceEnv);
          const running = await startWorkers(workerDeps, ['forward', 'notify']);
          const before: string[] = [];
          for (let i = 0; i < o.forwardedBefore; i++) before.push(...(await submit()));
          await waitFor('the first referrals to be forwarded', wait, async () => {
            const mailed = new Set(sink.messages.map(forwardMailOf));
            return before.every((id) => mailed.has(id));
          });
          // the workers stop (a worker host lost): what arrives now waits in Redis
          await running.close(5_000);
          await workerDeps.close();
          const pending: string[] = [];
          for (let i = 0; i < o.pendingAtDump; i++) pending.push(...(await submit()));
          log(`populated: ${o.forwardedBefore} checklists forwarded (${before.length} referrals), then ${o.pendingAtDump} more with the workers stopped (${pending.length} referrals pending)`);
          // the audit chain sealed, as the records queue does every few seconds; its head, to find again after the restore
          await sealAudit(ctx);
          const verified = await verifyAuditChain(ctx);
          if (!verified.ok || !verified.head) throw new Error(`restore drill: the source's audit chain does not verify: ${JSON.stringify(verified)}`);
          return { before, pending, head: verified.head };
        } finally {
          server.closeAllConnections();
          await new Promise((r) => server.close(r));
        }
      } finally {
        await ctx.close();
      }
    });
    const sentBeforeRestore = sink.messages.length;

    // ---- 2. the backup ----
    const file = join(dir, `${source.name}.dump`);
    await timed(timings, 'dump', () => run(pgDump, ['--format=custom', `--file=${file}`, urlOn(o.serverUrl, source.name)]));
    const dumpBytes = (await stat(file)).size;
    log(`pg_dump --format=custom: ${(dumpBytes / 1024).toFixed(0)} KiB in ${timings.dump} ms`);

    // ---- 3. restored into a new database, and migrated ----
    await createDatabase(o.serverUrl, restored.name);
    cleanups.push(() => admin(o.serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${restored.name}" WITH (FORCE)`)));
    cleanups.push(() => deleteRedisPrefix(o.redisUrl, restored.prefix));
    await timed(timings, 'restore', () => run(pgRestore, ['--exit-on-error', '--no-owner', `--dbname=${urlOn(o.serverUrl, restored.name)}`, file]));
    log(`pg_restore into ${restored.name}: ${timings.restore} ms`);
    const restoredEnv = envFor(restored.name, restored.prefix);
    const migrationsApplied = await timed(timings, 'migrate', async () => {
      const ctx = createContext({ env: restoredEnv, role: 'cli' });
      try {
        return (await migrateToLatest(ctx.db)).filter((r) => r.status === 'Success').map((r) => r.migrationName);
      } finally {
        await ctx.close();
      }
    });
    log(`migrate: ${migrationsApplied.length} migrations applied (${timings.migrate} ms)`);

    // ---- 4. audit:verify, the CLI command, expecting the head seen before the dump ----
    const headHex = populated.head.hash;
    const auditVerify = await timed(timings, 'auditVerify', () => captureStdout(() => runCli(['audit:verify', '--expect-head', headHex], restoredEnv)));
    log(`audit:verify --expect-head ${headHex.slice(0, 12)}…: exit ${auditVerify.exitCode} ${auditVerify.output}`);

    // ---- 5. the workers on the restored hub, with an empty Redis prefix ----
    const workerDeps = createWorkerDeps(restoredEnv);
    const queues: QueueName[] = ['forward', 'notify', 'sla-sweep'];
    const running = await timed(timings, 'workersStart', () => startWorkers(workerDeps, queues));
    try {
      const pendingIds = new Set(populated.pending);
      const mailsAfter = () => sink.messages.slice(sentBeforeRestore).map(forwardMailOf).filter((id): id is string => id !== undefined);
      await timed(timings, 'pendingForwarded', () => waitFor('the pending referrals to be mailed', wait, async () => new Set(mailsAfter()).size >= pendingIds.size && [...pendingIds].every((id) => mailsAfter().includes(id))).catch(() => undefined));
      log(`the workers started on the restored hub (queues ${queues.join(', ')}, prefix ${restored.prefix}); the pending referrals were mailed within ${timings.pendingForwarded} ms`);
      await sleep(o.settleMs ?? 3_000);
      const counts = new Map<string, number>();
      for (const id of mailsAfter()) counts.set(id, (counts.get(id) ?? 0) + 1);
      const statuses = await admin(urlOn(o.serverUrl, restored.name), async (c) => (await c.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM referrals GROUP BY status')).rows);
      return {
        postgres: { server: serverVersion, pgDump: pgDumpVersion },
        checklists: { forwardedBefore: o.forwardedBefore, pendingAtDump: o.pendingAtDump },
        referrals: { forwardedBefore: populated.before.length, pendingAtDump: populated.pending.length },
        dumpBytes,
        migrationsApplied,
        auditVerify,
        afterRestore: {
          pendingMailedOnce: populated.pending.filter((id) => counts.get(id) === 1).length,
          pendingNotMailed: populated.pending.filter((id) => !counts.has(id)).length,
          pendingMailedTwiceOrMore: populated.pending.filter((id) => (counts.get(id) ?? 0) > 1).length,
          forwardedBeforeMailedAgain: populated.before.filter((id) => counts.has(id)).length,
          restoredStatuses: Object.fromEntries(statuses.map((r) => [r.status, Number(r.n)])),
        },
        timings,
      };
    } finally {
      await running.close(5_000);
      await workerDeps.close();
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err: Error) => log(`cleanup: ${err.message}`));
    await sink.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the CLI as the operator would, keeping the JSON line it prints. */
async function captureStdout(fn: () => Promise<number>): Promise<{ exitCode: number; output: string }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    const exitCode = await fn();
    return { exitCode, output: lines.join('\n') };
  } finally {
    console.log = original;
  }
}

export function formatDrillReport(r: DrillReport): string {
  const t = r.timings;
  return [
    `Restore drill (${r.postgres.server}; ${r.postgres.pgDump})`,
    `  populated through the API: ${r.checklists.forwardedBefore} checklists forwarded (${r.referrals.forwardedBefore} referrals), ${r.checklists.pendingAtDump} more pending at the dump (${r.referrals.pendingAtDump} referrals)`,
    `  pg_dump --format=custom     ${String(t.dump).padStart(7)} ms   ${(r.dumpBytes / 1024).toFixed(0)} KiB`,
    `  pg_restore (new database)   ${String(t.restore).padStart(7)} ms`,
    `  migrate                     ${String(t.migrate).padStart(7)} ms   ${r.migrationsApplied.length} applied`,
    `  audit:verify --expect-head  ${String(t.auditVerify).padStart(7)} ms   exit ${r.auditVerify.exitCode}`,
    `  workers started (new prefix)${String(t.workersStart).padStart(7)} ms`,
    `  pending referrals mailed    ${String(t.pendingForwarded).padStart(7)} ms   once: ${r.afterRestore.pendingMailedOnce}, never: ${r.afterRestore.pendingNotMailed}, twice or more: ${r.afterRestore.pendingMailedTwiceOrMore}`,
    `  forwarded before, mailed again: ${r.afterRestore.forwardedBeforeMailedAgain}`,
    `  referrals in the restored hub: ${Object.entries(r.afterRestore.restoredStatuses).map(([s, n]) => `${n} ${s}`).join(', ')}`,
    `  (populating took ${t.populate} ms)`,
  ].join('\n');
}
