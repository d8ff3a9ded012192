/**
 * Single sign-on without a browser: the hub with it off, with a provider that refuses
 * connections, with one that accepts and never answers, and the ten minutes a sign-in waits.
 * (The journeys themselves, in Chromium against a real provider: test/web/single-sign-on.test.ts.)
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.js';
import { WebClient } from './helpers/web-client.js';
import { freePort } from './helpers/free-port.js';
import { startTestProvider, type TestProvider } from './helpers/oidc-provider.js';

const LABEL = 'Sign in with the test provider';
const contexts: TestContext[] = [];
let provider: TestProvider;
let silentSockets: Socket[] = [];
const silent = createServer((s) => silentSockets.push(s));

async function hubWith(overrides: Record<string, string>, port?: number): Promise<TestContext> {
  const ctx = await createTestContext({ OIDC_LABEL: LABEL, ...overrides }, port === undefined ? {} : { port });
  contexts.push(ctx);
  return ctx;
}

const sso = (issuer: string) => ({ OIDC_ISSUER: issuer, OIDC_CLIENT_ID: 'signpost', OIDC_CLIENT_SECRET: 'a-secret' });

async function lastAction(ctx: TestContext) {
  return (await ctx.db.selectFrom('auditLog').select('action').orderBy('id', 'desc').executeTakeFirst())?.action;
}

beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await provider?.close();
  for (const s of silentSockets) s.destroy();
  silentSockets = [];
  await new Promise((r) => silent.close(r));
});

describe('single sign-on, off and on', () => {
  it('shows no button and has no single sign-on addresses when it is not configured', async () => {
    const ctx = await hubWith({});
    const web = new WebClient(ctx.baseUrl);
    const page = await web.get('/sign-in');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('/sign-in/oidc');
    expect(page.text).not.toContain(LABEL);
    expect((await web.get('/sign-in/oidc')).status).toBe(404);
    expect((await web.get('/sign-in/oidc/callback?code=x&state=y')).status).toBe(404);
  });

  it('shows the button when it is configured, and starts with a provider that was down when the hub started', async () => {
    const dead = await freePort(); // nothing listens there
    const ctx = await hubWith(sso(`http://127.0.0.1:${dead}`));
    const web = new WebClient(ctx.baseUrl);
    const page = await web.get('/sign-in?next=%2Fhub%2Freferrals');
    expect(page.text).toContain(LABEL);
    expect(page.text).toContain('href="/sign-in/oidc?next=%2Fhub%2Freferrals"');
    expect((await fetch(`${ctx.baseUrl}/healthz`)).status).toBe(200);
    // the provider is unreachable: a clear page and a 4xx, audited by its reason
    const refused = await web.get('/sign-in/oidc');
    expect(refused.status).toBe(424);
    expect(refused.text).toContain('sign-in service cannot be reached');
    expect(await lastAction(ctx)).toBe('sso.refused.provider_unreachable');
    expect(web.cookies.has('signpost_sso')).toBe(false);
  });

  it('gives up on a provider that never answers after OIDC_TIMEOUT_MS, and serves other requests meanwhile', async () => {
    const { port } = silent.address() as AddressInfo;
    const ctx = await hubWith({ ...sso(`http://127.0.0.1:${port}`), OIDC_TIMEOUT_MS: '1500' });
    const web = new WebClient(ctx.baseUrl);
    const started = Date.now();
    const refused = web.get('/sign-in/oidc');
    // while the provider hangs, the hub answers others at once
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    expect((await new WebClient(ctx.baseUrl).get('/sign-in')).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1000);
    const res = await refused;
    expect(res.status).toBe(424);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await lastAction(ctx)).toBe('sso.refused.provider_unreachable');
  });

  it('discovers the provider once, and a sign-in waits ten minutes for the provider’s answer, no more', async () => {
    const port = await freePort();
    provider = await startTestProvider([`http://127.0.0.1:${port}/sign-in/oidc/callback`]);
    const ctx = await hubWith({ PUBLIC_URL: `http://127.0.0.1:${port}`, OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: provider.clientId, OIDC_CLIENT_SECRET: provider.clientSecret }, port);
    const web = new WebClient(ctx.baseUrl);
    const start = await web.get('/sign-in/oidc?next=%2Fhub');
    expect(start.status).toBe(303);
    const to = new URL(start.location!);
    expect(to.origin).toBe(provider.issuer);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${port}/sign-in/oidc/callback`);
    expect(to.searchParams.get('scope')).toBe('openid email');
    for (const p of ['state', 'nonce', 'code_challenge']) expect(to.searchParams.get(p)).toMatch(/^[\w-]{40,}$/);
    const row = await ctx.db.selectFrom('ssoSignIns').selectAll().executeTakeFirstOrThrow();
    expect(row.state).toBe(to.searchParams.get('state'));
    expect(row.next).toBe('/hub');
    // the browser holds a random value; the table, only its hash
    expect(row.idHash.equals(Buffer.from(web.cookies.get('signpost_sso')!))).toBe(false);
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(10 * 60_000);

    // eleven minutes later the right state is no longer enough
    ctx.clock.advance(11 * 60_000);
    const late = await web.get(`/sign-in/oidc/callback?code=whatever&state=${to.searchParams.get('state')}&iss=${encodeURIComponent(provider.issuer)}`);
    expect(late.status).toBe(400);
    expect(late.text).toContain('not recognised or has expired');
    expect(await lastAction(ctx)).toBe('sso.refused.state_mismatch');
    expect(await ctx.db.selectFrom('ssoSignIns').select('idHash').execute()).toEqual([]);

    // a second start needs no second discovery: stop the provider and start again
    await provider.close();
    const again = await web.get('/sign-in/oidc');
    expect(again.status).toBe(303);
    expect(new URL(again.location!).origin).toBe(provider.issuer);
  });
});
