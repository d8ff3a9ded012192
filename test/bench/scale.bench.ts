/**
 * History at scale (`npm run bench:scale`): times every coordinator page and the API's lists
 * against the compiled API (the script builds it first) with a small history and a large one. Each
 * is its own database holding the demo checklist, a small hub's live work (as bench:pages makes
 * it) and closed history made with set-based SQL (scale-history.ts), spread over three years:
 * 1,500 checklists (about 3,200 referrals, so that every list on a page is as full as it gets)
 * for the small one, 500,000 (more than a million referrals) for the large one. The two APIs
 * run side by side and each page's requests alternate between them, so whatever else the
 * machine is doing weighs on both alike. Prints p50 and p95 of each, the growth (large p95 /
 * small p95) and whether every page's p95 at a million is under 150 ms and grew less than 2x.
 * The summary report is timed for the last full quarter and the last full financial year (and
 * one agency's year); the report's daily rollup is made first for the whole history, as the
 * sweep would have made it, and timed. Last, a year's referrals are streamed as CSV from the
 * large history, with the API process's RSS sampled while it streams.
 * The large database (BENCH_DATABASE_URL, default signpost_bench_scale) is kept and reused by
 * the next run; the small one (the same name with `_small`) is built afresh each time.
 * BENCH_ROUNDS sets the requests per page (default 60), BENCH_SUBMISSIONS the large history's
 * checklists.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { loadEnv } from '../../config/env.js';
import { createContext } from '../../src/context.js';
import { ensureDatabase, migrateToLatest } from '../../src/platform/db/migrate.js';
import { rollUpReferralDays } from '../../src/modules/sla/referral-day.repository.js';
import { rollUpReportDays } from '../../src/modules/reports/report-summary.repository.js';
import { readFile } from 'node:fs/promises';
import { seedDemo } from '../../src/cli/seed.js';
import { recordFollowUp } from '../../src/modules/follow-up/follow-up-record.service.js';
import { recordForwarded } from '../../src/modules/forwarding/forward.service.js';
import { hashPassword } from '../../src/modules/accounts/password.service.js';
import { transitionReferral } from '../../src/modules/referrals/referral.service.js';
import { submissionBodySchema } from '../../src/modules/intake/submission.schema.js';
import { submitQuestionnaire } from '../../src/modules/intake/submission.service.js';
import { createUserWithToken, issueToken } from '../../src/modules/accounts/user.service.js';
import { deleteRedisPrefix } from '../helpers/context.js';
import { lettersOf } from '../helpers/people.js';
import { BenchClient } from './bench-client.js';
import { productionArgs } from './production-command.js';
import { growHistory, growWellbeing } from './scale-history.js';

const LARGE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/signpost_bench_scale';
const SMALL_URL = LARGE_URL.replace(/\/([^/?]+)(\?|$)/, '/$1_small$2');
const PREFIX = 'signpost-bench-scale';
const PORTS = { small: 3932, large: 3933 } as const;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const SUBMISSIONS = Number(process.env.BENCH_SUBMISSIONS ?? 500_000);
const SMALL_SUBMISSIONS = 1_500;
const TARGET_REFERRALS = 1_000_000;
const PASSWORD = 'bench scale password';
const EMAIL = (role: string) => `bench-scale-${role}@example.org`;

const contextFor = (url: string) => createContext({ env: loadEnv({ ...process.env, DATABASE_URL: url, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'silent' }), role: 'cli' });

async function dropDatabase(url: string) {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

async function countReferrals(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM referrals`);
    return Number(r.rows[0]!.n);
  } catch {
    return 0;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A fresh database: migrated, the demo checklist, the bench's users and a small hub's live work (as bench:pages makes). */
