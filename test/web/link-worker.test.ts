/**
 * The link worker's journey in a real browser on a phone-sized screen: sign in, fill the
 * checklist (errors shown the NHS.UK way, nothing typed lost), send it once however often it
 * is sent, see who will contact the person and by when, print the record, see the statuses.
 * Then the same form with JavaScript disabled, and the sign-in's lock-out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedChecklist } from '../helpers/factories.js';
import { PHONE, launchBrowser, makeWebUser, newContext, screenshot, signIn, type WebUser } from '../helpers/browser.js';

let ctx: TestContext;
let browser: Browser;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let worker: WebUser;

beforeAll(async () => {
  // a hub that asks the wellbeing questions at the checklist (the default asks them at the call)
  [ctx, browser] = await Promise.all([createTestContext({ WELLBEING_ASKED_AT: 'checklist' }), launchBrowser()]);
  q = await seedChecklist(ctx);
  worker = await makeWebUser(ctx, 'link_worker');
});
afterAll(async () => {
  await browser?.close();
  await ctx?.close();
});

const countSubmissions = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM submissions`.execute(ctx.db)).rows[0]!.n);

/** Ticks these questions, and None of these in every section with none of them. */
async function answerAll(page: Page, yes: string[]) {
  for (const section of q.sections) {
    const ticked = section.questions.filter((x) => yes.includes(x.id));
    for (const question of ticked) await page.locator(`input[name="s_${section.id}"][value="${question.id}"]`).check();
    if (!ticked.length) await page.locator(`input[name="s_${section.id}"][value="none"]`).check();
  }
}

async function fillPerson(page: Page, familyName: string) {
  await page.getByLabel('First name').fill('Edith');
  await page.getByLabel('Last name').fill(familyName);
  await page.getByLabel('Day', { exact: true }).fill('17');
  await page.getByLabel('Month').fill('5');
  await page.getByLabel('Year').fill('1942');
  await page.getByLabel('Postcode').fill('se1 7pb');
  await page.getByLabel('Phone number (optional)').fill('020 7946 0123');
  await page.getByRole('radio', { name: 'Phone' }).check();
  await page.getByLabel('Access needs (optional)').fill('Hard of hearing: please let the phone ring');
  await page.getByRole('radio', { name: 'The person' }).check();
  await page.getByLabel('They agree to be referred, and to their details being shared with these agencies').check();
}

describe('link worker, phone-sized, JavaScript on', () => {
  it('signs in, sends the checklist once, and sees who will contact the person and by when', { timeout: 120_000 }, async () => {
    const context = await newContext(browser, ctx.baseUrl, { viewport: PHONE, isMobile: true, hasTouch: true });
    const page = await context.newPage();

    await page.goto('/accessibility');
    await page.goto('/sign-in');
    await signIn(page, worker);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/submissions');

    await page.goto('/checklist');
    await expect.poll(() => page.locator('h1').textContent()).toContain(q.title);

    // sent half-filled: an error summary, inline errors, and what was typed is still there
    const fire = q.questions[0]!;
    const firstSection = q.sections[0]!;
    await page.locator(`input[name="s_${firstSection.id}"][value="${fire.id}"]`).check();
    await page.getByLabel('First name').fill('Edith');
    await page.getByLabel('Postcode').fill('not a postcode');
    // the optional wellbeing questions, one of them out of range
    await page.getByLabel('Overall, how happy did you feel yesterday?').fill('7');
    await page.getByLabel(/how anxious did you feel yesterday\?/).fill('12');
    await page.getByRole('button', { name: 'Send checklist' }).click();
    await page.waitForSelector('.nhsuk-error-summary');
    const summary = await page.locator('.nhsuk-error-summary').innerText();
    expect(summary).toContain('There is a problem');
    expect(summary).toContain("Enter the person's last name");
    expect(summary).toContain('Postcode must be a UK postcode');
    // the sections left unanswered are named, one line each (not one line per question)
    for (const [i, section] of q.sections.entries()) {
      const line = `${i + 1}. ${section.title}: tick what they would like help with, or None of these`;
      if (i === 0) expect(summary).not.toContain(line);
      else expect(summary).toContain(line);
    }
    for (const question of q.questions) expect(summary).not.toContain(question.text);
    expect(await page.getByLabel('First name').inputValue()).toBe('Edith');
    expect(await page.getByLabel('Postcode').inputValue()).toBe('not a postcode');
    expect(summary).toContain('Anxiety yesterday: enter a whole number from 0 to 10, or leave it blank');
    expect(await page.getByLabel('Overall, how happy did you feel yesterday?').inputValue()).toBe('7');
    expect(await page.getByLabel(/how anxious did you feel yesterday\?/).inputValue()).toBe('12');
    expect(await page.locator(`input[name="s_${firstSection.id}"][value="${fire.id}"]`).isChecked()).toBe(true);
    expect(await page.title()).toMatch(/^Error: /);
    expect(await countSubmissions()).toBe(0);

    // a fresh form (a GET) is what the back button comes back to
    await page.goto('/checklist');
    const key = await page.locator('input[name=idempotencyKey]').inputValue();
    await answerAll(page, [fire.id]);
    await fillPerson(page, 'Phoneington');
    await page.getByLabel('Overall, how satisfied are you with your life nowadays?').fill('6');
    await page.getByLabel(/how anxious did you feel yesterday\?/).fill('3');
    await page.getByRole('button', { name: 'Send checklist' }).click();
    await page.waitForSelector('.nhsuk-panel');
    const scores = await ctx.db.selectFrom('wellbeingScores').select(['occasion', 'lifeSatisfaction', 'worthwhile', 'happy', 'anxious']).execute();
    expect(scores).toEqual([{ occasion: 'checklist', lifeSatisfaction: 6, worthwhile: null, happy: null, anxious: 3 }]);
    expect(await page.locator('.nhsuk-panel').innerText()).toContain('Checklist sent');
    const table = await page.locator('table').innerText();
    expect(table).toContain(fire.agencyName);
    // not yet forwarded: by the 24 h forwarding deadline plus the agency's 14 days
    expect(table).toContain('20 January 2026');
    expect(await countSubmissions()).toBe(1);
    const confirmationUrl = page.url();

    // the back button shows the same form (same key); sending it again replays the submission
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForSelector('#send');
    expect(await page.locator('input[name=idempotencyKey]').inputValue()).toBe(key);
    expect(await page.getByLabel('Last name').inputValue()).toBe('Phoneington');
    await page.getByRole('button', { name: 'Send checklist' }).click();
    await page.waitForSelector('.nhsuk-panel');
    expect(page.url()).toBe(confirmationUrl);
    expect(await countSubmissions()).toBe(1);

    await page.goto(confirmationUrl);
    await page.getByRole('link', { name: /Print a record/ }).click();
    await page.waitForSelector('.postcard');
    expect(await page.locator('.postcard').innerText()).toContain(fire.agencyName);
    await page.emulateMedia({ media: 'print' });
    await screenshot(page, 'postcard-print');
    await page.emulateMedia({ media: 'screen' });

    await page.goto('/submissions');
    expect(await page.locator('table').innerText()).toContain('Waiting to be sent');
    await ctx.db.updateTable('referrals').set({ status: 'forwarded', forwardedAt: ctx.clock.now() }).execute();
    await page.reload();
    expect(await page.locator('table').innerText()).toContain('Sent to agency');
    await context.close();
  });

  it('a double click sends one submission', async () => {
    const context = await newContext(browser, ctx.baseUrl, { viewport: PHONE, isMobile: true });
    const page = await context.newPage();
    await signIn(page, worker);
    await page.goto('/checklist');
    await answerAll(page, [q.questions[2]!.id]);
    await fillPerson(page, 'Doubleclick');
    const before = await countSubmissions();
    await page.getByRole('button', { name: 'Send checklist' }).dblclick();
    await page.waitForSelector('.nhsuk-panel');
    expect(await countSubmissions()).toBe(before + 1);
    await context.close();
  });
});

