/**
 * Webhooks when things go wrong between the change and the delivery (docs/webhooks.md#delivery),
 * against the real Postgres and Redis and a real receiver (node:http) verifying every request
 * with the `standardwebhooks` package and deduplicating by webhook-id, as docs/webhooks.md tells
 * receivers to:
 *  - a worker process SIGKILLed while its POST is in flight (the receiver holds the request
 *    open): a fresh worker takes the stalled job and delivers it, under the same webhook-id;
 *  - the worker's Postgres gone after the POST and before the answer is recorded (its
 *    connections terminated with 57P01, as a restart ends them, and new ones refused until it is
 *    back): the job is retried, the event sent again under the same webhook-id, and recorded.
 * Either way the receiver has the event, the delivery row ends `delivered`, nothing is lost.
 * The webhook-timestamp is the sending worker's own time (the child runs on the system clock),
 * so the test's ManualClock is set to the real time: the library refuses a stamp five minutes off.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { JOBS } from '../src/platform/jobs/registry.js';
import { createDb } from '../src/platform/db/kysely.js';
import { runSweep } from '../src/modules/sla/sla.service.js';
import { TEST_PG_URL } from './helpers/env.js';
import { createWorld, type World } from './helpers/world.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let w: World<'admin' | 'agency'>;
let receiver: http.Server;
let base: string;
const received: Received[] = [];
/** requests the receiver has not answered yet, by path (the first to each /hold/ path) */
const held = new Map<string, http.ServerResponse>();
let workers: TestWorkers | undefined;
// short locks: a killed worker's job is seen as stalled in about a second (see forward-faults.test.ts)
const FAST_LOCKS = { lockDuration: 1_000, stalledInterval: 500 };