async function buildLive(url: string) {
  await dropDatabase(url);
  await ensureDatabase(url);
  const ctx = contextFor(url);
  try {
    await migrateToLatest(ctx.db);
    const seeded = await seedDemo(ctx.db, ctx.clock.now());
    const q = (await ctx.questionnaires.get(seeded.questionnaireId))!;
    const questions = q.sections.flatMap((s) => s.questions);
    const passwordHash = await hashPassword(PASSWORD);
    const mk = (role: 'link_worker' | 'coordinator') => createUserWithToken(ctx, { role, name: `Bench ${role}`, email: EMAIL(role), agencyId: null, passwordHash });
    const worker = await mk('link_worker');
    const coordinator = await mk('coordinator');
    const asWorker = { userId: worker.id, name: 'Bench link_worker', role: 'link_worker' as const, agencyId: null };
    const asHub = { userId: coordinator.id, name: 'Bench coordinator', role: 'coordinator' as const, agencyId: null };
    const agencies = new Map((await ctx.db.selectFrom('agencies').select(['id', 'email']).execute()).map((a) => [a.id, a]));
    // 60 checklists: two thirds forwarded, some of those contacted and completed, a few calls made
    for (let i = 0; i < 60; i++) {
      const body = submissionBodySchema.parse({
        questionnaireId: q.id,
        person: { givenName: 'Bench', familyName: `Scale-${lettersOf(i < 58 ? i : 0)}`, dateOfBirth: new Date(Date.UTC(1930, 0, 1 + 97 * (i < 58 ? i : 0))).toISOString().slice(0, 10), postcode: 'SE1 7PB', phone: '020 7946 0000', preferredContact: 'phone' },
        consent: { given: true, by: 'person', sharingAgreed: true, recordedAt: new Date().toISOString() },
        answers: Object.fromEntries(questions.map((x, k) => [x.id, k === 0 || k === i % questions.length])),
      });
      const r = await submitQuestionnaire(ctx, asWorker, body, { rawBody: body });
      if (i % 3 === 2) continue;
      let followUpId = '';
      for (const ref of r.body.referrals) {
        const a = agencies.get(ref.agencyId)!;
        const f = await ctx.db.transaction().execute((trx) => recordForwarded(trx, ctx, { id: ref.id, submissionId: r.body.id, contactDueAt: new Date(ref.contactDueAt) }, { messageId: `<forward-${ref.id}@bench>`, recipient: a.email }, new Date()));
        followUpId = f && f !== 'ended' ? f.followUpId : followUpId;
        if (i % 3 === 1) {
          await transitionReferral(ctx, { principal: asHub }, ref.id, { to: 'contacted', note: 'Spoke to them' });
          await transitionReferral(ctx, { principal: asHub }, ref.id, { to: 'completed', outcome: 'service_provided' });
        }
      }
      if (i % 6 === 1) await recordFollowUp(ctx, asHub, followUpId, { contactMade: true, outcomes: r.body.referrals.map((x) => ({ referralId: x.id, needsMet: 'yes' })) });
    }
    return { questionnaireId: q.id, worker, coordinator };
  } finally {
    await ctx.close();
  }
}

