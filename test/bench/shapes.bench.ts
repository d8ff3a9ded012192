/**
 * Hostile shapes (`npm run bench:shapes`): how long the API's event loop is held while clients
 * send the worst bodies a shape can make, as `npm start` runs it (the compiled API, `npm run
 * build` first). For each shape, 200 requests, 4 at a time, with a valid link worker's token;
 * the API process samples its own event-loop delay (1 ms resolution) and reports the maximum
 * and p99 over the shape's run, beside the status codes it answered. The target: no request
 * holds the loop for more than a few milliseconds because of its shape, and no 5xx.
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { loadEnv } from '../../config/env.js';
import { createContext } from '../../src/context.js';
import { ensureDatabase, migrateToLatest } from '../../src/platform/db/migrate.js';
import { seedDemo } from '../../src/cli/seed.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import { deleteRedisPrefix } from '../helpers/context.js';
import { distinctPerson } from '../helpers/people.js';
import { productionArgs } from './production-command.js';

const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/signpost_bench_shapes';
const PREFIX = 'signpost-bench-shapes';
const PORT = 3921;
const PER_SHAPE = 200;
const AT_ONCE = 4;

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const SHAPES: { name: string; body: string | Buffer | (() => string); gzip?: boolean }[] = [
  { name: 'nested 5,000 levels (10 kB)', body: deep(5_000) },
  { name: 'nested 50,000 levels (100 kB)', body: deep(49_000) },
  { name: 'nested 1,000,000 levels, gzip', body: gzipSync(deep(1_000_000)), gzip: true },
  { name: '7,000 keys in one object', body: JSON.stringify(Object.fromEntries(Array.from({ length: 7_000 }, (_, i) => [`k${i}`, i]))) },
  { name: '30,000-item array', body: '[' + '1,'.repeat(30_000) + '1]' },
  { name: 'one 99 kB string of lone surrogates', body: `{"a":"${'\\ud800'.repeat(16_000)}"}` },
  { name: 'one 99 kB string', body: `{"a":"${'x'.repeat(99_000)}"}` },
  { name: 'a valid checklist (for comparison)', body: '' },
];

async function main() {
  await ensureDatabase(DB_URL);
  const env = loadEnv({ ...process.env, DATABASE_URL: DB_URL, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'silent' });
  const ctx = createContext({ env, role: 'cli' });
  await migrateToLatest(ctx.db);
  const seeded = await seedDemo(ctx.db, ctx.clock.now());
  const user = await createUserWithToken(ctx, { role: 'link_worker', name: 'Bench', email: `bench-shapes-${Date.now()}@example.org` });
  const q = (await ctx.questionnaires.get(seeded.questionnaireId))!;
  await ctx.close();
  const questions = q.sections.flatMap((s) => s.questions);
  // a new person in each valid checklist: one person sent again would join their live referrals
  SHAPES.at(-1)!.body = () =>
    JSON.stringify({
      questionnaireId: q.id,
      person: distinctPerson(),
      consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: new Date().toISOString() },
      answers: Object.fromEntries(questions.map((x, i) => [x.id, i === 0])),
    });

  const file = join(tmpdir(), `signpost-loop-${process.pid}.json`);
  const args = productionArgs('start');
  const api = spawn(process.execPath, ['--import', './test/bench/loop-monitor.mjs', ...args], {
    env: { ...process.env, DATABASE_URL: DB_URL, QUEUE_PREFIX: PREFIX, PORT: String(PORT), LOG_LEVEL: 'warn', NODE_ENV: 'production', SESSION_SECRET: 'bench-session-secret-0123456789-abcdefghij', MFA_KEY: 'bench-mfa-key-0123456789-abcdefghijklmnop', HUB_PHONE: '020 7946 0999', LOOP_MONITOR_FILE: file },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; i < 300; i++) {
      if ((await fetch(`http://127.0.0.1:${PORT}/healthz`).then((r) => r.status, () => 0)) === 200) break;
      await sleep(100);
    }
    console.log(`\nHostile shapes: Node ${process.version}, ${PER_SHAPE} requests per shape, ${AT_ONCE} at a time; event-loop delay in the API process (1 ms resolution)`);
    console.log('shape                                   statuses              loop delay max   p99');
    for (const shape of SHAPES) {
      api.kill('SIGUSR2'); // reset the histogram
      await sleep(200);
      const statuses = new Map<number, number>();
      let sent = 0;
      await Promise.all(
        Array.from({ length: AT_ONCE }, async () => {
          while (sent < PER_SHAPE) {
            sent++;
            const res = await fetch(`http://127.0.0.1:${PORT}/api/v1/submissions`, {
              method: 'POST',
              headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json', ...(shape.gzip ? { 'content-encoding': 'gzip' } : {}) },
              body: typeof shape.body === 'function' ? shape.body() : shape.body,
            });
            await res.arrayBuffer();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          }
        }),
      );
      api.kill('SIGUSR2');
      await sleep(200);
      const loop = JSON.parse(await readFile(file, 'utf8')) as { max: number; p99: number };
      const st = [...statuses].map(([s, n]) => `${s}x${n}`).join(' ');
      console.log(`${shape.name.padEnd(40)}${st.padEnd(22)}${`${loop.max.toFixed(1)} ms`.padStart(14)}${`${loop.p99.toFixed(1)} ms`.padStart(9)}`);
    }
  } finally {
    api.kill('SIGTERM');
    await rm(file, { force: true });
    await deleteRedisPrefix(PREFIX);
  }
}

await main();
