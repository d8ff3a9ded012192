/**
 * Intake benchmark (`npm run bench:intake`). Side by side in one run, on this machine:
 *   A. a bare Express 5 endpoint doing one INSERT of the same JSON through a pg pool;
 *   B. POST /api/v1/submissions (auth, validation, routing, the one-statement intake, enqueue),
 *      served by the compiled API (the script builds it first), as in production.
 * Prints, for each: throughput at saturation (closed loop, the same duration, at each of
 * CONNECTION_STEPS: an endpoint's best is its capacity), the ratio of the capacities B/A
 * (target >= 60 %) and the ratio at the first step alone, latency percentiles at a fixed 200
 * submissions/s (target p99 < 50 ms; arrivals of a Poisson process at that mean rate, open loop, from
 * open-loop.ts, run twice; autocannon's `overallRate`, a burst of 200 each second, beside it), write transactions per request (transaction ids taken: a commit of the intake or the bare insert
 * each, a rolled-back try too, a read-only one not), WAL bytes per request (what it writes, rows
 * and index entries, a figure that does not drift with the machine's speed), and the
 * CPU time per request of the server, PostgreSQL, Redis and the load generator (cpu.ts). Uses
 * its own database (made afresh) and queue prefix; no workers run, so queued forward jobs are
 * removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb } from '../../src/platform/db/kysely.js';
import { ensureDatabase, migrateToLatest } from '../../src/platform/db/migrate.js';
import { seedDemo, SEED_QUESTIONNAIRE_ID } from '../../src/cli/seed.js';
import { findQuestionnaire } from '../../src/modules/questionnaires/questionnaire.repository.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import { systemClock } from '../../src/kernel/clock.js';
import { randomIds } from '../../src/kernel/ids.js';
import { deleteRedisPrefix } from '../helpers/context.js';
import { randomDateOfBirth, uniqueLetters } from '../helpers/people.js';
import { cpuBetween, cpuSnapshot, type CpuKind } from './cpu.js';
import { productionArgs } from './production-command.js';
import { openLoop, type OpenLoopResult } from './open-loop.js';

const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/signpost_bench';
const PREFIX = process.env.BENCH_QUEUE_PREFIX ?? 'signpost-bench';
// the two servers' ports (another bench running on the machine holds the defaults)
const BARE_PORT = process.env.BENCH_BARE_PORT ?? '3901';
const API_PORT = process.env.BENCH_API_PORT ?? '3902';
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * Closed-loop clients at saturation: each endpoint is driven with each of these, and its best
 * throughput is its capacity. One count for both would measure the slower endpoint's latency,
 * not what it can sustain: at 16 connections an endpoint that takes 9 ms a request leaves a
 * core idle. Each step's figures are printed.
 */
const CONNECTION_STEPS = (process.env.BENCH_CONNECTIONS ?? '16,32,64').split(',').map(Number);
const POOL = '10';
/** the steady-rate phase: mean arrivals per second, and how long (2 x 20 s at 200/s: 8,000 latencies) */
const STEADY_RATE = Number(process.env.BENCH_RATE ?? 200);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 20);

async function analyze(): Promise<void> {
  const c = new pg.Client({ connectionString: DB_URL });
  await c.connect();
  await c.query('ANALYZE');
  await c.end();
}

/** Where the database's write counters stand: transaction ids taken and WAL bytes written. */
async function writes(): Promise<{ xids: number; walBytes: number }> {
  const c = new pg.Client({ connectionString: DB_URL });
  await c.connect();
  // the next transaction id: every transaction that writes takes one, so the difference counts
  // the write transactions between two readings at once (a rolled-back try too) (pg_stat_database's counter reaches the
  // statistics up to ten seconds late, and took the other endpoint's last commits for this one's);
  // the WAL position: the bytes of every row, index entry and commit written between two readings
  // (the whole cluster's: nothing else should run during the bench), a measure of what each
  // request writes that does not drift with the machine's speed
  const { rows } = await c.query(`SELECT txid_snapshot_xmax(txid_current_snapshot())::bigint AS n, pg_current_wal_lsn() - '0/0'::pg_lsn AS wal`);
  await c.end();
  return { xids: Number(rows[0].n), walBytes: Number(rows[0].wal) };
}