/** The live work's ids the pages open (found again in a reused database), and an API token. */
async function findLive(url: string) {
  const ctx = contextFor(url);
  try {
    await migrateToLatest(ctx.db);
    const coordinator = await ctx.db.selectFrom('users').select('id').where('email', '=', EMAIL('coordinator')).executeTakeFirstOrThrow();
    const worker = await ctx.db.selectFrom('users').select('id').where('email', '=', EMAIL('link_worker')).executeTakeFirstOrThrow();
    // the bench's first checklist: forwarded, its follow-up scheduled, its person seen twice
    const open = await ctx.db
      .selectFrom('submissions as s')
      .innerJoin('people as p', 'p.id', 's.personId')
      .select(['s.id', 's.personId'])
      .where('s.submittedBy', '=', worker.id)
      .where('p.familyName', '=', `Scale-${lettersOf(0)}`)
      .orderBy('s.receivedAt')
      .executeTakeFirstOrThrow();
    const referral = await ctx.db.selectFrom('referrals').select(['id', 'agencyId']).where('submissionId', '=', open.id).orderBy('reference').executeTakeFirstOrThrow();
    const followUp = await ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', open.id).executeTakeFirstOrThrow();
    const token = await issueToken(ctx, coordinator.id, 'bench');
    return { open: open.id, personId: open.personId, referral: referral.id, agencyId: referral.agencyId, followUp: followUp.id, token };
  } finally {
    await ctx.close();
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

type Timing = { path: string; status: number; p50: number; p95: number };

/** The compiled API on `url`, signed in as the bench's coordinator, and the pages to time. */
async function startApi(url: string, port: number) {
  const live = await findLive(url);
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, productionArgs('start'), {
    env: { ...process.env, DATABASE_URL: url, QUEUE_PREFIX: `${PREFIX}-${port}`, PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'production', SESSION_SECRET: 'bench-session-secret-0123456789-abcdefghij', MFA_KEY: 'bench-mfa-key-0123456789-abcdefghijklmnop', MFA_REQUIRED_ROLES: '', HUB_PHONE: '020 7946 0999' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    if ((await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) === 200) break;
    await sleep(100);
  }
  const hub = new BenchClient(base);
  await hub.signIn(EMAIL('coordinator'), PASSWORD);
  const apiClient = new BenchClient(base, live.token);
  const periods = reportPeriods();
  const pages: [BenchClient, string][] = [
    [hub, '/hub'],
    [hub, '/hub/follow-ups'],
    [hub, '/hub/follow-ups?state=upcoming'],
    [hub, '/hub/follow-ups?state=completed'],
    [hub, `/hub/follow-ups/${live.followUp}`],
    [hub, '/hub/referrals'],
    [hub, `/hub/referrals/${live.referral}`],
    [hub, '/hub/agencies'],
    [hub, '/hub/questionnaires'],
    [hub, '/hub/mail'],
    [hub, '/hub/people'],
    [hub, '/hub/people/matches'],
    [hub, `/hub/people/${live.personId}`],
    [hub, '/hub/reports'],
    [hub, `/hub/reports?from=${periods.year.from}&to=${periods.year.to}`],
    [hub, `/hub/reports/return?from=${periods.quarter.from}&to=${periods.quarter.to}`],
    [hub, `/hub/agencies/${live.agencyId}/performance?from=${periods.year.from}&to=${periods.year.to}`],
    [hub, '/hub/outcomes'],
    [hub, '/hub/organisations'],
    [apiClient, `/api/v1/reports/summary?from=${periods.quarter.from}&to=${periods.quarter.to}`],
    [apiClient, `/api/v1/reports/summary?from=${periods.year.from}&to=${periods.year.to}`],
    [apiClient, `/api/v1/reports/summary?from=${periods.year.from}&to=${periods.year.to}&agencyId=${live.agencyId}`],
    [apiClient, '/api/v1/referrals'],
    [apiClient, '/api/v1/sla/breaches'],
    [apiClient, '/api/v1/follow-ups'],
    // the search by name (the people page's, as the API runs it): a common given name misspelt and
    // a common family name's beginning, which match thousands in the large history
    [apiClient, '/api/v1/people?q=Margret%20Smith'],
  ];
  const stop = async () => {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    await deleteRedisPrefix(`${PREFIX}-${port}`);
  };
  return { pages, stop, apiClient, pid: proc.pid! };
}

/** Each page on both APIs, their requests alternating (5 each to warm up, then ROUNDS each timed). */
async function timeSideBySide(smallUrl: string, largeUrl: string): Promise<{ small: Timing[]; large: Timing[] }> {
  const small = await startApi(smallUrl, PORTS.small);
  const large = await startApi(largeUrl, PORTS.large);
  try {
    console.log(`\ntiming: ${ROUNDS} requests per page on each (after 5 to warm up), one at a time, alternating between the two`);
    const out = { small: [] as Timing[], large: [] as Timing[] };
    for (const [k, [sb, sp]] of small.pages.entries()) {
      const [lb, lp] = large.pages[k]!;
      const times = { small: [] as number[], large: [] as number[] };
      const status = { small: 0, large: 0 };
      for (let i = 0; i < ROUNDS + 5; i++) {
        for (const [side, b, path] of [['small', sb, sp], ['large', lb, lp]] as const) {
          const t = performance.now();
          const res = await b.fetch(path);
          await res.arrayBuffer();
          if (i >= 5) times[side].push(performance.now() - t);
          status[side] = res.status;
        }
      }
      for (const side of ['small', 'large'] as const) {
        const sorted = times[side].sort((x, y) => x - y);
        out[side].push({ path: sp.replace(/[0-9a-f-]{36}/g, ':id'), status: status[side], p50: pct(sorted, 50), p95: pct(sorted, 95) });
      }
    }
    return out;
  } finally {
    await small.stop();
    await large.stop();
  }
}

async function rowCounts(url: string, label: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = ['referrals', 'referral_events', 'submissions', 'people', 'person_versions', 'consents', 'follow_ups', 'follow_up_outcomes', 'notifications', 'sla_breaches', 'audit_log'];
    const r = await c.query<{ t: string; n: string }>(tables.map((t) => `SELECT '${t}' AS t, count(*) AS n FROM ${t}`).join(' UNION ALL '));
    const s = await c.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM referrals GROUP BY status ORDER BY 2 DESC`);
    const span = await c.query<{ first: Date; last: Date }>(`SELECT min(received_at) AS first, max(received_at) AS last FROM referrals`);
    console.log(`\n${label}: ${r.rows.map((x) => `${x.t} ${Number(x.n).toLocaleString('en-GB')}`).join(', ')}`);
    console.log(`  referrals by status: ${s.rows.map((x) => `${x.status} ${Number(x.n).toLocaleString('en-GB')}`).join(', ')}`);
    console.log(`  received from ${span.rows[0]!.first.toISOString().slice(0, 10)} to ${span.rows[0]!.last.toISOString().slice(0, 10)}`);
  } finally {
    await c.end();
  }
}

/** The closed history copied in over three years, then VACUUM (ANALYZE): autovacuum may be off, so the visibility map and the statistics are made here, as autovacuum would. */
async function grow(url: string, live: Awaited<ReturnType<typeof buildLive>>, submissions: number, log: (l: string) => void) {
  await growHistory(url, {
    submissions,
    people: Math.round(submissions / 1.5),
    now: new Date(),
    linkWorker: { id: live.worker.id, name: 'Bench link_worker' },
    coordinator: { id: live.coordinator.id, name: 'Bench coordinator' },
    questionnaireId: live.questionnaireId,
    log,
  });
  // the days the SLA sweep would have rolled up, one a day, as the history was made
  const ctx = contextFor(url);
  const r = performance.now();
  let days = 0;
  try {
    for (let n = -1; n !== 0; days += n) n = await rollUpReferralDays(ctx.db, new Date(), 366);
  } finally {
    await ctx.close();
  }
  log(`  ${'days rolled up (referral_days)'.padEnd(34)} ${String(days).padStart(9)} days ${((performance.now() - r) / 1000).toFixed(1).padStart(6)} s`);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const v = performance.now();
  await c.query('VACUUM (ANALYZE)');
  await c.end();
  log(`  ${'VACUUM (ANALYZE)'.padEnd(34)} ${' '.repeat(14)} ${((performance.now() - v) / 1000).toFixed(1).padStart(6)} s`);
  await rollUpReports(url, log);
}

/**
 * The report's daily rollup for the whole history, as the SLA sweep would have made it a day at
 * a time (and as a new migration's first sweeps do): timed, since it is what a day costs.
 */
async function rollUpReports(url: string, log: (l: string) => void) {
  const ctx = contextFor(url);
  const t = performance.now();
  try {
    const first = await ctx.db.selectFrom('submissions').select((eb) => eb.fn.min('receivedAt').as('first')).executeTakeFirstOrThrow();
    const today = new Date().toISOString().slice(0, 10);
    const days = await rollUpReportDays(ctx.db, new Date(first.first!).toISOString().slice(0, 10), today, new Date());
    const ms = performance.now() - t;
    log(`  ${'report days rolled up'.padEnd(34)} ${String(days).padStart(9)} days ${(ms / 1000).toFixed(1).padStart(6)} s${days ? ` (${(ms / days).toFixed(0)} ms a day)` : ''}`);
  } finally {
    await ctx.close();
  }
}

/** The periods the reports are timed for: the last full quarter and the last full financial year (April to March). */
function reportPeriods(today = new Date()) {
  const y = today.getUTCFullYear();
  const m = today.getUTCMonth() + 1;
  const q = Math.floor((m - 1) / 3) * 3 + 1;
  const [qy, qm] = q - 3 < 1 ? [y - 1, q + 9] : [y, q - 3];
  const iso = (yy: number, mm: number, dd: number) => new Date(Date.UTC(yy, mm - 1, dd)).toISOString().slice(0, 10);
  const fy = m >= 4 ? y - 1 : y - 2;
  return { quarter: { from: iso(qy, qm, 1), to: iso(qy, qm + 3, 0) }, year: { from: iso(fy, 4, 1), to: iso(fy + 1, 3, 31) } };
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** A year's referrals as CSV from the large history's API: time, rows, bytes, and the API process's RSS while it streams. */
async function timeYearCsv(url: string) {
  const api = await startApi(url, PORTS.large);
  try {
    const { year } = reportPeriods();
    const before = await rssOf(api.pid);
    let peak = before;
    const sampler = setInterval(() => void rssOf(api.pid).then((r) => (peak = Math.max(peak, r)), () => undefined), 50);
    const t = performance.now();
    const res = await api.apiClient.fetch(`/api/v1/reports/referrals.csv?from=${year.from}&to=${year.to}`);
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      for (const b of chunk) if (b === 10) lines++;
    }
    const ms = performance.now() - t;
    clearInterval(sampler);
    peak = Math.max(peak, await rssOf(api.pid));
    console.log(`
the CSV of a year (${year.from} to ${year.to}) from the large history: status ${res.status}, ${(lines - 1).toLocaleString('en-GB')} referrals, ${(bytes / 1e6).toFixed(1)} MB in ${(ms / 1000).toFixed(1)} s (${Math.round((lines - 1) / (ms / 1000)).toLocaleString('en-GB')} rows/s)`);
    console.log(`  API process RSS: ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at most while streaming: under 200 MB: ${peak < 200 ? 'MET' : 'NOT MET'}`);
  } finally {
    await api.stop();
  }
}

async function main() {
  console.log(`History at scale: Node ${process.version}, the compiled API, ${new Date().toISOString()}`);
  await grow(SMALL_URL, await buildLive(SMALL_URL), SMALL_SUBMISSIONS, () => undefined);
  await rowCounts(SMALL_URL, 'the small history');
  const grown = await countReferrals(LARGE_URL);
  if (grown >= TARGET_REFERRALS) {
    console.log(`\nreusing the large database (${grown.toLocaleString('en-GB')} referrals), migrated to the latest schema`);
    const ctx = contextFor(LARGE_URL);
    try {
      await migrateToLatest(ctx.db);
      const coordinator = await ctx.db.selectFrom('users').select('id').where('email', '=', EMAIL('coordinator')).executeTakeFirstOrThrow();
      await growWellbeing(LARGE_URL, coordinator.id, (l) => console.log(l));
    } finally {
      await ctx.close();
    }
    await rollUpReports(LARGE_URL, (l) => console.log(l));
  } else {
    console.log(`\nbuilding the large history: the live work, then ${SUBMISSIONS.toLocaleString('en-GB')} closed checklists:`);
    const t = performance.now();
    await grow(LARGE_URL, await buildLive(LARGE_URL), SUBMISSIONS, (l) => console.log(l));
    console.log(`built in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  await rowCounts(LARGE_URL, 'the large history');
  const { small, large } = await timeSideBySide(SMALL_URL, LARGE_URL);
  await dropDatabase(SMALL_URL);

  console.log('\npage                                small p50  small p95  large p50  large p95  growth');
  let worst = 0;
  let worstGrowth = 0;
  for (const [i, s] of small.entries()) {
    const l = large[i]!;
    const growth = l.p95 / s.p95;
    worst = Math.max(worst, l.p95);
    worstGrowth = Math.max(worstGrowth, growth);
    const f = (n: number) => n.toFixed(1).padStart(9);
    console.log(`${s.path.padEnd(34)} ${f(s.p50)}  ${f(s.p95)}  ${f(l.p50)}  ${f(l.p95)}  ${growth.toFixed(2).padStart(5)}x${l.status === s.status ? '' : ` (status ${s.status} -> ${l.status})`}`);
  }
  console.log(`\nevery page p95 < 150 ms at 1M: slowest ${worst.toFixed(1)} ms: ${worst < 150 ? 'MET' : 'NOT MET'}`);
  console.log(`every page's growth (large p95 / small p95) < 2x: largest ${worstGrowth.toFixed(2)}x: ${worstGrowth < 2 ? 'MET' : 'NOT MET'}`);
  await timeYearCsv(LARGE_URL);
}

await main();
