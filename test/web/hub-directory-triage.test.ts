/**
 * A coordinator's agencies list and one agency's page, and the triage item as a call sheet
 * (issue 25, points 3 and 4), in a real browser at 1280 px: the list shows each agency's name,
 * status, capacity and inbox and links to the agency's own page, where every edit is made; the
 * triage item opens with the person, their number as a tel: link and what they asked for, and
 * "Release" ends on the triage list saying what happened. Prints the page heights and distances
 * the issue asks for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedChecklist } from '../helpers/factories.js';
import { checkPage, launchBrowser, makeWebUser, newContext, signIn, type WebUser } from '../helpers/browser.js';
import { referenceOf, selfReferralForm, sendSelfReferral } from '../helpers/self-referral.js';

let ctx: TestContext;
let browser: Browser;
let page: Page;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let coordinator: WebUser;

beforeAll(async () => {
  [ctx, browser] = await Promise.all([createTestContext(), launchBrowser()]);
  q = await seedChecklist(ctx);
  coordinator = await makeWebUser(ctx, 'coordinator');
  const context = await newContext(browser, ctx.baseUrl, { viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  await signIn(page, coordinator);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await ctx?.close();
});

const pageHeight = async (p: Page) => (await p.evaluate('document.documentElement.scrollHeight')) as number;
/** how far down the page (px from its top) an element starts */
const distanceDown = async (p: Page, selector: string) => (await p.locator(selector).first().boundingBox())!.y + ((await p.evaluate('window.scrollY')) as number);

describe('agencies', () => {
  it('lists every agency with its status, capacity and inbox, and edits one on its own page', async () => {
    const agencies = await ctx.db.selectFrom('agencies').select(['id', 'name', 'email', 'status']).orderBy('name').execute();
    await page.goto('/hub/agencies');
    process.stdout.write(`/hub/agencies at 1280 px: ${await pageHeight(page)} px tall for ${agencies.length} agencies\n`);
    const rows = page.locator('#agencies tbody tr');
    expect(await rows.count()).toBe(agencies.length);
    const first = await rows.first().innerText();
    expect(first).toContain(agencies[0]!.name);
    expect(first).toContain(agencies[0]!.email);
    expect(first).toMatch(/Active|Paused/);
    expect(first).toMatch(/Capacity|accepting|closed|waiting list/i);
    // no edit form on the list: one per agency's page
    expect(await page.locator('form[action^="/hub/agencies/"]').count()).toBe(0);
    await checkPage(page, 'hub-agencies-list');

    const target = agencies[3]!;
    await page.getByRole('link', { name: target.name, exact: true }).click();
    await page.waitForURL(new RegExp(`/hub/agencies/${target.id}$`));
    expect(await page.locator('h1').innerText()).toBe(target.name);
    await checkPage(page, 'hub-agency');

    // a bad email is refused with the field named and what was typed kept
    await page.getByLabel('Email for referrals').fill('not an email');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForSelector('.nhsuk-error-summary');
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Email for referrals');
    expect(await page.getByLabel('Email for referrals').inputValue()).toBe('not an email');
    await checkPage(page, 'hub-agency-errors');

    await page.getByLabel('Email for referrals').fill('new.inbox@example.org');
    await page.getByLabel('Status').selectOption('paused');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/\/hub\/agencies\?saved=/);
    expect(await page.locator('[role="status"]').innerText()).toContain(`${target.name} saved`);
    const row = page.locator('#agencies tbody tr', { hasText: target.name });
    expect(await row.innerText()).toContain('Paused');
    expect(await row.innerText()).toContain('new.inbox@example.org');
    expect(await ctx.db.selectFrom('agencies').select(['status', 'email']).where('id', '=', target.id).executeTakeFirstOrThrow()).toEqual({ status: 'paused', email: 'new.inbox@example.org' });

    // no agency with that id: a page saying so, not an error
    const none = await page.goto('/hub/agencies/00000000-0000-4000-8000-000000000000');
    expect(none!.status()).toBe(404);
  });
});

describe('the triage item', () => {
  it('opens with the person, their number to tap and what they asked for; Release ends on the list saying what happened', async () => {
    const res = await sendSelfReferral(ctx.baseUrl, selfReferralForm(q, [0, 3], { givenName: 'Edna', familyName: 'Callsheet' }));
    const reference = referenceOf(res.text)!;
    const item = await ctx.db.selectFrom('selfReferrals').select('id').where('reference', '=', reference).executeTakeFirstOrThrow();
    await page.goto(`/hub/triage/${item.id}`);
    const tel = 'a[href="tel:02079460456"]';
    const numberAt = await distanceDown(page, (await page.locator(tel).count()) ? tel : '#phone');
    process.stdout.write(`/hub/triage/:id at 1280 px: the number is ${Math.round(numberAt)} px down; page ${await pageHeight(page)} px\n`);
    expect(await page.locator('h1').innerText()).toBe('Call Edna Callsheet');
    await expect.poll(() => page.locator(tel).first().isVisible()).toBe(true);
    expect(numberAt).toBeLessThan(900);
    const asked = await page.locator('#asked-for').innerText();
    expect(asked).toContain(q.questions[0]!.text);
    expect(asked).toContain(q.questions[3]!.text);
    expect(asked).not.toContain(q.questions[1]!.text);
    const main = await page.locator('main').innerText();
    expect(main).not.toContain('Go through each part with the person');
    expect(main.toLowerCase()).not.toContain('link worker');
    await checkPage(page, 'hub-triage-item-call');

    await page.getByRole('button', { name: 'Release: send to the agencies' }).click();
    await page.waitForURL(/\/hub\/triage\?released=/);
    const flash = await page.locator('[role="status"]').innerText();
    expect(flash).toContain(`${reference} released`);
    expect(flash).toContain(q.questions[0]!.agencyName);
    expect(flash).toContain(q.questions[3]!.agencyName);
    expect(await page.locator('h1').innerText()).toBe('Self-referrals to call');
    await checkPage(page, 'hub-triage-released');
  });
});