function start(cmd: string[], env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, cmd, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return (async () => {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(readyUrl, { method: readyUrl.endsWith('/healthz') ? 'GET' : 'POST', body: readyUrl.endsWith('/healthz') ? undefined : '{}', headers: { 'content-type': 'application/json' } })).status < 500) return child;
      } catch {
        /* not up yet */
      }
      await sleep(200);
    }
    throw new Error(`${cmd.join(' ')} did not start`);
  })();
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** A fresh database each run: figures from one run to the next compare like with like. */
async function freshDatabase(): Promise<void> {
  const url = new URL(DB_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await c.end();
  await ensureDatabase(DB_URL);
}

async function main() {
  await freshDatabase();
  const db = createDb({ connectionString: DB_URL, poolSize: 2 });
  await migrateToLatest(db);
  if (process.env.BENCH_EXPERIMENT_SQL) await sql.raw(process.env.BENCH_EXPERIMENT_SQL).execute(db);
  await seedDemo(db, systemClock.now());
  const q = (await findQuestionnaire(db, SEED_QUESTIONNAIRE_ID))!;
  const questions = q.sections.flatMap((s) => s.questions);
  const user = await createUserWithToken({ db, clock: systemClock, ids: randomIds }, {
    role: 'link_worker',
    name: 'Benchmark link worker',
    email: `bench-${Date.now()}@example.org`,
  });
  // the planner's statistics, as autovacuum keeps them in production (a CI database may run
  // with autovacuum off, and a plan made for empty tables is not what a hub would run)
  await sql`ANALYZE`.execute(db);
  await db.destroy();

  // a realistic checklist: three "yes" answers for two agencies, each for another person (the
  // intake matches people: one person sent again and again would be one person with live
  // referrals, and every later checklist would make none)
  const yes = new Set([questions[0]!.id, questions[15]!.id, questions[16]!.id]);
  const template = JSON.stringify({
    questionnaireId: q.id,
    person: { givenName: 'GIVEN', familyName: 'FAMILY', dateOfBirth: 'DOB', postcode: 'SE1 7PB', phone: '020 7946 0000', preferredContact: 'phone' },
    consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: new Date().toISOString() },
    answers: Object.fromEntries(questions.map((x) => [x.id, yes.has(x.id)])),
  });
  const body = () =>
    template
      .replace('GIVEN', `Bench${uniqueLetters()}`)
      .replace('FAMILY', `Person${uniqueLetters()}`)
      .replace('DOB', randomDateOfBirth());

  const common = { DATABASE_URL: DB_URL, DATABASE_POOL_SIZE: POOL, LOG_LEVEL: 'warn', NODE_ENV: 'production', SESSION_SECRET: 'bench-session-secret-0123456789-abcdefghij', MFA_KEY: 'bench-mfa-key-0123456789-abcdefghijklmnop', HUB_PHONE: '020 7946 0999' };
  const bare = await start(['--import', 'tsx', 'test/bench/bare-server.ts'], { ...common, PORT: BARE_PORT }, `http://127.0.0.1:${BARE_PORT}/bare`);
  // the API as production runs it: the compiled JavaScript (npm run build)
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the API, written there when it stops
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const api = await start([...profile, ...productionArgs('start')], { ...common, PORT: API_PORT, QUEUE_PREFIX: PREFIX }, `http://127.0.0.1:${API_PORT}/healthz`);

  const targets = {
    bare: { url: `http://127.0.0.1:${BARE_PORT}/bare`, headers: { 'content-type': 'application/json' } },
    signpost: { url: `http://127.0.0.1:${API_PORT}/api/v1/submissions`, headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` } },
  };
  type Step = { name: string; connections: number; rps: number; commitsPerReq: number; walPerReq: number; non2xx: number; p50: number; p99: number; fixedNon2xx: number; cpuPerReq: Record<CpuKind, number> };
  const steady: Record<string, OpenLoopResult[]> = {};
  const steps: Step[] = [];
  const results: Record<string, Step> = {};
  const pids: Record<string, number> = { bare: bare.pid!, signpost: api.pid! };
  const fixedOf: Record<string, autocannon.Result> = {};
  // a new person in every request's body
  const requests = [{ method: 'POST' as const, setupRequest: (req: autocannon.Request) => ({ ...req, body: body() }) }];
  const names = Object.keys(targets) as (keyof typeof targets)[];
  try {
    // The two endpoints take turns, phase by phase (bare, then signpost, at each step): this
    // machine's speed drifts over minutes (the bare endpoint's best moved between 3,800 and
    // 9,300/s in one afternoon), and a ratio of two figures taken a minute apart measured the drift.
    for (const name of names) await run({ ...targets[name], requests, connections: CONNECTION_STEPS[0]!, duration: 3 }); // warm-up
    // the planner's statistics for the tables the warm-up filled, as autovacuum keeps them on a
    // hub's database (it analyses a table once 50 rows and a tenth of it changed): a plan made
    // for the empty tables of a fresh database is not the plan a hub runs
    await analyze();
    // a steady 200 a second, twice (the same arrival times for both endpoints), then the burst
    for (const seed of [1, 2]) {
      for (const name of names) (steady[name] ??= []).push(await openLoop({ url: targets[name].url, headers: targets[name].headers, body, rate: STEADY_RATE, seconds: STEADY_SECONDS, seed }));
    }
    for (const name of names) fixedOf[name] = await run({ ...targets[name], requests, connections: 20, overallRate: 200, duration: DURATION });
    for (const connections of CONNECTION_STEPS) {
      for (const name of names) {
        const t = targets[name];
        const fixed = fixedOf[name]!;
        const before = await writes();
        const cpuBefore = cpuSnapshot(pids[name]!);
        const sat = await run({ ...t, requests, connections, duration: DURATION });
        const cpu = cpuBetween(cpuBefore, cpuSnapshot(pids[name]!));
        const after = await writes();
        steps.push({
          name,
          connections,
          rps: sat.requests.average,
          commitsPerReq: (after.xids - before.xids) / Math.max(1, sat.requests.total),
          walPerReq: (after.walBytes - before.walBytes) / Math.max(1, sat.requests.total),
          non2xx: sat.non2xx + sat.errors,
          p50: fixed.latency.p50,
          p99: fixed.latency.p99,
          fixedNon2xx: fixed.non2xx + fixed.errors,
          cpuPerReq: Object.fromEntries(Object.entries(cpu).map(([k, ms]) => [k, ms / Math.max(1, sat.requests.total)])) as Record<CpuKind, number>,
        });
      }
    }
    for (const name of names) results[name] = steps.filter((x) => x.name === name).reduce((a, b) => (b.rps > a.rps ? b : a));
  } finally {
    bare.kill('SIGTERM');
    api.kill('SIGTERM');
    await deleteRedisPrefix(PREFIX);
  }

  const b = results.bare!;
  const s = results.signpost!;
  console.log(`\nIntake benchmark: ${DURATION}s per phase, pg pool ${POOL}, Node ${process.version}, ${new Date().toISOString()}`);
  console.log('endpoint   connections  req/s  write txns/req  WAL bytes/req  errors | CPU ms per request: server  postgres  redis  load generator');
  for (const r of steps) {
    const c = r.cpuPerReq;
    console.log(
      `${r.name.padEnd(10)} ${String(r.connections).padStart(11)} ${r.rps.toFixed(0).padStart(6)}  ${r.commitsPerReq.toFixed(2).padStart(14)}  ${r.walPerReq.toFixed(0).padStart(13)}  ${String(r.non2xx).padStart(6)} | ${c.server.toFixed(2).padStart(26)} ${c.postgres.toFixed(2).padStart(9)} ${c.redis.toFixed(2).padStart(6)} ${c.client.toFixed(2).padStart(15)}`,
    );
  }
  console.log(`\nendpoint   steady ${STEADY_RATE}/s (Poisson arrivals, open loop, ${STEADY_SECONDS} s): sent  achieved/s  p50 ms  p90 ms  p99 ms  max ms  non-2xx`);
  for (const [name, runs] of Object.entries(steady)) {
    for (const r of runs) {
      console.log(`${name.padEnd(10)} ${String(r.sent).padStart(59)} ${r.achievedRate.toFixed(0).padStart(11)} ${r.p50.toFixed(1).padStart(7)} ${r.p90.toFixed(1).padStart(7)} ${r.p99.toFixed(1).padStart(7)} ${r.max.toFixed(1).padStart(7)} ${String(r.failed).padStart(8)}`);
    }
  }
  console.log('\nendpoint   burst: 200 each second over 20 connections (autocannon overallRate): p50 ms  p99 ms  errors');
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(10)} ${r.p50.toFixed(1).padStart(71)}  ${r.p99.toFixed(1).padStart(6)}  ${String(r.fixedNon2xx).padStart(6)}`);
  }
  const at = (name: string, c: number) => steps.find((x) => x.name === name && x.connections === c)!.rps;
  console.log(`\nside by side, each step: ${CONNECTION_STEPS.map((c) => `${c} connections ${((at('signpost', c) / at('bare', c)) * 100).toFixed(1)} %`).join(', ')}`);
  const at16 = (name: string) => at(name, CONNECTION_STEPS[0]!);
  console.log(`\nat ${CONNECTION_STEPS[0]} connections each: signpost / bare ${((at16('signpost') / at16('bare')) * 100).toFixed(1)} %`);
  console.log(`capacity (each endpoint's best): bare ${b.rps.toFixed(0)} req/s at ${b.connections} connections, signpost ${s.rps.toFixed(0)} req/s at ${s.connections}`);
  const ratio = s.rps / b.rps;
  console.log(`signpost / bare capacity: ${(ratio * 100).toFixed(1)} % (target >= 60 %): ${ratio >= 0.6 ? 'MET' : 'NOT MET'}`);
  const runs = steady.signpost!;
  const worst = Math.max(...runs.map((r) => r.p99));
  const steadyOk = worst < 50 && runs.every((r) => r.failed === 0);
  console.log(`signpost p99 at a steady ${STEADY_RATE}/s, the worse of ${runs.length} runs: ${worst.toFixed(1)} ms (target < 50 ms): ${steadyOk ? 'MET' : 'NOT MET'}`);
  console.log(`signpost p99 in the burst of 200 each second: ${s.p99.toFixed(1)} ms (not the target's load; for comparison with earlier runs)`);
}

await main();
