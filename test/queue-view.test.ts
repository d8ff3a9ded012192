/**
 * The hub admin's queue view (bull-board at /hub/queues; docs/ops/metrics.md#the-queue-view),
 * over the real Redis: only the admin sees it (others are sent to sign in, or refused); its page
 * keeps the pages' security headers and asks nothing of another origin; read-only by default
 * (every change refused, the failed job left failed); with QUEUE_VIEW_ALLOW_RETRIES, retrying a
 * failed job works and every other change is still refused, as is a retry from another site.
 * The jobs it shows carry ids only.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { QUEUE_NAMES } from '../src/platform/jobs/registry.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { WebClient } from './helpers/web-client.js';
import { seedChecklist } from './helpers/factories.js';
import { waitUntil } from './helpers/workers.js';

let ctx: TestContext;
let admin: WebUser;
let retriesUrl: string;
let retriesServer: Server;
const FAILED_ID = 'forward-00000000-0000-4000-8000-00000000f001';

beforeAll(async () => {
  ctx = await createTestContext();
  const q = await seedChecklist(ctx);
  admin = await makeWebUser(ctx, 'admin');
  // the same hub with retries allowed (the sessions are in Postgres: one sign-in serves both)
  retriesServer = await new Promise<Server>((resolve) => {
    const s = createApp({ ...ctx, env: Object.freeze({ ...ctx.env, QUEUE_VIEW_ALLOW_RETRIES: true }) }).listen(0, '127.0.0.1', () => resolve(s));
  });
  retriesUrl = `http://127.0.0.1:${(retriesServer.address() as AddressInfo).port}`;
  // one forward job that failed for good (a worker that refuses it), as a refused forward leaves one
  await ctx.jobs.queue('forward').add('forward-referral', { referralId: q.questions[0]!.agencyId }, { jobId: FAILED_ID, attempts: 1 });
  const connection = new Redis(ctx.env.REDIS_URL, { maxRetriesPerRequest: null });
  const refusing = new Worker('forward', async () => {
    throw new UnrecoverableError('refused for the test');
  }, { connection, prefix: ctx.env.QUEUE_PREFIX });
  await waitUntil(async () => (await ctx.jobs.queue('forward').getJobState(FAILED_ID)) === 'failed');
  await refusing.close();
  connection.disconnect();
});
afterAll(async () => {
  retriesServer?.closeAllConnections();
  await new Promise((r) => retriesServer?.close(r));
  await ctx?.close();
});

async function signedIn(u: WebUser, base = ctx.baseUrl) {
  const c = new WebClient(base);
  expect((await c.signIn(u.email, u.password)).status).toBe(303);
  return c;
}

/** A change the board's page would make: JSON, from a page of this site. */
const fromThisSite = { 'sec-fetch-site': 'same-origin', accept: 'application/json', 'content-type': 'application/json' };

const stateOf = (id: string) => ctx.jobs.queue('forward').getJobState(id);

