/**
 * Two-factor sign-in in a real browser: enrolment (a QR code drawn on the server, the key, the
 * otpauth link, a first code, the recovery codes shown once), signing in with a code and with a
 * recovery code, a replayed code refused, a role that must have a second factor sent to
 * enrolment and kept there, and an admin's reset. Codes are made from the secret the page shows
 * at the test clock's time, as an authenticator app would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { checkPage, expectAccessible, launchBrowser, makeWebUser, newContext, signIn, type WebUser } from '../helpers/browser.js';
import { totpCode } from '../../src/modules/accounts/totp.js';
import { enrolWithKnownSecret } from '../../src/modules/accounts/index.js';

const STEP = 30_000;
const ADMIN_SECRET = 'ADMINTESTSECRETADMINTESTSECRETAB';

let ctx: TestContext;
let browser: Browser;
let linkWorker: WebUser;
let coordinator: WebUser;
let admin: WebUser;
/** the link worker's secret, as the enrolment page showed it, and their recovery codes */
let secret = '';
let recoveryCodes: string[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [ctx, browser] = await Promise.all([createTestContext({ MFA_REQUIRED_ROLES: 'coordinator,admin' }), launchBrowser()]);
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

async function freshPage(): Promise<Page> {
  const context = await newContext(browser, ctx.baseUrl, { viewport: { width: 390, height: 844 } });
  contexts.push(context);
  const page = await context.newPage();
  // every request stays on the app's own origin (the QR code is drawn on the server)
  const origin = new URL(ctx.baseUrl).origin;
  page.on('request', (r) => {
    if (!r.url().startsWith('data:')) expect(new URL(r.url()).origin, r.url()).toBe(origin);
  });
  return page;
}

const path = (page: Page) => new URL(page.url()).pathname;
const auditActions = async (userId: string) =>
  (await ctx.db.selectFrom('auditLog').select(['action', 'actorUserId']).where('entity', '=', 'user').where('entityId', '=', userId).orderBy('id').execute());

async function enterCode(page: Page, code: string, button = 'Continue') {
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByRole('button', { name: button }).click();
  await page.waitForLoadState('domcontentloaded');
}

/** Reads the key from the enrolment page and confirms it with the code of the clock's time step. */
async function enrolOnPage(page: Page): Promise<{ secret: string; codes: string[] }> {
  const key = ((await page.locator('.sp-secret code').textContent()) ?? '').replace(/\s/g, '');
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  await enterCode(page, await totpCode(key, ctx.clock.now()), 'Turn on two-factor sign-in');
  await expect.poll(() => page.locator('h1').textContent()).toBe('Your recovery codes');
  const codes = (await page.locator('.sp-recovery-codes code').allTextContents()).map((c) => c.trim());
  return { secret: key, codes };
}

describe('two-factor sign-in', () => {
  it('is set up from the account page: a QR code drawn here, the key, the otpauth link, a first code', async () => {
    const page = await freshPage();
    await signIn(page, linkWorker);
    expect(path(page)).toBe('/submissions');
    // the header's name leads to the account pages, whose menu leads to two-factor sign-in
    await page.locator('.nhsuk-header__account').getByRole('link', { name: linkWorker.name }).click();
    await page.waitForURL(/\/account\/sessions$/);
    await page.getByRole('link', { name: 'Two-factor sign-in' }).click();
    await page.waitForURL(/\/account\/two-factor$/);
    const svg = page.locator('svg.sp-qr');
    await expect.poll(() => svg.count()).toBe(1);
    expect(await svg.getAttribute('aria-label')).toMatch(/QR code/);
    const uri = (await page.locator('a[href^="otpauth://"]').getAttribute('href'))!;
    expect(uri).toMatch(/^otpauth:\/\/totp\/Signpost:.+\?secret=[A-Z2-7]{32}&issuer=Signpost$/);
    const field = page.getByLabel('Code', { exact: true });
    expect(await field.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await field.getAttribute('inputmode')).toBe('numeric');
    await checkPage(page, 'two-factor-enrol');
    // a reload shows the same key: one scanned already stays good
    const key = await page.locator('.sp-secret code').textContent();
    await page.reload();
    expect(await page.locator('.sp-secret code').textContent()).toBe(key);
    expect(uri).toContain(`secret=${key!.replace(/\s/g, '')}`);

    // a wrong code: the field and the reason, and still off
    await enterCode(page, '000000', 'Turn on two-factor sign-in');
    expect(await page.locator('.nhsuk-error-summary').textContent()).toContain('That code is not right');
    expect(await ctx.db.selectFrom('userSecondFactors').select('confirmedAt').where('userId', '=', linkWorker.id).executeTakeFirstOrThrow()).toEqual({ confirmedAt: null });

    ({ secret, codes: recoveryCodes } = await enrolOnPage(page));
    expect(recoveryCodes).toHaveLength(10);
    for (const c of recoveryCodes) expect(c).toMatch(/^\d{5}-\d{5}$/);
    expect(new Set(recoveryCodes).size).toBe(10);
    await checkPage(page, 'two-factor-recovery-codes');

    // at rest: the secret sealed, the recovery codes as hashes only
    const row = await ctx.db.selectFrom('userSecondFactors').selectAll().where('userId', '=', linkWorker.id).executeTakeFirstOrThrow();
    expect(row.confirmedAt).not.toBeNull();
    expect(row.secretEncrypted.toString('latin1')).not.toContain(secret);
    const hashes = await ctx.db.selectFrom('recoveryCodes').select('codeHash').where('userId', '=', linkWorker.id).execute();
    expect(hashes).toHaveLength(10);
    for (const h of hashes) for (const c of recoveryCodes) expect(h.codeHash.toString('latin1')).not.toContain(c.replace('-', ''));
    expect((await auditActions(linkWorker.id)).map((a) => a.action)).toEqual(['user.two_factor_enrolled']);

    // the page now says it is on, with 10 recovery codes left
    await page.goto('/account/two-factor');
    expect(await page.locator('.nhsuk-summary-list').textContent()).toMatch(/10 of 10/);
    await checkPage(page, 'two-factor-on');
  });

  it('asks for the code after the password, and refuses a wrong one', async () => {
    ctx.clock.advance(STEP);
    const page = await freshPage();
    await signIn(page, linkWorker);
    expect(path(page)).toBe('/sign-in/code');
    expect(await page.context().cookies()).not.toContainEqual(expect.objectContaining({ name: 'signpost_session' }));
    await expectAccessible(page, 'sign-in-code');
    await enterCode(page, '12345');
    expect(await page.locator('.nhsuk-error-summary').textContent()).toContain('6-digit code');
    await enterCode(page, (await totpCode(secret, ctx.clock.now())) === '000000' ? '111111' : '000000');
    expect(await page.locator('.nhsuk-error-summary').textContent()).toContain('That code is not right');
    await enterCode(page, await totpCode(secret, ctx.clock.now()));
    expect(path(page)).toBe('/submissions');
    const failures = await ctx.db.selectFrom('users').select('failedLogins').where('id', '=', linkWorker.id).executeTakeFirstOrThrow();
    expect(failures.failedLogins).toBe(0);
  });

  it('refuses a code used once already, and takes the next one', async () => {
    // the same time step as the sign-in before: the same code
    const used = await totpCode(secret, ctx.clock.now());
    const page = await freshPage();
    await signIn(page, linkWorker);
    await enterCode(page, used);
    expect(path(page)).toBe('/sign-in/code');
    expect(await page.locator('.nhsuk-error-summary').textContent()).toContain('That code has been used already');
    ctx.clock.advance(STEP);
    await enterCode(page, await totpCode(secret, ctx.clock.now()));
    expect(path(page)).toBe('/submissions');
    expect((await auditActions(linkWorker.id)).map((a) => a.action)).toContain('user.two_factor_code_reused');
  });

  it('takes a recovery code in the same field, once', async () => {
    const page = await freshPage();
    await signIn(page, linkWorker);
    await enterCode(page, recoveryCodes[0]!);
    expect(path(page)).toBe('/submissions');
    const again = await freshPage();
    await signIn(again, linkWorker);
    await enterCode(again, recoveryCodes[0]!.replace('-', ' '));
    expect(await again.locator('.nhsuk-error-summary').textContent()).toContain('That code is not right');
    await again.goto('/account/two-factor');
    expect(path(again)).toBe('/sign-in');
    expect((await auditActions(linkWorker.id)).map((a) => a.action)).toContain('user.two_factor_recovery_used:9');
    // the audit page's words
    const adminPage = await freshPage();
    await signIn(adminPage, admin);
    await enterCode(adminPage, await totpCode(ADMIN_SECRET, ctx.clock.now()));
    await adminPage.goto(`/hub/audit?userId=${linkWorker.id}`);
    const text = await adminPage.locator('main').textContent();
    expect(text).toContain('Signed in with a recovery code (9 left)');
    expect(text).toContain('Turned on two-factor sign-in');
  });

  it('sends a role that must have it to enrolment, and lets it reach nothing else until done', async () => {
    const page = await freshPage();
    await signIn(page, coordinator);
    expect(path(page)).toBe('/account/two-factor');
    expect(await page.locator('main').textContent()).toContain('Set up two-factor sign-in to continue');
    await checkPage(page, 'two-factor-must-enrol');
    for (const p of ['/hub', '/hub/referrals', '/hub/people', '/submissions', '/checklist']) {
      await page.goto(p);
      expect(path(page), p).toBe('/account/two-factor');
    }
    // sign-out still works, and the next sign-in asks again
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in$/);
    await signIn(page, coordinator);
    expect(path(page)).toBe('/account/two-factor');
    const enrolled = await enrolOnPage(page);
    await page.getByRole('link', { name: 'I have kept my codes: continue' }).click();
    await page.waitForURL(/\/hub$/);
    // a role that must have it cannot turn it off
    await page.goto('/account/two-factor');
    expect(await page.getByRole('button', { name: 'Turn off two-factor sign-in' }).count()).toBe(0);
    ctx.clock.advance(STEP);
    const next = await freshPage();
    await signIn(next, coordinator);
    await enterCode(next, await totpCode(enrolled.secret, ctx.clock.now()));
    expect(path(next)).toBe('/hub');
  });

  it('is reset by an admin on the users page, which ends the person’s sessions', async () => {
    ctx.clock.advance(STEP);
    // the coordinator, signed in (with the code) in one browser
    const coordinatorPage = await freshPage();
    await signIn(coordinatorPage, coordinator);
    // the code of this step was not used yet by the coordinator (their last was a step ago)
    const factor = await ctx.db.selectFrom('userSecondFactors').select('userId').where('userId', '=', coordinator.id).executeTakeFirst();
    expect(factor).toBeDefined();
    const adminPage = await freshPage();
    await signIn(adminPage, admin);
    await enterCode(adminPage, await totpCode(ADMIN_SECRET, ctx.clock.now()));
    await adminPage.goto('/hub/users');
    await adminPage.getByRole('button', { name: `Reset two-factor sign-in of ${coordinator.name}` }).click();
    await adminPage.waitForURL(/done=two-factor-reset/);
    expect(await adminPage.locator('[role="status"]').textContent()).toContain('Two-factor sign-in reset');
    expect(await ctx.db.selectFrom('userSecondFactors').select('userId').where('userId', '=', coordinator.id).executeTakeFirst()).toBeUndefined();
    expect(await ctx.db.selectFrom('recoveryCodes').select('userId').where('userId', '=', coordinator.id).execute()).toEqual([]);
    expect(await ctx.db.selectFrom('webSessions').select('userId').where('userId', '=', coordinator.id).execute()).toEqual([]);
    const reset = (await auditActions(coordinator.id)).filter((a) => a.action === 'user.two_factor_reset');
    expect(reset).toEqual([{ action: 'user.two_factor_reset', actorUserId: admin.id }]);
    await adminPage.goto(`/hub/audit?userId=${admin.id}`);
    expect(await adminPage.locator('main').textContent()).toContain('Reset the two-factor sign-in (their sessions ended)');
    // the pending sign-in in the coordinator's browser is gone: back to the password
    await coordinatorPage.goto('/sign-in/code');
    expect(path(coordinatorPage)).toBe('/sign-in');
    // and the next sign-in enrols again
    await signIn(coordinatorPage, coordinator);
    expect(path(coordinatorPage)).toBe('/account/two-factor');
  });
});
