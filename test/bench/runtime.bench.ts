/**
 * Runtime benchmark (`npm run bench:runtime`): how the API process starts and what it costs in
 * memory, for each way of running it named in BENCH_MODES (default `built`, what `npm start`
 * runs; `tsx` runs the TypeScript sources through tsx, as production did before the build):
 *   - start-up: from spawning the process to the first `GET /readyz` that answers 200;
 *   - RSS when idle (5 s after ready), and while a coordinator's list read
 *     (`GET /api/v1/referrals?limit=50`) is driven at saturation: mean and peak RSS, req/s.
 * RSS is read from /proc/<pid>/status (VmRSS, VmHWM). The target is under 200 MB under load.
 * Uses its own database (BENCH_DATABASE_URL) and queue prefix; `built` is what `npm run build` made (the script builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { loadEnv } from '../../config/env.js';
import { createContext } from '../../src/context.js';
import { ensureDatabase, migrateToLatest } from '../../src/platform/db/migrate.js';
import { seedDemo, SEED_QUESTIONNAIRE_ID } from '../../src/cli/seed.js';
import { findQuestionnaire } from '../../src/modules/questionnaires/questionnaire.repository.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import { submitQuestionnaire } from '../../src/modules/intake/submission.service.js';
import { submissionBodySchema } from '../../src/modules/intake/submission.schema.js';
import { deleteRedisPrefix } from '../helpers/context.js';
import { distinctPerson } from '../helpers/people.js';
import { productionArgs } from './production-command.js';

const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/signpost_bench_runtime';
const PREFIX = 'signpost-bench-runtime';
const DURATION = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SUBMISSIONS = 1_000;
const PORT = 3911;

const MODES: Record<string, () => string[]> = {
  // exactly what `npm start` runs: the compiled code with its heap settings
  built: () => productionArgs('start'),
  tsx: () => ['--import', 'tsx', 'src/server.ts'],
};

async function rssOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

async function prepare(): Promise<string> {
  await ensureDatabase(DB_URL);
  const env = loadEnv({ ...process.env, DATABASE_URL: DB_URL, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'silent' });
  const ctx = createContext({ env, role: 'cli' });
  try {
    await migrateToLatest(ctx.db);
    await seedDemo(ctx.db, ctx.clock.now());
    const existing = await ctx.db.selectFrom('referrals').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    if (Number(existing.n) < SUBMISSIONS) {
      const q = (await findQuestionnaire(ctx.db, SEED_QUESTIONNAIRE_ID))!;
      const questions = q.sections.flatMap((s) => s.questions);
      const worker = await createUserWithToken(ctx, { role: 'link_worker', name: 'Bench link worker', email: `bench-lw-${Date.now()}@example.org` });
      for (let i = 0; i < SUBMISSIONS; i++) {
        const yes = new Set([questions[i % questions.length]!.id, questions[(i * 7) % questions.length]!.id]);
        const body = submissionBodySchema.parse({
          questionnaireId: q.id,
          person: distinctPerson(),
          consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: new Date().toISOString() },
          answers: Object.fromEntries(questions.map((x) => [x.id, yes.has(x.id)])),
        });
        await submitQuestionnaire(ctx, { userId: worker.id, name: 'Bench link worker', role: 'link_worker', agencyId: null }, body, { rawBody: body });
      }
    }
    const coordinator = await createUserWithToken(ctx, { role: 'coordinator', name: 'Bench coordinator', email: `bench-co-${Date.now()}@example.org` });
    return coordinator.token;
  } finally {
    await ctx.close();
    await deleteRedisPrefix(PREFIX);
  }
}

async function startAndTime(args: string[]): Promise<{ child: ChildProcess; startupMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, DATABASE_URL: DB_URL, QUEUE_PREFIX: PREFIX, PORT: String(PORT), LOG_LEVEL: 'warn', NODE_ENV: 'production', SESSION_SECRET: 'bench-session-secret-0123456789-abcdefghij', MFA_KEY: 'bench-mfa-key-0123456789-abcdefghijklmnop', HUB_PHONE: '020 7946 0999' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 2_000; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/readyz`)).status === 200) return { child, startupMs: performance.now() - started };
    } catch {
      /* not listening yet */
    }
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    await sleep(10);
  }
  child.kill('SIGKILL');
  throw new Error(`${args.join(' ')} was not ready in time`);
}

async function measure(mode: string, token: string) {
  const { child, startupMs } = await startAndTime(MODES[mode]!());
  try {
    await sleep(5_000);
    const idle = await rssOf(child.pid!);
    const samples: number[] = [];
    const sampler = setInterval(() => {
      rssOf(child.pid!).then((r) => samples.push(r.rss), () => {});
    }, 250);
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      autocannon(
        { url: `http://127.0.0.1:${PORT}/api/v1/referrals?limit=50`, headers: { authorization: `Bearer ${token}` }, connections: CONNECTIONS, duration: DURATION },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
    });
    clearInterval(sampler);
    const end = await rssOf(child.pid!);
    return {
      mode,
      startupMs,
      idleRss: idle.rss,
      loadMean: samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length),
      loadPeak: Math.max(end.hwm, ...samples),
      rps: result.requests.average,
      errors: result.non2xx + result.errors,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function main() {
  const modes = (process.env.BENCH_MODES ?? 'built').split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of modes) if (!MODES[m]) throw new Error(`unknown mode ${m}; known: ${Object.keys(MODES).join(', ')}`);
  const token = await prepare();
  const rows = [];
  for (const m of modes) rows.push(await measure(m, token));
  await deleteRedisPrefix(PREFIX);
  console.log(`\nRuntime benchmark: Node ${process.version}, ${DURATION}s of GET /api/v1/referrals?limit=50 at ${CONNECTIONS} connections, ${new Date().toISOString()}`);
  console.log('mode    start-up to /readyz  RSS idle   RSS under load (mean / peak)   list reads/s  errors');
  for (const r of rows) {
    console.log(
      `${r.mode.padEnd(7)} ${`${r.startupMs.toFixed(0)} ms`.padStart(19)}  ${`${r.idleRss.toFixed(0)} MB`.padStart(8)}   ${`${r.loadMean.toFixed(0)} / ${r.loadPeak.toFixed(0)} MB`.padStart(28)}   ${r.rps.toFixed(0).padStart(12)}  ${String(r.errors).padStart(6)}`,
    );
  }
  const worst = Math.max(...rows.map((r) => r.loadPeak));
  console.log(`\npeak RSS under load: ${worst.toFixed(0)} MB (target < 200 MB): ${worst < 200 ? 'MET' : 'NOT MET'}`);
}

await main();
