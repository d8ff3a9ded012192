/**
 * Passkeys in a real browser, with Chromium's virtual authenticator (the DevTools protocol's
 * WebAuthn domain) standing in for a phone or a security key: a passkey added on the account
 * page (the first factor, so recovery codes are shown), signing in with the password and the
 * passkey, a removed passkey refused (its signature is good, but it is no longer the account's),
 * a role that must have a second factor enrolling with a passkey, and an admin's reset removing
 * passkeys. WebAuthn needs a secure context and a domain as the relying party: the app's
 * PUBLIC_URL is http://localhost:<port>, and the browser goes there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { freePort } from '../helpers/free-port.js';
import { checkPage, launchBrowser, makeWebUser, newContext, signIn, type WebUser } from '../helpers/browser.js';
import { totpCode } from '../../src/modules/accounts/totp.js';
import { enrolWithKnownSecret } from '../../src/modules/accounts/index.js';

const ADMIN_SECRET = 'ADMINTESTSECRETADMINTESTSECRETAB';

let ctx: TestContext;
let browser: Browser;
let base = '';
let linkWorker: WebUser;
let coordinator: WebUser;
let admin: WebUser;
let recoveryCodes: string[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  [ctx, browser] = await Promise.all([createTestContext({ PUBLIC_URL: base, MFA_REQUIRED_ROLES: 'coordinator,admin' }, { port }), launchBrowser()]);
  linkWorker = await makeWebUser(ctx, 'link_worker');
  coordinator = await makeWebUser(ctx, 'coordinator');
  admin = await makeWebUser(ctx, 'admin');
  await enrolWithKnownSecret(ctx, { userId: admin.id, name: admin.name, role: 'admin' }, ADMIN_SECRET);
}, 120_000);
afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await ctx?.close();
});

/** A fresh browser with its own virtual authenticator (a platform one, user-verifying, with resident keys). */
async function browserWithAuthenticator(): Promise<Page> {
  const context = await newContext(browser, base, { viewport: { width: 390, height: 844 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('request', (r) => {
    if (!r.url().startsWith('data:')) expect(new URL(r.url()).origin, r.url()).toBe(base);
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return page;
}

const path = (page: Page) => new URL(page.url()).pathname;
const passkeysOf = (userId: string) => ctx.db.selectFrom('userPasskeys').select(['id', 'name', 'credentialId', 'lastUsedAt']).where('userId', '=', userId).orderBy('createdAt').execute();
const auditActions = async (userId: string) =>
  (await ctx.db.selectFrom('auditLog').select('action').where('entity', '=', 'user').where('entityId', '=', userId).orderBy('id').execute()).map((a) => a.action);
const failures = async (userId: string) => (await ctx.db.selectFrom('users').select('failedLogins').where('id', '=', userId).executeTakeFirstOrThrow()).failedLogins;

async function addPasskey(page: Page, name: string) {
  await page.goto('/account/two-factor');
  await page.getByLabel('Name for a new passkey').fill(name);
  // the page's script asks for options and runs the ceremony before it posts the form: wait for
  // the page that post brings, not for the load state of the page already shown
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 30_000 });
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await navigated;
  await page.waitForLoadState('domcontentloaded');
}

/** Clicks "Use a passkey" and waits for the page the browser's answer brings: `then` (signed in) or the code page's error. */
async function usePasskey(page: Page, then: string | 'refused') {
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  if (then === 'refused') await page.locator('.nhsuk-error-summary').waitFor();
  else await page.waitForURL((u) => u.pathname === then, { waitUntil: 'domcontentloaded' });
}

describe('passkeys', () => {
  let first: Page;

  it('are added on the account page: the first factor shows the recovery codes, and the next sign-in asks for the passkey', async () => {
    first = await browserWithAuthenticator();
    await signIn(first, linkWorker);
    expect(path(first)).not.toBe('/sign-in/code');
    // a name is asked for first
    await addPasskey(first, '  ');
    expect(await first.locator('.nhsuk-error-summary').textContent()).toContain('Enter a name for the passkey');
    await addPasskey(first, 'Work laptop');
    expect(await first.locator('h1').textContent()).toBe('Your recovery codes');
    expect(await first.locator('[role="status"], .nhsuk-main-wrapper').first().textContent()).toContain('Passkey added');
    recoveryCodes = (await first.locator('.sp-recovery-codes code').allTextContents()).map((c) => c.trim());
    expect(recoveryCodes).toHaveLength(10);
    const rows = await passkeysOf(linkWorker.id);
    expect(rows.map((r) => r.name)).toEqual(['Work laptop']);
    expect(await auditActions(linkWorker.id)).toEqual(['user.passkey_added']);
    await first.goto('/account/two-factor');
    expect(await first.locator('#passkeys').textContent()).toContain('Work laptop');
    await checkPage(first, 'passkeys-account');

    // sign out; the password alone no longer signs in
    await first.getByRole('button', { name: 'Sign out' }).click();
    await first.waitForURL(/\/sign-in$/);
    await signIn(first, linkWorker);
    expect(path(first)).toBe('/sign-in/code');
    expect(await first.locator('main').textContent()).toContain('Using a passkey needs JavaScript');
    await checkPage(first, 'passkeys-sign-in');
    await usePasskey(first, '/submissions');
    const session = await ctx.db.selectFrom('webSessions').select('secondFactor').where('userId', '=', linkWorker.id).executeTakeFirstOrThrow();
    expect(session.secondFactor).toBe('passkey');
    expect((await passkeysOf(linkWorker.id))[0]!.lastUsedAt).not.toBeNull();
    expect(await auditActions(linkWorker.id)).toEqual(['user.passkey_added', 'user.passkey_used']);
  });

  it('a removed passkey no longer signs in, and its refusal counts towards the lock-out', async () => {
    // a second browser (a second authenticator) signs in with a recovery code and adds its own passkey
    const second = await browserWithAuthenticator();
    await signIn(second, linkWorker);
    await second.getByLabel('Code', { exact: true }).fill(recoveryCodes[0]!);
    await second.getByRole('button', { name: 'Continue' }).click();
    await second.waitForURL((u) => u.pathname !== '/sign-in/code', { waitUntil: 'domcontentloaded' });
    expect(path(second)).toBe('/submissions');
    await addPasskey(second, 'My phone');
    expect(await second.locator('[role="status"]').textContent()).toContain('Passkey added.');
    // ... and removes the first browser's passkey
    const [laptop] = await passkeysOf(linkWorker.id);
    await second.getByRole('button', { name: 'Remove passkey Work laptop' }).click();
    await second.waitForURL(/done=passkey-removed/);
    expect((await passkeysOf(linkWorker.id)).map((p) => p.name)).toEqual(['My phone']);

    // the first browser's authenticator still holds the removed passkey. The page asks only for
    // the account's passkeys; so that the authenticator answers at all, the options on their way
    // to the browser name the removed one (as a stale tab or a forged request could)
    await first.getByRole('button', { name: 'Sign out' }).click();
    await first.waitForURL(/\/sign-in$/);
    await first.route('**/sign-in/code', async (route) => {
      if (!route.request().postData()?.includes('action=passkey-options')) return route.continue();
      const res = await route.fetch();
      const options = (await res.json()) as { allowCredentials: { id: string; type: string }[] };
      options.allowCredentials = [{ id: laptop!.credentialId, type: 'public-key' }];
      await route.fulfill({ response: res, json: options });
    });
    await signIn(first, linkWorker);
    expect(path(first)).toBe('/sign-in/code');
    const before = await failures(linkWorker.id);
    await usePasskey(first, 'refused');
    expect(path(first)).toBe('/sign-in/code');
    expect(await first.locator('.nhsuk-error-summary').textContent()).toContain('That passkey was not accepted');
    expect(await failures(linkWorker.id)).toBe(before + 1);
    expect(await auditActions(linkWorker.id)).toContain('user.passkey_refused');
    expect(await ctx.db.selectFrom('webSessions').select('id').where('userId', '=', linkWorker.id).where('secondFactor', '=', 'passkey').execute()).toHaveLength(0);
    await first.unroute('**/sign-in/code');
  });

  it('enrol a role that must have a second factor, and are removed by an admin’s reset', async () => {
    const page = await browserWithAuthenticator();
    await signIn(page, coordinator);
    expect(path(page)).toBe('/account/two-factor');
    await checkPage(page, 'passkeys-must-enrol');
    await addPasskey(page, 'Security key');
    expect(await page.locator('h1').textContent()).toBe('Your recovery codes');
    await page.goto('/hub');
    expect(path(page)).toBe('/hub');
    // the only factor of a role that must have one cannot be removed
    await page.goto('/account/two-factor');
    expect(await page.getByRole('button', { name: /Remove passkey/ }).count()).toBe(0);

    const adminPage = await browserWithAuthenticator();
    await signIn(adminPage, admin);
    await adminPage.getByLabel('Code', { exact: true }).fill(await totpCode(ADMIN_SECRET, ctx.clock.now()));
    await adminPage.getByRole('button', { name: 'Continue' }).click();
    await adminPage.waitForURL((u) => u.pathname !== '/sign-in/code', { waitUntil: 'domcontentloaded' });
    await adminPage.goto('/hub/users');
    await adminPage.getByRole('button', { name: `Reset two-factor sign-in of ${coordinator.name}` }).click();
    await adminPage.waitForURL(/done=two-factor-reset/);
    expect(await passkeysOf(coordinator.id)).toEqual([]);
    expect(await ctx.db.selectFrom('recoveryCodes').select('userId').where('userId', '=', coordinator.id).execute()).toEqual([]);
    // the coordinator's session ended; the next sign-in asks them to enrol again, not for the passkey
    await page.goto('/hub');
    expect(path(page)).toBe('/sign-in');
    await signIn(page, coordinator);
    expect(path(page)).toBe('/account/two-factor');
    await adminPage.goto(`/hub/audit?userId=${admin.id}`);
    expect(await adminPage.locator('main').textContent()).toContain('Reset the two-factor sign-in');
    await adminPage.goto(`/hub/audit?userId=${coordinator.id}`);
    const text = await adminPage.locator('main').textContent();
    expect(text).toContain('Added a passkey for two-factor sign-in');
  });
});
