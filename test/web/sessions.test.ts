/**
 * Sessions and API tokens in a real browser: a person signed in in two browsers ends one from the
 * other (whose next page is the sign-in page), signs out everywhere else, an admin ends all of a
 * person's sessions from /hub/users, and the tokens page makes a token, shows it once and revokes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { apiClient } from '../helpers/api.js';
import { checkPage, launchBrowser, makeWebUser, newContext, signIn, type WebUser } from '../helpers/browser.js';

const FIREFOX_ANDROID = 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0';
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

let ctx: TestContext;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [ctx, browser] = await Promise.all([createTestContext(), launchBrowser()]);
}, 60_000);
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await ctx?.close();
});

/** A browser of its own (its own cookies), signed in as the user. */
async function signedInBrowser(user: WebUser, userAgent?: string): Promise<Page> {
  const context = await newContext(browser, ctx.baseUrl, { viewport: { width: 1024, height: 800 }, ...(userAgent ? { userAgent } : {}) });
  contexts.push(context);
  const page = await context.newPage();
  await signIn(page, user);
  expect(page.url()).not.toContain('/sign-in');
  return page;
}

const auditOf = (userId: string) => ctx.db.selectFrom('auditLog').select(['action', 'actorUserId']).where('entity', '=', 'user').where('entityId', '=', userId).orderBy('id').execute();

