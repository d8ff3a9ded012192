/**
 * Metrics (docs/ops/metrics.md): GET /metrics on the API and on a worker's health port, against
 * the real Postgres, Redis and an SMTP sink. The token's 404 and 401; request durations labelled
 * by route template (never the id in the URL); the hub's gauges moving with the referrals, the
 * sweep's breaches and the clock; the worker's job durations, forward latency, mail failures and
 * the sweep's last run; a scrape that still answers, and says what it could not read, when
 * Postgres and Redis are down. Then the alert rules and the dashboard in docs/ops/ are parsed,
 * and every metric they name must be one these two processes expose.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { sql } from 'kysely';
import { loadEnv } from '../config/env.js';
import { createApp } from '../src/app.js';
import { createProcessMetrics } from '../src/context.js';
import { ManualClock, HOUR } from '../src/kernel/clock.js';
import { randomIds } from '../src/kernel/ids.js';
import { createDb } from '../src/platform/db/kysely.js';
import { createProducer } from '../src/platform/jobs/producer.js';
import { createLogger } from '../src/platform/logger.js';
import { HolidayCalendar } from '../src/modules/clocks/holiday-calendar.js';
import { AgencyCapacities } from '../src/modules/capacity/capacity-cache.js';
import { PublishedQuestionnaires } from '../src/modules/questionnaires/questionnaire-cache.js';
import { runSweep } from '../src/modules/sla/index.js';
import { indexPersonSearchNames } from '../src/modules/people/index.js';
import { startWorkerHealth } from '../workers/health-server.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { apiClient } from './helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { startTestSink, type SmtpSink } from './helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';
import { lettersOf } from './helpers/people.js';

const TOKEN = 'test-metrics-token-0123456789abcdef';

let ctx: TestContext;
let sink: SmtpSink;
let api: ReturnType<typeof apiClient>;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let linkWorker: TestUser;
let coordinator: TestUser;

beforeAll(async () => {
  sink = await startTestSink();
  ctx = await createTestContext({ SMTP_URL: sink.url, METRICS_TOKEN: TOKEN }, { metrics: true });
  api = apiClient(ctx.baseUrl);
  q = await seedChecklist(ctx);
  linkWorker = await makeUser(ctx, 'link_worker');
  coordinator = await makeUser(ctx, 'coordinator');
});
afterAll(async () => {
  await ctx?.close();
  await sink?.stop();
});

/** GET /metrics at base with the token (or another authorization). */
async function scrape(base: string, authorization: string | null = `Bearer ${TOKEN}`) {
  const res = await fetch(`${base}/metrics`, { headers: authorization === null ? {} : { authorization } });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one sample (name and exact labels, in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Every sample name a scrape can hold: the samples, and each declared metric (a histogram's three series). */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      names.add(type[1]!);
      if (type[2] === 'histogram' || type[2] === 'summary') for (const s of ['_bucket', '_sum', '_count']) names.add(type[1]! + s);
    } else if (!line.startsWith('#') && line) names.add(/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0]);
  }
  return names;
}

let people = 0;
async function submit(yes: string[]) {
  const person = { givenName: 'Edith', familyName: `Metrics-${lettersOf(people++)}`, dateOfBirth: '1941-03-09', postcode: 'SE1 7PB', phone: '020 7946 0311', preferredContact: 'phone' };
  const res = await api.post('/api/v1/submissions', linkWorker.token, submissionBody(q, yes, { person }));
  expect(res.status).toBe(201);
  return res.body as { referrals: { id: string; agencyId: string }[] };
}