describe('the checklist with JavaScript disabled', () => {
  it('works end to end, and a re-sent form (same key) makes no second submission', async () => {
    const context = await newContext(browser, ctx.baseUrl, { javaScriptEnabled: false, viewport: PHONE });
    const page = await context.newPage();
    await signIn(page, worker);
    await page.goto('/checklist');
    // without JavaScript: no js-enabled class, the form is plain HTML
    expect(await page.locator('body').getAttribute('class')).toBeNull();
    await page.getByRole('button', { name: 'Send checklist' }).click();
    await page.waitForSelector('.nhsuk-error-summary');

    await answerAll(page, [q.questions[5]!.id]);
    await fillPerson(page, 'Nojavascript');
    // what the browser would send (the form's successful controls, repeated names and all)
    type Control = { name: string; value: string; type: string; checked: boolean };
    const pairs = await page.locator('#main-form').evaluate((f) => {
      const out: [string, string][] = [];
      for (const el of (f as unknown as { elements: Iterable<Control> }).elements) {
        if (el.name && !((el.type === 'radio' || el.type === 'checkbox') && !el.checked)) out.push([el.name, el.value]);
      }
      return out;
    });
    expect(new Map(pairs).get('idempotencyKey')).toMatch(/^[0-9a-f-]{36}$/);
    const before = await countSubmissions();
    await page.getByRole('button', { name: 'Send checklist' }).click();
    await page.waitForSelector('.nhsuk-panel');
    expect(await countSubmissions()).toBe(before + 1);

    // a retry of the very same form post (as a flaky connection would) replays it
    const again = await context.request.post('/checklist', {
      data: new URLSearchParams(pairs).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      maxRedirects: 0,
    });
    expect(again.status()).toBe(303);
    expect(again.headers().location).toBe(new URL(page.url()).pathname + '?sent=1');
    expect(await countSubmissions()).toBe(before + 1);
    await context.close();
  });
});

describe('sign-in', () => {
  it('locks an account for 15 minutes after 5 wrong passwords', async () => {
    const user = await makeWebUser(ctx, 'link_worker');
    const context = await newContext(browser, ctx.baseUrl);
    const page = await context.newPage();
    for (let i = 0; i < 5; i++) await signIn(page, { email: user.email, password: 'wrong password!' });
    // the same answer as for a wrong password or an unknown email: no hint that it is locked
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Enter a correct email address and password');
    expect(await page.locator('main').innerText()).toContain('locked for 15 minutes');
    await signIn(page, user);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect((await ctx.db.selectFrom('users').select('failedLogins').where('id', '=', user.id).executeTakeFirstOrThrow()).failedLogins).toBe(5);
    ctx.clock.advance(15 * 60_000 + 1000);
    await signIn(page, user);
    expect(new URL(page.url()).pathname).toBe('/submissions');

    // signing out ends the session in Postgres
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    await page.goto('/submissions');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(Number((await sql<{ n: string }>`SELECT count(*) AS n FROM web_sessions WHERE user_id = ${user.id}`.execute(ctx.db)).rows[0]!.n)).toBe(0);
    await context.close();
  });

  it('refuses a form post without the CSRF token', async () => {
    const context = await newContext(browser, ctx.baseUrl);
    const page = await context.newPage();
    await signIn(page, worker);
    const res = await context.request.post('/checklist', { form: { questionnaireId: q.id }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    await context.close();
  });
});
