/**
 * Single sign-on in Chromium against a real OpenID Connect provider (oidc-provider on
 * 127.0.0.1): the sign-in page's button, the provider's own sign-in form, the callback. One hub
 * allows only example.org emails and trusts the provider's second factor; the other allows any
 * domain and does not trust it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { checkPage, launchBrowser, makeWebUser, newContext } from '../helpers/browser.js';
import { freePort } from '../helpers/free-port.js';
import { startTestProvider, type ProviderAccount, type TestProvider } from '../helpers/oidc-provider.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import { findOrCreateLinkUser } from '../../src/modules/accounts/index.js';
import { seedChecklist } from '../helpers/factories.js';
import { enrolWithKnownSecret } from '../../src/modules/accounts/index.js';
import { totpCode } from '../../src/modules/accounts/totp.js';

const SECRET = 'SINGLESIGNONTWOFACTORTESTSECRETA';

const LABEL = 'Sign in with the test provider';
const CANNOT = 'This account cannot sign in here. Ask your hub’s admin.';

let browser: Browser;
let provider: TestProvider;
/** example.org only, the provider's second factor trusted */
let hub: TestContext;
/** any domain, the provider's second factor not trusted */
let plainHub: TestContext;
let accountNo = 0;

beforeAll(async () => {
  const ports = [await freePort(), await freePort()];
  provider = await startTestProvider(ports.map((p) => `http://127.0.0.1:${p}/sign-in/oidc/callback`));
  const sso = (port: number) => ({ PUBLIC_URL: `http://127.0.0.1:${port}`, OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: provider.clientId, OIDC_CLIENT_SECRET: provider.clientSecret, OIDC_LABEL: LABEL });
  [hub, plainHub, browser] = await Promise.all([
    createTestContext({ ...sso(ports[0]!), OIDC_ALLOWED_DOMAINS: 'example.org', OIDC_TRUST_MFA: 'true' }, { port: ports[0]! }),
    createTestContext(sso(ports[1]!), { port: ports[1]! }),
    launchBrowser(),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await hub?.close();
  await plainHub?.close();
  await provider?.close();
});

/** An account at the provider; returns the name typed on its sign-in form. */
function providerAccount(account: ProviderAccount): string {
  const login = `account-${++accountNo}`;
  provider.accounts.set(login, account);
  return login;
}

interface Attempt {
  page: Page;
  /** the callback's status and address, as the browser met it */
  status: number;
  callbackUrl: string;
  close(): Promise<void>;
}

/** From the hub's sign-in page, through the provider's form (signing in or cancelling), back to the hub. */
async function ssoAttempt(ctx: TestContext, login: string, opts: { cancel?: boolean; check?: string } = {}): Promise<Attempt> {
  const context = await newContext(browser, ctx.baseUrl);
  const page = await context.newPage();
  await page.goto('/sign-in');
  if (opts.check) await checkPage(page, opts.check);
  await page.getByRole('button', { name: LABEL }).click();
  await page.getByLabel('Account').fill(login);
  const callback = page.waitForResponse((r) => r.url().startsWith(`${ctx.baseUrl}/sign-in/oidc/callback`));
  await page.getByRole('button', { name: opts.cancel ? 'Cancel' : 'Sign in at the provider' }).click();
  const res = await callback;
  await page.waitForLoadState('load');
  return { page, status: res.status(), callbackUrl: res.url(), close: () => context.close() };
}

/** The audit rows after the one with id `after` (the test clock stands still: rows share a time). */
async function auditActionsAfter(ctx: TestContext, after: string) {
  return ctx.db.selectFrom('auditLog').select(['action', 'actorUserId']).where('id', '>', after).orderBy('id').execute();
}

async function latestAudit(ctx: TestContext) {
  return ctx.db.selectFrom('auditLog').select(['action', 'actorUserId', 'entity', 'entityId', 'actorLabel']).orderBy('id', 'desc').executeTakeFirstOrThrow();
}

async function sessionsOf(ctx: TestContext, userId: string) {
  return (await ctx.db.selectFrom('webSessions').select('userId').where('userId', '=', userId).execute()).length;
}

describe('single sign-on through the hub’s identity provider', () => {
  it('signs a person in end to end (the email matched whatever its case), and a replay of the callback is refused', async () => {
    const user = await makeWebUser(hub, 'coordinator');
    const login = providerAccount({ email: user.email.toUpperCase(), email_verified: true, amr: ['pwd'] });
    const a = await ssoAttempt(hub, login, { check: 'sign-in-with-sso-button' });
    try {
      expect(a.status).toBe(303);
      expect(new URL(a.page.url()).pathname).toBe('/hub');
      expect(await sessionsOf(hub, user.id)).toBe(1);
      expect(await latestAudit(hub)).toMatchObject({ action: 'user.sso_sign_in', actorUserId: user.id, entity: 'user', entityId: user.id });
      // the verifier, state and nonce were used once and are gone
      expect(await hub.db.selectFrom('ssoSignIns').select('idHash').execute()).toEqual([]);
      // the same callback again (the code, the state): nothing waits for it
      const replay = await a.page.goto(a.callbackUrl);
      expect(replay!.status()).toBe(400);
      expect(await a.page.locator('.nhsuk-error-summary').textContent()).toContain('Your sign-in was not recognised or has expired');
      expect(await latestAudit(hub)).toMatchObject({ action: 'sso.refused.state_mismatch', actorUserId: null, entity: 'sign_in' });
      expect(await sessionsOf(hub, user.id)).toBe(1);
    } finally {
      await a.close();
    }
  });

  it('counts the provider’s second factor only where the hub trusts it (OIDC_TRUST_MFA) and the ID token’s amr shows one', async () => {
    const trusted = await makeWebUser(hub, 'link_worker');
    const withMfa = await ssoAttempt(hub, providerAccount({ email: trusted.email, email_verified: true, amr: ['pwd', 'mfa'] }));
    await withMfa.close();
    expect(withMfa.status).toBe(303);
    expect(await latestAudit(hub)).toMatchObject({ action: 'user.sso_sign_in_mfa', actorUserId: trusted.id });

    const passwordOnly = await ssoAttempt(hub, providerAccount({ email: trusted.email, email_verified: true, amr: ['pwd'] }));
    await passwordOnly.close();
    expect(await latestAudit(hub)).toMatchObject({ action: 'user.sso_sign_in', actorUserId: trusted.id });

    const untrusted = await makeWebUser(plainHub, 'link_worker');
    const notTrusted = await ssoAttempt(plainHub, providerAccount({ email: untrusted.email, email_verified: true, amr: ['pwd', 'mfa'] }));
    await notTrusted.close();
    expect(notTrusted.status).toBe(303);
    expect(await latestAudit(plainHub)).toMatchObject({ action: 'user.sso_sign_in', actorUserId: untrusted.id });
  });

  it('asks a person with Signpost’s second factor for its code after the provider, unless the hub trusts the provider’s own', async () => {
    const secondFactorOf = async (ctx: TestContext, userId: string) =>
      (await ctx.db.selectFrom('webSessions').select('secondFactor').where('userId', '=', userId).execute()).map((r) => r.secondFactor);

    // trusted and shown in amr: the provider's second factor is the session's, no code asked
    const a = await makeWebUser(hub, 'link_worker');
    await enrolWithKnownSecret(hub, { userId: a.id, name: a.name, role: 'link_worker' }, SECRET);
    const trusted = await ssoAttempt(hub, providerAccount({ email: a.email, email_verified: true, amr: ['pwd', 'mfa'] }));
    try {
      expect(new URL(trusted.page.url()).pathname).toBe('/submissions');
      expect(await secondFactorOf(hub, a.id)).toEqual(['idp']);
    } finally {
      await trusted.close();
    }

    // the same person, a password at the provider only: Signpost's code is asked, then the session starts
    const pwdOnly = await ssoAttempt(hub, providerAccount({ email: a.email, email_verified: true, amr: ['pwd'] }));
    try {
      expect(new URL(pwdOnly.page.url()).pathname).toBe('/sign-in/code');
      expect(await secondFactorOf(hub, a.id)).toEqual(['idp']); // only the first browser's
      hub.clock.advance(30_000); // a new time step: a code is accepted once
      await pwdOnly.page.getByLabel(/code/i).first().fill(await totpCode(SECRET, hub.clock.now()));
      await pwdOnly.page.getByRole('button', { name: /continue|sign in/i }).click();
      await pwdOnly.page.waitForLoadState('load');
      expect(new URL(pwdOnly.page.url()).pathname).toBe('/submissions');
      expect((await secondFactorOf(hub, a.id)).sort()).toEqual(['idp', 'totp']);
    } finally {
      await pwdOnly.close();
    }

    // a hub that does not trust the provider asks for the code whatever amr says
    const b = await makeWebUser(plainHub, 'link_worker');
    await enrolWithKnownSecret(plainHub, { userId: b.id, name: b.name, role: 'link_worker' }, SECRET);
    const untrusted = await ssoAttempt(plainHub, providerAccount({ email: b.email, email_verified: true, amr: ['pwd', 'mfa'] }));
    try {
      expect(new URL(untrusted.page.url()).pathname).toBe('/sign-in/code');
      expect(await secondFactorOf(plainHub, b.id)).toEqual([]);
    } finally {
      await untrusted.close();
    }
  });

  it('refuses an email no account has, an unverified email, and a domain the hub does not allow, in the same words, with a 403', async () => {
    const known = await makeWebUser(hub, 'coordinator');
    const elsewhere = `staff-${accountNo}@elsewhere.example.net`;
    const elsewhereUser = await createUserWithToken(hub, { role: 'coordinator', name: 'Coordinator elsewhere', email: elsewhere, agencyId: null });
    const cases = [
      { name: 'no-account', account: { email: `nobody-${accountNo}@example.org`, email_verified: true }, reason: 'no_account' },
      { name: 'unverified', account: { email: known.email, email_verified: false }, reason: 'email_unverified' },
      { name: 'domain', account: { email: elsewhere, email_verified: true }, reason: 'domain_not_allowed' },
    ];
    for (const c of cases) {
      const a = await ssoAttempt(hub, providerAccount(c.account));
      try {
        expect(a.status, c.name).toBe(403);
        expect(new URL(a.page.url()).pathname).toBe('/sign-in/oidc/callback');
        expect(await a.page.locator('.nhsuk-error-summary').textContent()).toContain(CANNOT);
        expect(await a.page.content()).not.toContain(c.account.email);
        expect(await latestAudit(hub), c.name).toMatchObject({ action: `sso.refused.${c.reason}`, actorUserId: null, actorLabel: 'Single sign-on', entity: 'sign_in' });
        if (c.name === 'no-account') await checkPage(a.page, 'sign-in-sso-refused');
      } finally {
        await a.close();
      }
    }
    expect(await sessionsOf(hub, known.id)).toBe(0);
    expect(await sessionsOf(hub, elsewhereUser.id)).toBe(0);
  });

  it('never signs in as an agency’s email-link user, nor a disabled account', async () => {
    const q = await seedChecklist(plainHub);
    const agency = await plainHub.db.selectFrom('agencies').select(['id', 'name']).where('id', '=', q.questions[0]!.agencyId).executeTakeFirstOrThrow();
    const linkUser = await findOrCreateLinkUser(plainHub.db, agency, plainHub.ids.uuid(), plainHub.clock.now());
    const a = await ssoAttempt(plainHub, providerAccount({ email: `agency-link+${agency.id}@signpost.invalid`, email_verified: true }));
    await a.close();
    expect(a.status).toBe(403);
    expect(await latestAudit(plainHub)).toMatchObject({ action: 'sso.refused.no_account' });
    expect(await sessionsOf(plainHub, linkUser.id)).toBe(0);

    const gone = await makeWebUser(plainHub, 'coordinator');
    await plainHub.db.updateTable('users').set({ disabledAt: plainHub.clock.now() }).where('id', '=', gone.id).execute();
    const b = await ssoAttempt(plainHub, providerAccount({ email: gone.email, email_verified: true }));
    await b.close();
    expect(b.status).toBe(403);
    expect(await latestAudit(plainHub)).toMatchObject({ action: 'sso.refused.no_account' });
  });

  it('says so when the person cancels at the provider (401), and refuses a forged callback (400)', async () => {
    const user = await makeWebUser(hub, 'coordinator');
    const before = (await hub.db.selectFrom('auditLog').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()).id ?? '0';
    const cancelled = await ssoAttempt(hub, providerAccount({ email: user.email, email_verified: true }), { cancel: true });
    try {
      expect(cancelled.status).toBe(401);
      expect(await cancelled.page.locator('.nhsuk-error-summary').textContent()).toContain('Sign-in was cancelled');
      expect(await latestAudit(hub)).toMatchObject({ action: 'sso.refused.cancelled' });
    } finally {
      await cancelled.close();
    }

    // a sign-in started in this browser, then a callback whose state is not the one sent
    const context = await newContext(browser, hub.baseUrl);
    try {
      const page = await context.newPage();
      await page.goto('/sign-in');
      await page.getByRole('button', { name: LABEL }).click();
      await page.getByLabel('Account').waitFor();
      const forged = await page.goto(`${hub.baseUrl}/sign-in/oidc/callback?code=made-up&state=not-the-one-sent&iss=${encodeURIComponent(provider.issuer)}`);
      expect(forged!.status()).toBe(400);
      expect(await latestAudit(hub)).toMatchObject({ action: 'sso.refused.state_mismatch' });
      // and none at all: a callback this browser never started
      const fresh = await browser.newContext();
      const other = await (await fresh.newPage()).goto(`${hub.baseUrl}/sign-in/oidc/callback?code=made-up&state=anything`);
      expect(other!.status()).toBe(400);
      await fresh.close();
    } finally {
      await context.close();
    }
    expect(await sessionsOf(hub, user.id)).toBe(0);
    const after = await auditActionsAfter(hub, String(before));
    expect(after.map((r) => r.action)).toEqual(['sso.refused.cancelled', 'sso.refused.state_mismatch', 'sso.refused.state_mismatch']);
    expect(after.every((r) => r.actorUserId === null)).toBe(true);
  });
});