/** The receiver: the first request to a /hold/ path is held open; every other one gets 204. */
function startReceiver(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const first = !received.some((r) => r.path === path);
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (path.startsWith('/hold/') && first) {
        held.set(path, res);
        server.emit('held', path);
      } else res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const at = (path: string) => received.filter((r) => r.path === path);
const deliveryRow = (id: string) => w.ctx.db.selectFrom('webhookDeliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** A hub endpoint at `path` and one capacity change for it to hear of: its delivery's id and secret. */
async function oneDelivery(path: string) {
  const reg = await w.api.post('/api/v1/webhook-endpoints', w.admin.token, { url: `${base}${path}`, events: ['capacity.changed'] });
  expect(reg.status).toBe(201);
  const put = await w.api.put(`/api/v1/agencies/${w.agency.agencyId}/capacity`, w.agency.token, { status: 'accepting' });
  expect(put.status).toBe(200);
  const d = await w.ctx.db.selectFrom('webhookDeliveries').select('id').where('endpointId', '=', reg.body.id).executeTakeFirstOrThrow();
  return { deliveryId: d.id, secret: reg.body.secret as string, endpointId: reg.body.id as string };
}

/**
 * What a receiver that follows docs/webhooks.md keeps: every request verified (it throws on a bad
 * signature), then one event per webhook-id.
 */
function deduplicated(rs: Received[], secret: string) {
  const byId = new Map<string, { type: string; data: Record<string, unknown> }>();
  for (const r of rs) {
    const event = new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    if (!byId.has(String(r.headers['webhook-id']))) byId.set(String(r.headers['webhook-id']), event);
  }
  return byId;
}

beforeAll(async () => {
  w = await createWorld({ admin: 'admin', agency: { agencyOf: 0 } }, { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '15000' });
  receiver = await startReceiver();
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  w.ctx.clock.set(new Date());
});
afterEach(async () => {
  await workers?.stop();
  workers = undefined;
});
afterAll(async () => {
  for (const res of held.values()) res.destroy();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await w?.ctx.close();
});

describe('a worker killed in the middle of a delivery', () => {
  it('is replaced by another worker that delivers it: received and verified, delivered, the same webhook-id', { timeout: 45_000 }, async () => {
    const path = '/hold/killed';
    const { deliveryId, secret } = await oneDelivery(path);
    const q = w.ctx.jobs.queue('webhooks');
    const jobId = JOBS['deliver-webhook'].jobId({ deliveryId });
    const child = fork(fileURLToPath(new URL('./helpers/webhook-worker-child.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        DATABASE_URL: w.ctx.databaseUrl,
        REDIS_URL: w.ctx.env.REDIS_URL,
        QUEUE_PREFIX: w.ctx.env.QUEUE_PREFIX,
        // the key that sealed the endpoint's secret
        MFA_KEY: w.ctx.env.MFA_KEY,
        ...(w.ctx.env.WEBHOOK_KEY ? { WEBHOOK_KEY: w.ctx.env.WEBHOOK_KEY } : {}),
        WEBHOOK_ALLOW_PRIVATE: 'true',
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      // the child has the job, and its POST is at the receiver, unanswered
      await once(receiver, 'held');
      expect(await q.getJobState(jobId)).toBe('active');
      child.kill('SIGKILL');
      await once(child, 'exit');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    held.get(path)?.destroy();
    // the receiver had the body, but the hub never heard an answer: nothing recorded
    expect(at(path)).toHaveLength(1);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'pending', attempts: 0 });

    workers = await startTestWorkers(w.ctx, ['webhooks'], { workerOptions: FAST_LOCKS });
    await waitUntil(async () => at(path).length >= 2, 20_000);
    const row = await waitUntil(async () => {
      const r = await deliveryRow(deliveryId);
      return r.status === 'delivered' && r;
    });
    expect(row).toMatchObject({ attempts: 1, lastStatus: 204, lastError: null });
    // at least once, with a stable id: both requests carry the delivery's id, and both verify
    expect(at(path).map((r) => r.headers['webhook-id'])).toEqual([deliveryId, deliveryId]);
    const events = deduplicated(at(path), secret);
    expect([...events.keys()]).toEqual([deliveryId]);
    expect(events.get(deliveryId)).toMatchObject({ type: 'capacity.changed', data: { id: w.agency.agencyId, status: 'accepting' } });
    // delivered: the sweep has nothing to send again, and nobody sends it a third time
    expect((await runSweep(w.ctx)).reenqueued.webhooks).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(at(path)).toHaveLength(2);
  });
});

describe('the worker’s Postgres gone between the POST and recording the answer', () => {
  // the worker connects as a role of its own, so that its connections can be ended and refused
  // while the test's own (and the API's) carry on
  const role = `signpost_wh_fault_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client;
  let workerDb: ReturnType<typeof createDb> | undefined;
  const asAdmin = (sql: string) => admin.query(sql);

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: w.ctx.databaseUrl });
    await admin.connect();
    await asAdmin(`CREATE ROLE "${role}" LOGIN`);
    await asAdmin(`GRANT ALL ON ALL TABLES IN SCHEMA public TO "${role}"`);
    await asAdmin(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "${role}"`);
  });
  afterAll(async () => {
    await workers?.stop();
    workers = undefined;
    await workerDb?.destroy();
    await asAdmin(`DROP OWNED BY "${role}"`).catch(() => undefined);
    await admin?.end();
    // the role is the server's, not the database's: dropped once no connection of it is left
    const server = new pg.Client({ connectionString: TEST_PG_URL });
    await server.connect();
    await server.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
    await server.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
    await server.end();
  });

  it('retries once Postgres is back: sent again under the same webhook-id, delivered, nothing lost', { timeout: 45_000 }, async () => {
    const path = '/hold/postgres-gone';
    const { deliveryId, secret } = await oneDelivery(path);
    const q = w.ctx.jobs.queue('webhooks');
    const jobId = JOBS['deliver-webhook'].jobId({ deliveryId });
    // a job that fails for want of Postgres (not a RetryLater) waits a minute: the same job id
    // with a short fixed backoff, for this test only (as forward-faults.test.ts does)
    await waitUntil(async () => (await q.getJobState(jobId)) === 'waiting');
    await q.remove(jobId);
    await q.add('deliver-webhook', { deliveryId }, { ...JOBS['deliver-webhook'].options, jobId, backoff: { type: 'fixed', delay: 300 } });

    const url = new URL(w.ctx.databaseUrl);
    url.username = role;
    const connectionErrors: string[] = [];
    workerDb = createDb({ connectionString: url.toString(), poolSize: 2, applicationName: 'webhook-fault-worker', onConnectionError: (e) => connectionErrors.push(e.message) });
    workers = await startTestWorkers({ ...w.ctx, db: workerDb }, ['webhooks'], { workerOptions: FAST_LOCKS });

    // the worker has read the row and POSTed; the receiver holds the request
    await once(receiver, 'held');
    // Postgres goes away for this worker: its connections ended (57P01, as a restart does) and
    // new ones refused; then the receiver answers 204, which the worker cannot record
    await asAdmin(`ALTER ROLE "${role}" NOLOGIN`);
    const ended = await asAdmin(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE usename = '${role}'`);
    expect(ended.rows.length).toBeGreaterThanOrEqual(1);
    held.get(path)!.writeHead(204).end();

    // the job fails, and fails again while Postgres is away: nothing sent, nothing recorded
    await waitUntil(async () => ((await q.getJob(jobId))?.attemptsMade ?? 0) >= 3, 20_000);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(at(path)).toHaveLength(1);
    expect(connectionErrors.join('\n')).toMatch(/terminating connection due to administrator command/);

    // Postgres is back: the next retry reads the row, still pending, and sends it again
    await asAdmin(`ALTER ROLE "${role}" LOGIN`);
    const row = await waitUntil(async () => {
      const r = await deliveryRow(deliveryId);
      return r.status === 'delivered' && r;
    }, 20_000);
    expect(row).toMatchObject({ attempts: 1, lastStatus: 204, lastError: null });
    expect(at(path).map((r) => r.headers['webhook-id'])).toEqual([deliveryId, deliveryId]);
    const events = deduplicated(at(path), secret);
    expect([...events.keys()]).toEqual([deliveryId]);
    expect(events.get(deliveryId)).toMatchObject({ type: 'capacity.changed', data: { id: w.agency.agencyId } });
    // the worker lived through it
    expect([...workers.workers.values()].every((x) => x.isRunning())).toBe(true);
    expect((await runSweep(w.ctx)).reenqueued.webhooks).toBe(0);
  });
});
