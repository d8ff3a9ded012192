/**
 * Signed webhooks (docs/webhooks.md): a real receiver (node:http) verifying every delivery with
 * the `standardwebhooks` package, receivers that fail in each way, SSRF attempts, agency
 * isolation, the retry schedule as a pure function and through BullMQ's backoff, and the sweep
 * re-enqueueing what Redis lost. Time comes from the test's ManualClock, set to the real time
 * first: the receiver's library refuses a webhook-timestamp more than five minutes off its own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { runSweep } from '../src/modules/sla/sla.service.js';
import { deliverWebhook } from '../src/modules/webhooks/webhook-delivery.service.js';
import { registerWebhookEndpoint } from '../src/modules/webhooks/webhook-endpoint.service.js';
import { isPublicAddress } from '../src/modules/webhooks/webhook-address.js';
import { nextRetryDelayMs, RETRY_DELAYS_MS, retryAfterMs } from '../src/modules/webhooks/retry-schedule.js';
import type { Principal } from '../src/kernel/principal.js';
import { deleteRedisPrefix } from './helpers/context.js';
import { createWorld, type World } from './helpers/world.js';
import { markForwarded, submit } from './helpers/referrals.js';
import { startTestWorkers, waitUntil, type TestWorkers } from './helpers/workers.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let w: World<'admin' | 'agencyA' | 'agencyB' | 'worker' | 'coordinator'>;
let receiver: http.Server;
let base: string;
const received: Received[] = [];
const hangs: http.ServerResponse[] = [];

/** The receiver: each path answers in its own way, and everything is kept. */
function startReceiver(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (path.startsWith('/ok')) res.writeHead(204).end();
      else if (path.startsWith('/fail')) res.writeHead(500).end('down');
      else if (path.startsWith('/busy')) res.writeHead(429, { 'retry-after': '120' }).end();
      else if (path.startsWith('/gone')) res.writeHead(410).end();
      else if (path.startsWith('/redirect')) res.writeHead(302, { location: `${base}/ok/redirected` }).end();
      else if (path.startsWith('/hang')) hangs.push(res);
      else res.writeHead(404).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const at = (path: string) => received.filter((r) => r.path === path);
const principalOf = (u: { id: string; role: Principal['role']; agencyId: string | null; name: string }): Principal => ({ userId: u.id, name: u.name, role: u.role, agencyId: u.agencyId });

async function register(token: string, path: string, events: string[]) {
  const res = await w.api.post('/api/v1/webhook-endpoints', token, { url: `${base}${path}`, events });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string; url: string; events: string[]; agencyId: string | null };
}

/** Verifies a received delivery with the specification's own library; returns its payload. */
function verified(r: Received, secret: string): { type: string; timestamp: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as never;
}

beforeAll(async () => {
  w = await createWorld({ admin: 'admin', agencyA: { agencyOf: 0 }, agencyB: { agencyOf: 1 }, worker: 'link_worker', coordinator: 'coordinator' }, { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '1500' });
  if (w.agencyA.agencyId === w.agencyB.agencyId) throw new Error('the checklist must flag two agencies with questions 0 and 1');
  receiver = await startReceiver();
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  w.ctx.clock.set(new Date());
});
afterAll(async () => {
  for (const h of hangs) h.destroy();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await w?.ctx.close();
});

describe('the retry schedule (pure)', () => {
  it('goes from seconds to minutes to hours, over about three days, with jitter, and stops', () => {
    expect(nextRetryDelayMs(1, 0.5)).toBe(5_000);
    expect(nextRetryDelayMs(2, 0.5)).toBe(5 * 60_000);
    expect(nextRetryDelayMs(1, 0)).toBe(4_000);
    expect(nextRetryDelayMs(1, 0.999_999)).toBe(6_000);
    const total = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).toBeGreaterThan(60);
    expect(total / 3_600_000).toBeLessThan(80);
    expect(nextRetryDelayMs(RETRY_DELAYS_MS.length, 0.5)).toBe(RETRY_DELAYS_MS.at(-1));
    expect(nextRetryDelayMs(RETRY_DELAYS_MS.length + 1, 0.5)).toBeNull();
    expect(nextRetryDelayMs(0, 0.5)).toBeNull();
  });

  it('never retries before Retry-After (seconds or a date), capped at a day', () => {
    const now = new Date('2026-03-02T10:00:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Mon, 02 Mar 2026 10:05:00 GMT', now)).toBe(300_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(nextRetryDelayMs(1, 0.5, 120_000)).toBe(120_000);
    expect(nextRetryDelayMs(2, 0.5, 1_000)).toBe(5 * 60_000);
    expect(nextRetryDelayMs(1, 0.5, 10 * 24 * 3_600_000)).toBe(24 * 3_600_000);
  });
});