describe('sessions', () => {
  it('a person signed in in two browsers ends one from the other, whose next page is the sign-in page', async () => {
    const person = await makeWebUser(ctx, 'link_worker');
    const desk = await signedInBrowser(person, CHROME_WINDOWS);
    const phone = await signedInBrowser(person, FIREFOX_ANDROID);

    await desk.goto('/account/sessions');
    const rows = desk.locator('#sessions tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const deskRow = rows.filter({ hasText: 'Chrome on Windows' });
    const phoneRow = rows.filter({ hasText: 'Firefox on Android' });
    expect(await deskRow.textContent()).toContain('This session');
    expect(await phoneRow.textContent()).not.toContain('This session');
    // the raw User-Agent is never stored, only its short name
    const stored = await ctx.db.selectFrom('webSessions').select('browser').where('userId', '=', person.id).orderBy('browser').execute();
    expect(stored.map((s) => s.browser)).toEqual(['Chrome on Windows', 'Firefox on Android']);
    await checkPage(desk, 'account-sessions-two');

    await phoneRow.getByRole('button', { name: /End session/ }).click();
    await desk.waitForURL(/done=ended/);
    expect(await desk.locator('#sessions tbody tr').count()).toBe(1);
    expect(await desk.getByText('Session ended.').isVisible()).toBe(true);

    await phone.goto('/submissions');
    expect(new URL(phone.url()).pathname).toBe('/sign-in');
    await desk.goto('/submissions');
    expect(new URL(desk.url()).pathname).toBe('/submissions');
    expect((await auditOf(person.id)).map((a) => a.action)).toEqual(['session.end']);
  });

  it('"Sign out everywhere else" ends every other session and keeps this one; ending this one signs out', async () => {
    const person = await makeWebUser(ctx, 'coordinator');
    const here = await signedInBrowser(person, CHROME_WINDOWS);
    const others = [await signedInBrowser(person, FIREFOX_ANDROID), await signedInBrowser(person)];
    await here.goto('/account/sessions');
    expect(await here.locator('#sessions tbody tr').count()).toBe(3);
    await here.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await here.waitForURL(/done=others/);
    expect(await here.locator('#sessions tbody tr').count()).toBe(1);
    for (const o of others) {
      await o.goto('/hub');
      expect(new URL(o.url()).pathname).toBe('/sign-in');
    }
    await here.getByRole('button', { name: /Sign out here/ }).click();
    await here.waitForURL(/\/sign-in/);
    await here.goto('/hub');
    expect(new URL(here.url()).pathname).toBe('/sign-in');
    expect((await auditOf(person.id)).map((a) => a.action)).toEqual(['session.end_others', 'session.end']);
  });

  it('an admin ends all of a person’s sessions from the users page', async () => {
    const person = await makeWebUser(ctx, 'link_worker');
    const admin = await makeWebUser(ctx, 'admin');
    const theirs = [await signedInBrowser(person), await signedInBrowser(person, FIREFOX_ANDROID)];
    const adminPage = await signedInBrowser(admin);
    await adminPage.goto('/hub/users');
    await adminPage.getByRole('button', { name: `End all sessions of ${person.name}` }).click();
    await adminPage.waitForURL(/done=sessions/);
    expect(await adminPage.getByText('All their sessions ended').isVisible()).toBe(true);
    for (const p of theirs) {
      await p.goto('/submissions');
      expect(new URL(p.url()).pathname).toBe('/sign-in');
    }
    // the admin's own session goes on
    await adminPage.goto('/hub/users');
    expect(new URL(adminPage.url()).pathname).toBe('/hub/users');
    expect(await auditOf(person.id)).toEqual([{ action: 'session.end_all', actorUserId: admin.id }]);
    // and the audit page says it in words
    await adminPage.goto('/hub/audit');
    expect(await adminPage.getByText('Ended all the account’s sessions').first().isVisible()).toBe(true);
  });
});

describe('API tokens', () => {
  it('the tokens page makes a token, shows it once, and revokes it', async () => {
    const person = await makeWebUser(ctx, 'link_worker');
    const page = await signedInBrowser(person);
    const api = apiClient(ctx.baseUrl);
    // the header's name leads to the account pages
    await page.goto('/submissions');
    await page.locator('.nhsuk-header__account-link').click();
    await page.waitForURL(/\/account\/sessions$/);
    await page.getByRole('link', { name: 'Your API tokens' }).click();
    await page.waitForURL(/\/account\/tokens$/);

    await page.getByLabel('Label').fill('Our case system');
    await page.getByLabel('Expires after (days, optional)').fill('30');
    await page.getByRole('button', { name: 'Make a token' }).click();
    await page.waitForSelector('#new-token');
    expect(await page.getByText('Copy your token now').isVisible()).toBe(true);
    const token = (await page.locator('#new-token').textContent())!.trim();
    expect(token).toMatch(/^sp_[\w-]{43}$/);
    // the address holds no token: the page was the POST's own answer
    expect(page.url()).toBe(`${ctx.baseUrl}/account/tokens`);
    await checkPage(page, 'account-tokens-made');
    expect((await api.get('/api/v1/agencies', token)).status).toBe(200);

    // shown once: the list names it, with its last use, and never shows it again
    await page.goto('/account/tokens');
    expect(await page.locator('#new-token').count()).toBe(0);
    expect(await page.content()).not.toContain(token);
    const row = page.locator('#tokens tbody tr', { hasText: 'Our case system' });
    expect(await row.textContent()).not.toContain('Not used');
    const stored = await ctx.db.selectFrom('apiTokens').select(['id', 'tokenHash', 'expiresAt', 'lastUsedAt']).where('userId', '=', person.id).where('label', '=', 'Our case system').executeTakeFirstOrThrow();
    expect(stored.lastUsedAt).toEqual(ctx.clock.now());
    expect(stored.expiresAt).toEqual(new Date(ctx.clock.now().getTime() + 30 * 86_400_000));
    expect(stored.tokenHash.toString('utf8')).not.toContain(token);

    await row.getByRole('button', { name: /Revoke/ }).click();
    await page.waitForURL(/done=revoked/);
    expect(await page.locator('#tokens tbody tr', { hasText: 'Our case system' }).textContent()).toContain('Revoked');
    // the tests run with no token cache: refused at once
    expect((await api.get('/api/v1/agencies', token)).status).toBe(401);
    const audit = await ctx.db.selectFrom('auditLog').select(['action', 'actorUserId']).where('entity', '=', 'api_token').where('entityId', '=', stored.id).orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'token.create', actorUserId: person.id },
      { action: 'token.revoke', actorUserId: person.id },
    ]);
  });
});
