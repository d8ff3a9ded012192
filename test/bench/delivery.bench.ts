/**
 * Delivery benchmark (`npm run bench:delivery`): the API, the workers and an SMTP sink in one
 * process, as `npm run demo` runs them. Submits BENCH_SUBMISSIONS checklists (default 300, each
 * flagging one to three agencies) through HTTP at a steady BENCH_RATE per second (default 20),
 * and prints the median, p95, p99 and max time from sending the POST to the sink accepting each
 * agency's mail. Uses its own database and queue prefix, removed afterwards.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { loadEnv } from '../../config/env.js';
import { createContext, createWorkerDeps } from '../../src/context.js';
import { createDb } from '../../src/platform/db/kysely.js';
import { ensureDatabase, migrateToLatest } from '../../src/platform/db/migrate.js';
import { findQuestionnaire } from '../../src/modules/questionnaires/questionnaire.repository.js';
import { seedDemo, SEED_QUESTIONNAIRE_ID } from '../../src/cli/seed.js';
import { SmtpSink } from '../../dev/smtp-sink.js';
import { startServer } from '../../src/server.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import { startWorkers } from '../../workers/index.js';
import { deleteRedisPrefix } from '../helpers/context.js';
import { distinctPerson } from '../helpers/people.js';

const DB_NAME = 'signpost_bench_delivery';
const DB_URL = `${process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432'}/${DB_NAME}`;
const PREFIX = 'signpost-bench-delivery';
const N = Number(process.env.BENCH_SUBMISSIONS ?? 300);
const RATE = Number(process.env.BENCH_RATE ?? 20);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function dropDatabase(): Promise<void> {
  const c = new pg.Client({ connectionString: DB_URL.replace(`/${DB_NAME}`, '/postgres') });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  await c.end();
}

async function main(): Promise<void> {
  await dropDatabase();
  await ensureDatabase(DB_URL);
  const setup = createDb({ connectionString: DB_URL, poolSize: 2 });
  await migrateToLatest(setup);
  await seedDemo(setup, new Date());
  const questions = (await findQuestionnaire(setup, SEED_QUESTIONNAIRE_ID))!.sections.flatMap((s) => s.questions);
  await setup.destroy();

  const sink = await new SmtpSink({ port: 0 }).start();
  const env = loadEnv({
    ...process.env,
    NODE_ENV: 'production',
    SESSION_SECRET: 'bench-only-session-secret-0123456789abcdef',
    HUB_PHONE: '020 7946 0999',
    DATABASE_URL: DB_URL,
    QUEUE_PREFIX: PREFIX,
    SMTP_URL: sink.url,
    // the sink speaks no TLS, which production otherwise requires (docs/ops/mail-relay.md)
    SMTP_REQUIRE_TLS: 'false',
    PORT: '0',
    LOG_LEVEL: 'warn',
    WORKER_QUEUES: 'forward,notify',
  });
  const api = createContext({ env, role: 'api' });
  const { server, stop: stopApi } = await startServer(api);
  const workerDeps = createWorkerDeps(env, api.logger);
  const workers = await startWorkers(workerDeps);
  const addr = server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const { token } = await createUserWithToken(api, { role: 'link_worker', name: 'Bench link worker', email: 'bench@example.org' });

  const sentAt = new Map<string, number>(); // referral id -> when its POST was sent
  let expected = 0;
  const posts: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    // steady rate: the i-th POST leaves at t0 + i / RATE seconds
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 0) await sleep(wait);
    const yes = new Set(Array.from({ length: 1 + (i % 3) }, (_, k) => questions[(i * 7 + k * 5) % questions.length]!.id));
    const body = {
      questionnaireId: SEED_QUESTIONNAIRE_ID,
      person: distinctPerson(), // a new person each time: one person sent again would join their live referrals
      consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: new Date().toISOString() },
      answers: Object.fromEntries(questions.map((q) => [q.id, yes.has(q.id)])),
    };
    const start = performance.timeOrigin + performance.now();
    posts.push(
      fetch(`${base}/api/v1/submissions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (res) => {
        if (res.status !== 201) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
        const reply = (await res.json()) as { referrals: { id: string }[] };
        for (const r of reply.referrals) sentAt.set(r.id, start);
        expected += reply.referrals.length;
      }),
    );
  }
  await Promise.all(posts);
  const submitSeconds = (performance.now() - t0) / 1000;
  await sink.waitFor(expected, { timeoutMs: 120_000, filter: (m) => m.messageId.startsWith('<forward-') });

  const latencies: number[] = [];
  for (const m of sink.messages) {
    const id = /^<forward-([0-9a-f-]{36})@/.exec(m.messageId)?.[1];
    const start = id ? sentAt.get(id) : undefined;
    if (start !== undefined) latencies.push(Math.round(m.receivedAt.getTime() - start));
  }
  latencies.sort((a, b) => a - b);
  const duplicates = sink.messages.length - new Set(sink.messages.map((m) => m.messageId)).size;
  console.log(`
Delivery: POST /api/v1/submissions -> agency mail accepted by the SMTP sink
  ${N} checklists at ${RATE}/s (sent in ${submitSeconds.toFixed(1)} s), ${latencies.length} agency mails, ${duplicates} duplicates
  WORKER_CONCURRENCY=${env.WORKER_CONCURRENCY}, one process (API + workers + sink), Node ${process.version}
  median ${pct(latencies, 50)} ms   p95 ${pct(latencies, 95)} ms   p99 ${pct(latencies, 99)} ms   max ${latencies.at(-1)} ms
`);

  await stopApi();
  await workers.close(env.SHUTDOWN_GRACE_MS);
  await workerDeps.close();
  await sink.stop();
  await deleteRedisPrefix(PREFIX);
  await dropDatabase();
}

await main();