describe('addresses a webhook may not reach', () => {
  it('knows the private, loopback and link-local ranges', () => {
    for (const a of ['127.0.0.1', '::1', '169.254.169.254', '10.1.2.3', '192.168.0.1', '172.16.5.5', '100.64.0.1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '0.0.0.0', '::']) expect(isPublicAddress(a), a).toBe(false);
    for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']) expect(isPublicAddress(a), a).toBe(true);
  });

  it('refuses them at registration with WEBHOOK_ALLOW_PRIVATE off, naming the field', async () => {
    const strict = { ...w.ctx, env: { ...w.ctx.env, WEBHOOK_ALLOW_PRIVATE: false }, resolveHost: async (h: string) => [{ address: h === 'inside.example.org' ? '10.0.0.7' : '93.184.216.34', family: 4 }] };
    for (const url of ['http://127.0.0.1:8080/hook', 'http://[::1]/hook', 'http://169.254.169.254/latest/meta-data', 'https://inside.example.org/hook', 'http://[::ffff:7f00:1]/x']) {
      await expect(registerWebhookEndpoint(strict, principalOf(w.admin), { url, events: ['referral.forwarded'] }), url).rejects.toMatchObject({ status: 400, details: [{ path: 'url' }] });
    }
    // localhost through the system's own resolver
    await expect(registerWebhookEndpoint({ ...strict, resolveHost: undefined }, principalOf(w.admin), { url: 'http://localhost:9/x', events: ['referral.forwarded'] })).rejects.toMatchObject({ status: 400 });
    // a public name passes
    await expect(registerWebhookEndpoint(strict, principalOf(w.admin), { url: 'https://public.example.org/hook', events: ['referral.forwarded'] })).resolves.toMatchObject({ secret: expect.stringMatching(/^whsec_/) });
  });

  it('refuses them again at send time, after resolving the name (a name re-pointed since registration)', async () => {
    const rebinding = { ...w.ctx, env: { ...w.ctx.env, WEBHOOK_ALLOW_PRIVATE: false }, resolveHost: async () => [{ address: '93.184.216.34', family: 4 }] };
    const e = await registerWebhookEndpoint(rebinding, principalOf(w.admin), { url: `http://rebind.example.org:${new URL(base).port}/ok/rebind`, events: ['capacity.changed'] });
    const res = await w.api.put(`/api/v1/agencies/${w.agencyA.agencyId}/capacity`, w.agencyA.token, { status: 'accepting' });
    expect(res.status).toBe(200);
    const d = await w.ctx.db.selectFrom('webhookDeliveries').select('id').where('endpointId', '=', e.id).executeTakeFirstOrThrow();
    // the name now points at the loopback address
    const outcome = await deliverWebhook({ ...rebinding, resolveHost: async () => [{ address: '127.0.0.1', family: 4 }] }, d.id, { random: () => 0.5 });
    expect(outcome).toMatchObject({ kind: 'retry' });
    expect(at('/ok/rebind')).toHaveLength(0);
    const row = await w.ctx.db.selectFrom('webhookDeliveries').selectAll().where('id', '=', d.id).executeTakeFirstOrThrow();
    expect(row.lastError).toMatch(/private, loopback or link-local/);
    await w.api.delete(`/api/v1/webhook-endpoints/${e.id}`, w.admin.token);
  });
});

describe('the API', () => {
  it('answers bad input with 400 and the field', async () => {
    const bad = [
      [{ url: 'ftp://example.org/x', events: ['referral.forwarded'] }, 'url'],
      [{ url: `${base}/ok`, events: ['referral.exploded'] }, 'events.0'],
      [{ url: `${base}/ok`, events: [] }, 'events'],
      [{ url: `${base}/ok` }, 'events'],
    ] as const;
    for (const [body, path] of bad) {
      const res = await w.api.post('/api/v1/webhook-endpoints', w.admin.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.map((x: { path: string }) => x.path)).toContain(path);
    }
    // an agency cannot ask for the hub's own events
    const own = await w.api.post('/api/v1/webhook-endpoints', w.agencyA.token, { url: `${base}/ok`, events: ['submission.closed'] });
    expect(own.status).toBe(400);
    expect((await w.api.post('/api/v1/webhook-endpoints', w.worker.token, { url: `${base}/ok`, events: ['referral.forwarded'] })).status).toBe(403);
    expect((await w.api.get('/api/v1/webhook-endpoints/not-a-uuid/deliveries', w.admin.token)).status).toBe(400);
  });
});

describe('delivery, signed and verified, to the right endpoints only', () => {
  let workers: TestWorkers;
  beforeAll(async () => {
    workers = await startTestWorkers(w.ctx, ['webhooks']);
  });
  afterAll(async () => workers?.stop());

  it('an agency hears of its own referrals and capacity only; the hub of all; every delivery verifies', async () => {
    const hub = await register(w.admin.token, '/ok/hub', ['referral.forwarded', 'referral.status_changed', 'capacity.changed', 'submission.closed']);
    const a = await register(w.agencyA.token, '/ok/a', ['referral.forwarded', 'referral.status_changed', 'capacity.changed']);
    const b = await register(w.agencyB.token, '/ok/b', ['referral.forwarded', 'referral.status_changed', 'capacity.changed']);
    expect(hub.agencyId).toBeNull();
    expect(a.agencyId).toBe(w.agencyA.agencyId);

    const s = await submit(w.api, w.worker, w.q, [w.q.questions[0]!.id]);
    const ref = s.byAgency.get(w.agencyA.agencyId!)!;
    // forwarded as the forward worker records it (no after-commit dispatch here): the sweep sends it
    await markForwarded(w.ctx, ref.id);
    await runSweep(w.ctx);
    const t = await w.api.post(`/api/v1/referrals/${ref.id}/transitions`, w.agencyA.token, { to: 'acknowledged' });
    expect(t.status).toBe(200);
    expect((await w.api.put(`/api/v1/agencies/${w.agencyB.agencyId}/capacity`, w.agencyB.token, { status: 'waiting_list', waitWeeks: 3 })).status).toBe(200);

    await waitUntil(async () => at('/ok/hub').length >= 3 && at('/ok/a').length >= 2 && at('/ok/b').length >= 1);
    const hubTypes = at('/ok/hub').map((r) => verified(r, hub.secret).type).sort();
    expect(hubTypes).toEqual(['capacity.changed', 'referral.forwarded', 'referral.status_changed']);
    const aGot = at('/ok/a').map((r) => verified(r, a.secret));
    expect(aGot.map((p) => p.type).sort()).toEqual(['referral.forwarded', 'referral.status_changed']);
    expect(aGot.find((p) => p.type === 'referral.status_changed')!.data).toEqual({ id: ref.id, reference: ref.reference, status: 'acknowledged', previousStatus: 'forwarded' });
    // B heard of its own capacity, and nothing about A's referral
    const bGot = at('/ok/b').map((r) => verified(r, b.secret));
    expect(bGot.map((p) => p.type)).toEqual(['capacity.changed']);
    expect(bGot[0]!.data).toMatchObject({ id: w.agencyB.agencyId, status: 'waiting_list', waitWeeks: 3 });
    // a delivery signed with another endpoint's secret does not verify
    expect(() => verified(at('/ok/b')[0]!, a.secret)).toThrow();
    // the headers of the specification, the id stable and the delivery's own
    const r0 = at('/ok/a')[0]!;
    expect(r0.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    const rows = await w.ctx.db.selectFrom('webhookDeliveries').select(['id', 'status']).where('endpointId', '=', a.id).execute();
    expect(rows.map((x) => x.id)).toContain(r0.headers['webhook-id']);
    await waitUntil(async () => (await w.ctx.db.selectFrom('webhookDeliveries').select('status').where('endpointId', '=', a.id).execute()).every((x) => x.status === 'delivered'));

    // the lists: each agency sees its own endpoint only, the admin all
    const listA = await w.api.get('/api/v1/webhook-endpoints', w.agencyA.token);
    expect(listA.body.data.map((e: { id: string }) => e.id)).toEqual([a.id]);
    expect(listA.body.data[0].lastDeliveries.length).toBe(2);
    expect(JSON.stringify(listA.body)).not.toContain('whsec_');
    expect((await w.api.get(`/api/v1/webhook-endpoints/${a.id}/deliveries`, w.agencyB.token)).status).toBe(404);
    expect((await w.api.delete(`/api/v1/webhook-endpoints/${a.id}`, w.agencyB.token)).status).toBe(404);
    const all = await w.api.get('/api/v1/webhook-endpoints', w.admin.token);
    expect(all.body.data.map((e: { id: string }) => e.id)).toEqual(expect.arrayContaining([hub.id, a.id, b.id]));
    const log = await w.api.get(`/api/v1/webhook-endpoints/${a.id}/deliveries`, w.agencyA.token);
    expect(log.status).toBe(200);
    expect(log.body.data.every((d: { status: string }) => d.status === 'delivered')).toBe(true);

    // every act is audited
    const audited = await w.ctx.db.selectFrom('auditLog').select('action').where('entity', '=', 'webhook_endpoint').execute();
    expect(audited.filter((x) => x.action === 'webhook.register').length).toBeGreaterThanOrEqual(3);

    for (const e of [hub, a, b]) expect((await w.api.delete(`/api/v1/webhook-endpoints/${e.id}`, e === hub ? w.admin.token : e === a ? w.agencyA.token : w.agencyB.token)).status).toBe(204);
  });

  it('an agency hears nothing of a referral never forwarded to it (cancelled while unsent); the hub does', async () => {
    const hub = await register(w.admin.token, '/unsent/hub', ['referral.status_changed']);
    const a = await register(w.agencyA.token, '/unsent/a', ['referral.forwarded', 'referral.status_changed']);
    const s = await submit(w.api, w.worker, w.q, [w.q.questions[0]!.id]);
    const ref = s.byAgency.get(w.agencyA.agencyId!)!;
    const t = await w.api.post(`/api/v1/referrals/${ref.id}/transitions`, w.admin.token, { to: 'cancelled', reason: 'entered in error' });
    expect(t.status).toBe(200);
    await waitUntil(async () => at('/unsent/hub').length >= 1);
    expect(verified(at('/unsent/hub')[0]!, hub.secret).data).toMatchObject({ id: ref.id, status: 'cancelled', previousStatus: 'pending' });
    // nothing was even written for the agency's endpoint: no delivery row to send later
    expect(await w.ctx.db.selectFrom('webhookDeliveries').select('id').where('endpointId', '=', a.id).execute()).toEqual([]);
    expect(at('/unsent/a')).toEqual([]);
    for (const [e, token] of [[hub, w.admin.token], [a, w.agencyA.token]] as const) expect((await w.api.delete(`/api/v1/webhook-endpoints/${e.id}`, token)).status).toBe(204);
  });

  it('after a rotation, deliveries carry both signatures for a day; "send again" sends once more', async () => {
    const e = await register(w.agencyA.token, '/ok/rotate', ['capacity.changed']);
    const rotated = await w.api.post(`/api/v1/webhook-endpoints/${e.id}/rotate-secret`, w.agencyA.token);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(e.secret);
    await w.api.put(`/api/v1/agencies/${w.agencyA.agencyId}/capacity`, w.agencyA.token, { status: 'accepting' });
    await waitUntil(async () => at('/ok/rotate').length >= 1);
    const got = at('/ok/rotate')[0]!;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(got, e.secret).type).toBe('capacity.changed');
    expect(verified(got, rotated.body.secret).type).toBe('capacity.changed');

    const [d] = (await w.api.get(`/api/v1/webhook-endpoints/${e.id}/deliveries`, w.agencyA.token)).body.data;
    await waitUntil(async () => (await w.api.get(`/api/v1/webhook-endpoints/${e.id}/deliveries`, w.agencyA.token)).body.data[0].status === 'delivered');
    const again = await w.api.post(`/api/v1/webhook-endpoints/${e.id}/deliveries/${d.id}/retry`, w.agencyA.token);
    expect(again.status).toBe(202);
    await waitUntil(async () => at('/ok/rotate').length >= 2);
    expect(at('/ok/rotate')[1]!.headers['webhook-id']).toBe(d.id);

    // a day later only the new secret signs
    w.ctx.clock.advance(25 * 3_600_000);
    try {
      await w.api.put(`/api/v1/agencies/${w.agencyA.agencyId}/capacity`, w.agencyA.token, { status: 'waiting_list', waitWeeks: 2 });
      const rows = await w.ctx.db.selectFrom('webhookDeliveries').select('id').where('endpointId', '=', e.id).orderBy('createdAt', 'desc').execute();
      const outcome = await deliverWebhook(w.ctx, rows[0]!.id);
      expect(outcome.kind).toBe('delivered');
      const last = at('/ok/rotate').at(-1)!;
      expect(String(last.headers['webhook-signature']).split(' ')).toHaveLength(1);
    } finally {
      w.ctx.clock.set(new Date());
    }
    await w.api.delete(`/api/v1/webhook-endpoints/${e.id}`, w.agencyA.token);
  });

  it('a failed delivery is retried by BullMQ after the delay its row names', async () => {
    const e = await register(w.admin.token, '/fail/bullmq', ['capacity.changed']);
    await w.api.put(`/api/v1/agencies/${w.agencyA.agencyId}/capacity`, w.agencyA.token, { status: 'accepting' });
    const d = await w.ctx.db.selectFrom('webhookDeliveries').select('id').where('endpointId', '=', e.id).executeTakeFirstOrThrow();
    const q = w.ctx.jobs.queue('webhooks');
    await waitUntil(async () => (await q.getJobState(`webhook-${d.id}`)) === 'delayed');
    const job = (await q.getJob(`webhook-${d.id}`))!;
    expect(job.delay).toBeGreaterThanOrEqual(4_000);
    expect(job.delay).toBeLessThanOrEqual(6_000);
    const row = await w.ctx.db.selectFrom('webhookDeliveries').selectAll().where('id', '=', d.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    await w.api.delete(`/api/v1/webhook-endpoints/${e.id}`, w.admin.token);
  });
});

describe('receivers that fail (the handler called directly)', () => {
  async function oneDelivery(path: string) {
    const e = await register(w.admin.token, path, ['capacity.changed']);
    await w.api.put(`/api/v1/agencies/${w.agencyB.agencyId}/capacity`, w.agencyB.token, { status: 'accepting' });
    const d = await w.ctx.db.selectFrom('webhookDeliveries').select('id').where('endpointId', '=', e.id).executeTakeFirstOrThrow();
    return { endpointId: e.id, deliveryId: d.id };
  }
  const rowOf = (id: string) => w.ctx.db.selectFrom('webhookDeliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const endpointOf = (id: string) => w.ctx.db.selectFrom('webhookEndpoints').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('500: the attempt is kept and the next timed by the schedule', async () => {
    const { deliveryId, endpointId } = await oneDelivery('/fail/500');
    const now = w.ctx.clock.now();
    expect(await deliverWebhook(w.ctx, deliveryId, { random: () => 0.5 })).toMatchObject({ kind: 'retry', delayMs: 5_000 });
    const row = await rowOf(deliveryId);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    expect(row.nextAttemptAt.getTime()).toBe(now.getTime() + 5_000);
    expect((await endpointOf(endpointId)).failingSince).not.toBeNull();
    // the schedule spent: failed for good
    await w.ctx.db.updateTable('webhookDeliveries').set({ attempts: RETRY_DELAYS_MS.length }).where('id', '=', deliveryId).execute();
    expect(await deliverWebhook(w.ctx, deliveryId, { random: () => 0.5 })).toMatchObject({ kind: 'failed' });
    expect((await rowOf(deliveryId)).status).toBe('failed');
  });

  it('429 with Retry-After: not before it', async () => {
    const { deliveryId } = await oneDelivery('/busy/429');
    expect(await deliverWebhook(w.ctx, deliveryId, { random: () => 0.5 })).toMatchObject({ kind: 'retry', delayMs: 120_000 });
  });

  it('a redirect is not followed', async () => {
    const before = at('/ok/redirected').length;
    const { deliveryId } = await oneDelivery('/redirect/302');
    expect(await deliverWebhook(w.ctx, deliveryId, { random: () => 0.5 })).toMatchObject({ kind: 'retry' });
    expect((await rowOf(deliveryId)).lastError).toMatch(/redirect \(302\)/);
    expect(at('/ok/redirected').length).toBe(before);
  });

  it('a receiver that hangs is given up on after WEBHOOK_TIMEOUT_MS', async () => {
    const { deliveryId } = await oneDelivery('/hang/forever');
    const started = performance.now();
    expect(await deliverWebhook(w.ctx, deliveryId, { random: () => 0.5 })).toMatchObject({ kind: 'retry', error: expect.stringMatching(/no answer within/) });
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('410 Gone disables the endpoint and alerts the hub', async () => {
    const { deliveryId, endpointId } = await oneDelivery('/gone/410');
    expect(await deliverWebhook(w.ctx, deliveryId)).toMatchObject({ kind: 'endpoint_disabled' });
    expect(await endpointOf(endpointId)).toMatchObject({ status: 'disabled', disabledReason: 'it answered 410 Gone' });
    const mail = await w.ctx.db.selectFrom('notifications').select(['recipient', 'subject']).where('kind', '=', 'coordinator_alert').where('subject', 'like', '%Webhook endpoint%410%').execute();
    expect(mail).toEqual([{ recipient: w.ctx.env.COORDINATOR_ALERT_EMAIL, subject: expect.stringContaining('disabled') }]);
    // no more deliveries to it, and "send again" is refused
    expect((await w.api.post(`/api/v1/webhook-endpoints/${endpointId}/deliveries/${deliveryId}/retry`, w.admin.token)).status).toBe(409);
  });

  it('an endpoint failing for three days is disabled and the hub alerted', async () => {
    const { deliveryId, endpointId } = await oneDelivery('/fail/three-days');
    await w.ctx.db.updateTable('webhookEndpoints').set({ failingSince: new Date(w.ctx.clock.now().getTime() - 3 * 24 * 3_600_000) }).where('id', '=', endpointId).execute();
    expect(await deliverWebhook(w.ctx, deliveryId)).toMatchObject({ kind: 'endpoint_disabled' });
    expect(await endpointOf(endpointId)).toMatchObject({ status: 'disabled' });
    expect((await rowOf(deliveryId)).status).toBe('failed');
    const mail = await w.ctx.db.selectFrom('notifications').select('subject').where('kind', '=', 'coordinator_alert').where('subject', 'like', '%three days%').execute();
    expect(mail).toHaveLength(1);
  });
});

describe('nothing is lost', () => {
  it('when Redis loses the jobs between the change and the delivery, the sweep re-enqueues them', async () => {
    const e = await register(w.admin.token, '/ok/after-flush', ['capacity.changed']);
    await w.api.put(`/api/v1/agencies/${w.agencyA.agencyId}/capacity`, w.agencyA.token, { status: 'accepting' });
    const d = await w.ctx.db.selectFrom('webhookDeliveries').select('id').where('endpointId', '=', e.id).executeTakeFirstOrThrow();
    const q = w.ctx.jobs.queue('webhooks');
    await waitUntil(async () => (await q.getJobState(`webhook-${d.id}`)) === 'waiting');
    await deleteRedisPrefix(w.ctx.env.QUEUE_PREFIX);
    expect(await q.getJobState(`webhook-${d.id}`)).toBe('unknown');
    const swept = await runSweep(w.ctx);
    expect(swept.reenqueued.webhooks).toBeGreaterThanOrEqual(1);
    expect(await q.getJobState(`webhook-${d.id}`)).toBe('waiting');
    const workers = await startTestWorkers(w.ctx, ['webhooks']);
    try {
      await waitUntil(async () => at('/ok/after-flush').length === 1);
      await waitUntil(async () => (await w.ctx.db.selectFrom('webhookDeliveries').select('status').where('id', '=', d.id).executeTakeFirstOrThrow()).status === 'delivered');
    } finally {
      await workers.stop();
    }
    // delivered: a second sweep has nothing to add for it
    await runSweep(w.ctx);
    expect(await q.getJobState(`webhook-${d.id}`)).not.toBe('waiting');
  });
});