describe('the queue view', () => {
  it('sends the signed-out to sign in, and refuses coordinators, agency users and link workers', async () => {
    const anon = new WebClient(ctx.baseUrl);
    for (const path of ['/hub/queues', '/hub/queues/api/queues', '/hub/queues/queue/forward']) {
      const res = await anon.get(path);
      expect(res.status, path).toBe(303);
      expect(res.location).toBe(`/sign-in?next=${encodeURIComponent(path)}`);
    }
    const agencyId = (await ctx.db.selectFrom('agencies').select('id').executeTakeFirstOrThrow()).id;
    for (const u of [await makeWebUser(ctx, 'coordinator'), await makeWebUser(ctx, 'agency', agencyId), await makeWebUser(ctx, 'link_worker')]) {
      const c = await signedIn(u);
      for (const path of ['/hub/queues', '/hub/queues/api/queues', `/hub/queues/api/queues/forward/${FAILED_ID}`]) {
        const res = await c.get(path);
        expect(res.status, path).toBe(403);
        expect(res.text).not.toContain(FAILED_ID);
      }
      expect((await c.request('PUT', `/hub/queues/api/queues/forward/${FAILED_ID}/retry`, undefined, fromThisSite)).status).toBe(403);
    }
    expect(await stateOf(FAILED_ID)).toBe('failed');
  });

  it('shows the admin every queue, on a page with the pages\' security headers and nothing from another origin', async () => {
    const c = await signedIn(admin);
    const page = await c.get('/hub/queues');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self' 'nonce-[^']+'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).toMatch(/base-uri 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text).toContain('<base href="/hub/queues/"');
    // no other origin, no inline style the policy would refuse
    expect(page.text).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(page.text).not.toMatch(/\sstyle="|<style/);
    const assets = [...page.text.matchAll(/(?:src|href)="(static\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const a of assets) expect((await c.get(`/hub/queues/${a}`)).status, a).toBe(200);

    const api = await c.request('GET', '/hub/queues/api/queues', undefined, { accept: 'application/json' });
    expect(api.status).toBe(200);
    const queues = (JSON.parse(api.text) as { queues: { name: string; readOnlyMode: boolean; allowRetries: boolean }[] }).queues;
    expect(queues.map((x) => x.name).sort()).toEqual([...QUEUE_NAMES].sort());
    for (const x of queues) expect(x).toMatchObject({ readOnlyMode: true, allowRetries: false });
  });

  it('shows a job with its ids only', async () => {
    const c = await signedIn(admin);
    const res = await c.request('GET', '/hub/queues/api/queues?activeQueue=forward&status=failed&page=1', undefined, { accept: 'application/json' });
    expect(res.status).toBe(200);
    const forward = (JSON.parse(res.text) as { queues: { name: string; jobs: { id: string; data: Record<string, unknown>; failedReason: string }[] }[] }).queues.find((x) => x.name === 'forward')!;
    const job = forward.jobs.find((j) => j.id === FAILED_ID)!;
    expect(job.failedReason).toBe('refused for the test');
    expect(Object.keys(job.data).every((k) => ['referralId', 'requestId'].includes(k))).toBe(true);
  });

  it('is read-only unless QUEUE_VIEW_ALLOW_RETRIES: retry, clean, pause, add and edit are refused and change nothing', async () => {
    const c = await signedIn(admin);
    const changes: [string, string, unknown?][] = [
      ['PUT', `/hub/queues/api/queues/forward/${FAILED_ID}/retry`],
      ['PUT', '/hub/queues/api/queues/forward/retry/failed'],
      ['PUT', `/hub/queues/api/queues/forward/${FAILED_ID}/clean`],
      ['PUT', '/hub/queues/api/queues/forward/clean/failed'],
      ['PUT', '/hub/queues/api/queues/forward/pause'],
      ['PUT', '/hub/queues/api/queues/pause'],
      ['POST', '/hub/queues/api/queues/forward/add', { name: 'forward-referral', data: { referralId: 'x' } }],
      ['PATCH', `/hub/queues/api/queues/forward/${FAILED_ID}/update-data`, { jobData: { name: 'someone' } }],
      ['PUT', '/hub/queues/api/queues/forward/empty'],
      ['PUT', '/hub/queues/api/queues/forward/obliterate'],
    ];
    for (const [method, path, body] of changes) {
      const res = await c.request(method, path, body === undefined ? undefined : JSON.stringify(body), fromThisSite);
      expect(res.status, `${method} ${path}`).toBe(405);
    }
    expect(await stateOf(FAILED_ID)).toBe('failed');
    expect(await ctx.jobs.queue('forward').isPaused()).toBe(false);
    expect(await ctx.jobs.queue('forward').getJobCountByTypes('waiting', 'delayed')).toBe(0);
  });

  it('with retries allowed: retries a failed job, still refuses every other change, and refuses a retry from another site', async () => {
    const c = await signedIn(admin, retriesUrl);
    const queues = JSON.parse((await c.request('GET', '/hub/queues/api/queues', undefined, { accept: 'application/json' })).text) as { queues: { readOnlyMode: boolean; allowRetries: boolean }[] };
    for (const x of queues.queues) expect(x).toMatchObject({ readOnlyMode: false, allowRetries: true });
    for (const [method, path] of [['PUT', '/hub/queues/api/queues/forward/pause'], ['PUT', `/hub/queues/api/queues/forward/${FAILED_ID}/clean`], ['PUT', '/hub/queues/api/queues/forward/empty'], ['POST', '/hub/queues/api/queues/forward/add']] as const) {
      expect((await c.request(method, path, '{}', fromThisSite)).status, `${method} ${path}`).toBe(405);
    }
    const crossSite = await c.request('PUT', `/hub/queues/api/queues/forward/${FAILED_ID}/retry`, undefined, { ...fromThisSite, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(await stateOf(FAILED_ID)).toBe('failed');

    const retry = await c.request('PUT', `/hub/queues/api/queues/forward/${FAILED_ID}/retry`, undefined, fromThisSite);
    expect(retry.status).toBeLessThan(300);
    expect(await stateOf(FAILED_ID)).toBe('waiting');
    // a job that has not failed (this one, waiting again) is not run again, nor is a queue cleaned by a retry's path
    expect((await c.request('PUT', `/hub/queues/api/queues/forward/${FAILED_ID}/retry`, undefined, fromThisSite)).status).toBe(405);
    expect((await c.request('PUT', '/hub/queues/api/queues/forward/clean/retry', undefined, fromThisSite)).status).toBe(405);
    expect((await c.request('PUT', '/hub/queues/api/queues/forward/%E0%A4%A/retry', undefined, fromThisSite)).status).toBe(405);
  });
});