/** The app over these deps, listening on a free port. */
async function listenApp(deps: Parameters<typeof createApp>[0]) {
  const server = await new Promise<Server>((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const scraped: string[] = [];

describe('the API /metrics', () => {
  it('answers only to the bearer token: 401 without it or with another, 404 when no token is set', async () => {
    expect((await scrape(ctx.baseUrl, null)).status).toBe(401);
    expect((await scrape(ctx.baseUrl, `Bearer ${TOKEN}x`)).status).toBe(401);
    expect((await scrape(ctx.baseUrl, `Bearer ${TOKEN.slice(0, -1)}`)).status).toBe(401);
    expect((await scrape(ctx.baseUrl, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`)).status).toBe(401);
    const ok = await scrape(ctx.baseUrl);
    expect(ok.status).toBe(200);
    expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(ok.text, 'nodejs_eventloop_lag_seconds', { role: 'api' })).toBeGreaterThanOrEqual(0);
    expect(sample(ok.text, 'pg_pool_connections_total')).toBeGreaterThanOrEqual(1);

    const untokened = await listenApp({ ...ctx, env: Object.freeze({ ...ctx.env, METRICS_TOKEN: undefined }) });
    try {
      expect((await scrape(untokened.url)).status).toBe(404);
      expect((await scrape(untokened.url, null)).status).toBe(404);
    } finally {
      await untokened.close();
    }
  });

  it('times requests by route template and status, never by the URL asked for', async () => {
    const s = await submit([q.questions[0]!.id]);
    const id = s.referrals[0]!.id;
    expect((await api.get(`/api/v1/referrals/${id}`, coordinator.token)).status).toBe(200);
    const unknown = '0b6f7a2e-1111-4222-8333-944455556666';
    expect((await api.get(`/api/v1/referrals/${unknown}`, coordinator.token)).status).toBe(404);
    expect((await fetch(`${ctx.baseUrl}/no-such-page/${unknown}`)).status).toBe(404);
    const { text } = await scrape(ctx.baseUrl);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/referrals/:id', status: '200' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/referrals/:id', status: '404' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/submissions', status: '201' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: 'none', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(id);
    expect(text).not.toContain(unknown);
    // the scrape itself is not timed
    expect(text).not.toContain('route="/metrics"');
  });

  it('reports the hub: referrals awaiting forward, due within 24 hours, and open breaches once the clock passes T1', async () => {
    const before = await scrape(ctx.baseUrl);
    const pending = sample(before.text, 'signpost_referrals_awaiting_forward', { status: 'pending' })!;
    const dueSoon = sample(before.text, 'signpost_due_within_24h', { clock: 'forward' })!;
    const jobsWaiting = sample(before.text, 'bullmq_queue_jobs', { queue: 'forward', state: 'waiting' })!;
    await submit([q.questions[0]!.id, q.questions[1]!.id]);
    const after = await scrape(ctx.baseUrl);
    expect(sample(after.text, 'signpost_referrals_awaiting_forward', { status: 'pending' })).toBe(pending + 2);
    expect(sample(after.text, 'signpost_referrals_awaiting_forward', { status: 'forward_failed' })).toBe(0);
    expect(sample(after.text, 'signpost_referrals_held')).toBe(0);
    expect(sample(after.text, 'signpost_due_within_24h', { clock: 'forward' })).toBe(dueSoon + 2);
    expect(sample(after.text, 'signpost_sla_breaches_open', { clock: 'forward' })).toBe(0);
    expect(sample(after.text, 'signpost_self_referrals_in_triage')).toBe(0);
    expect(sample(after.text, 'signpost_metrics_source_up', { source: 'postgres' })).toBe(1);
    expect(sample(after.text, 'signpost_metrics_source_up', { source: 'redis' })).toBe(1);
    // the checklist's two referrals travel in one job (the intake's forward batch)
    expect(sample(after.text, 'bullmq_queue_jobs', { queue: 'forward', state: 'waiting' })).toBe(jobsWaiting + 1);

    ctx.clock.advance(25 * HOUR);
    await runSweep(ctx);
    const late = await scrape(ctx.baseUrl);
    expect(sample(late.text, 'signpost_sla_breaches_open', { clock: 'forward' })).toBe(pending + 2);
    expect(sample(late.text, 'signpost_due_within_24h', { clock: 'forward' })).toBe(0);
    scraped.push(late.text);
  });

  it('still answers when Postgres and Redis are down, saying which could not be read and making up nothing', async () => {
    const env = loadEnv({ NODE_ENV: 'test', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent', METRICS_TOKEN: TOKEN });
    const logger = createLogger('silent');
    const db = createDb({ connectionString: env.DATABASE_URL, poolSize: 1 });
    const jobs = createProducer({ redisUrl: env.REDIS_URL, prefix: 'none', logger, mode: 'fail-fast' });
    const clock = new ManualClock();
    const deps = { env, db, jobs, logger, clock, ids: randomIds, questionnaires: new PublishedQuestionnaires(db), holidays: new HolidayCalendar(db, clock, env), capacities: new AgencyCapacities(db, clock, 0) };
    const down = await listenApp({ ...deps, metrics: createProcessMetrics(deps, 'api', { cacheMs: 0 }) });
    try {
      const started = performance.now();
      const res = await scrape(down.url);
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(sample(res.text, 'signpost_metrics_source_up', { source: 'postgres' })).toBe(0);
      expect(sample(res.text, 'signpost_metrics_source_up', { source: 'redis' })).toBe(0);
      expect(sample(res.text, 'signpost_referrals_awaiting_forward', { status: 'pending' })).toBeUndefined();
      expect(sample(res.text, 'signpost_sla_breaches_open', { clock: 'forward' })).toBeUndefined();
      expect(sample(res.text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    } finally {
      await down.close();
      await jobs.close();
      await db.destroy();
    }
  });
});

describe('a worker /metrics', () => {
  let workers: TestWorkers;
  let health: Awaited<ReturnType<typeof startWorkerHealth>>;
  beforeAll(async () => {
    const metrics = createProcessMetrics(ctx, 'worker', { cacheMs: 0 });
    workers = await startTestWorkers(ctx, ['forward', 'notify', 'sla-sweep'], { metrics });
    health = await startWorkerHealth(workers.deps, workers, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await health?.close();
    await workers?.stop();
  });

  it('answers only to the token', async () => {
    expect((await scrape(health.url, null)).status).toBe(401);
    expect((await scrape(health.url, 'Bearer nope')).status).toBe(401);
    expect((await scrape(health.url)).status).toBe(200);
  });

  it('times each job, and the time from receipt to the agency\'s mail once per referral', async () => {
    // the referrals of the earlier cases: received 25 hours ago (the clock moved), sent now
    const waiting = await ctx.db.selectFrom('referrals').select('id').where('status', '=', 'pending').execute();
    expect(waiting.length).toBeGreaterThanOrEqual(3);
    await waitUntil(async () => (await ctx.db.selectFrom('referrals').select('id').where('status', '=', 'pending').execute()).length === 0, 30_000);
    const { text } = await waitUntil(async () => {
      const r = await scrape(health.url);
      return (sample(r.text, 'signpost_forward_latency_seconds_count') ?? 0) >= waiting.length ? r : null;
    }, 15_000);
    expect(sample(text, 'signpost_forward_latency_seconds_count')).toBe(waiting.length);
    // the first one went 25 hours after its receipt; none in under a day
    expect(sample(text, 'signpost_forward_latency_seconds_bucket', { le: '86400' })).toBe(0);
    expect(sample(text, 'signpost_forward_latency_seconds_bucket', { le: '172800' })).toBe(waiting.length);
    expect(sample(text, 'bullmq_job_duration_seconds_count', { queue: 'forward', job: 'forward-batch', outcome: 'completed', role: 'worker' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'signpost_mail_failures_total', { kind: 'referral_forward', permanent: 'false' })).toBeUndefined();
  });

  it('counts a mail the relay refused, and sets when the sweep last ran', async () => {
    const s = await submit([q.questions[0]!.id]);
    sink.failWith({ code: 451, times: 1 });
    // the failure is counted as the relay answers (in the intake's batch job, which hands the
    // referral to its own job and completes)
    await waitUntil(async () => sample((await scrape(health.url)).text, 'signpost_mail_failures_total', { kind: 'referral_forward', permanent: 'false' }) === 1, 20_000);
    // the retry, the referral's own job, is sent (the relay takes the next one)
    await waitUntil(() => ctx.db.selectFrom('referrals').select('id').where('id', '=', s.referrals[0]!.id).where('status', '=', 'forwarded').executeTakeFirst(), 30_000);
    const { text } = await waitUntil(async () => {
      const r = await scrape(health.url);
      // (the sweep of an earlier case enqueued referrals' own jobs too)
      return (sample(r.text, 'bullmq_job_duration_seconds_count', { queue: 'forward', job: 'forward-referral', outcome: 'completed' }) ?? 0) >= 1 ? r : null;
    }, 20_000);
    expect(sample(text, 'signpost_mail_failures_total', { kind: 'referral_forward', permanent: 'false' })).toBe(1);
    expect(sample(text, 'bullmq_job_duration_seconds_count', { queue: 'forward', job: 'forward-referral', outcome: 'failed' })).toBeUndefined();

    await ctx.jobs.enqueue('sla-sweep', {});
    const swept = await waitUntil(async () => {
      const r = await scrape(health.url);
      return (sample(r.text, 'signpost_sla_sweep_last_run_timestamp_seconds') ?? 0) > 0 ? r : null;
    }, 20_000);
    expect(sample(swept.text, 'signpost_sla_sweep_last_run_timestamp_seconds')).toBe(ctx.clock.now().getTime() / 1000);
    scraped.push(swept.text);
  });
});

describe('docs/ops: the alert rules and the dashboard name only metrics the processes expose', () => {
  // PromQL's own words: functions, aggregations, keywords, and Prometheus's own series
  const PROMQL = new Set(['sum', 'min', 'max', 'avg', 'count', 'rate', 'irate', 'increase', 'delta', 'deriv', 'time', 'absent', 'absent_over_time', 'histogram_quantile', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'clamp_min', 'clamp_max', 'max_over_time', 'min_over_time', 'avg_over_time', 'changes', 'resets', 'vector', 'scalar', 'topk', 'bottomk', 'le', 'inf', 'nan']);
  const PROMETHEUS_OWN = new Set(['up']);

  function metricNames(expr: string): string[] {
    const bare = expr
      .replace(/"(?:[^"\\]|\\.)*"/g, '""')
      .replace(/\{[^}]*\}/g, '')
      .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
      .replace(/\[[^\]]*\]/g, '')
      .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?[smhdwy]?\b/gi, '');
    return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL.has(w.toLowerCase()));
  }

  it('parses the alert rules and the dashboard, each naming what it watches', async () => {
    expect(scraped).toHaveLength(2);
    const exposed = new Set([...exposedNames(scraped[0]!), ...exposedNames(scraped[1]!), ...PROMETHEUS_OWN]);

    const rules = parseYaml(readFileSync(new URL('../docs/ops/alerts.yml', import.meta.url), 'utf8')) as { groups: { name: string; rules: { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[] };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert).sort()).toEqual(expect.arrayContaining(['SignpostWorkerDown', 'SignpostQueueBackingUp', 'SignpostBreachesRising', 'SignpostMailFailing', 'SignpostSweepNotRun']));
    const runbook = readFileSync(new URL('../docs/ops/runbook.md', import.meta.url), 'utf8');
    for (const a of alerts) {
      const names = metricNames(a.expr);
      expect(names.length, a.alert).toBeGreaterThan(0);
      for (const n of names) expect(exposed, `${a.alert} names ${n}`).toContain(n);
      expect(a.labels?.severity, a.alert).toMatch(/^(page|ticket)$/);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      // each alert has its section in the runbook, which the alert links to
      expect(runbook, a.alert).toContain(`### ${a.alert}`);
      expect(a.annotations?.runbook_url, a.alert).toContain(`#${a.alert.toLowerCase()}`);
    }

    const dashboard = JSON.parse(readFileSync(new URL('../docs/ops/grafana-dashboard.json', import.meta.url), 'utf8')) as { title: string; panels: { title: string; targets?: { expr: string }[] }[] };
    expect(dashboard.title).toMatch(/Signpost/);
    const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(targets.length).toBeGreaterThanOrEqual(8);
    for (const t of targets) {
      const names = metricNames(t.expr);
      expect(names.length, t.panel).toBeGreaterThan(0);
      for (const n of names) expect(exposed, `panel "${t.panel}" names ${n}`).toContain(n);
    }
    // and the check can fail: a name no process exposes is caught
    expect(metricNames('sum(rate(signpost_no_such_thing_total[5m])) by (kind)').filter((n) => !exposed.has(n))).toEqual(['signpost_no_such_thing_total']);
  });
});

// last: its checklists' referrals are received minutes, not a day, before the clock, which the
// worker's forward latency above must not count
describe('the name index on the API /metrics', () => {
  it('reports how far the name index trails: the age of the oldest checklist its indexer has not read, 0 once read', async () => {
    const lag = (text: string) => sample(text, 'signpost_person_search_index_lag_seconds');
    // the indexer has not run in this file: first it reads everything so far (a run moves its place
    // only up to the oldest transaction still open in the cluster, another test database's too,
    // so a run may need a moment to pass the last checklist)
    const caughtUp = async () =>
      waitUntil(async () => {
        await indexPersonSearchNames(ctx);
        const r = await scrape(ctx.baseUrl);
        return lag(r.text) === 0 ? r : null;
      }, 60_000);
    await caughtUp();
    const first = await submit([q.questions[0]!.id]);
    // as the hub's paper entry leaves it: received a month ago, keyed in now (what the indexer
    // trails is the keying in)
    const submissionId = (await ctx.db.selectFrom('referrals').select('submissionId').where('id', '=', first.referrals[0]!.id).executeTakeFirstOrThrow()).submissionId;
    await ctx.db
      .updateTable('submissions')
      .set({ receivedAt: new Date(ctx.clock.now().getTime() - 30 * 24 * HOUR), enteredAt: ctx.clock.now() })
      .where('id', '=', submissionId)
      .execute();
    ctx.clock.advance(10 * 60_000);
    expect(lag((await scrape(ctx.baseUrl)).text)).toBe(600);
    await submit([q.questions[1]!.id]);
    // the oldest unread one still says how far it trails
    expect(lag((await scrape(ctx.baseUrl)).text)).toBe(600);
    const read = await caughtUp();
    expect(lag(read.text)).toBe(0);

    // a dump restored from another cluster: the progress is ahead of this database's transaction
    // ids, so every checklist is unread until the indexer's first run rebuilds the index
    const oldest = await ctx.db.selectFrom('submissions').select((e) => e.fn.min(sql<Date>`coalesce(entered_at, received_at)`).as('at')).executeTakeFirstOrThrow();
    await sql`UPDATE person_search_progress SET read_from_xid = (pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000000000)::text::xid8`.execute(ctx.db);
    expect(lag((await scrape(ctx.baseUrl)).text)).toBe((ctx.clock.now().getTime() - oldest.at!.getTime()) / 1000);
    expect((await indexPersonSearchNames(ctx)).rebuilt).toBe(true);
    expect(lag((await caughtUp()).text)).toBe(0);
  });
});
