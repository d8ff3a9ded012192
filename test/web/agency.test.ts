/**
 * A partner agency in a real browser: acting from the signed link in the forwarding email
 * (found in the SMTP sink, sent by the real forward worker), with no account; and a signed-in
 * agency user's inbox and referral page. Only the answers that flagged the agency are shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { apiClient } from '../helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from '../helpers/factories.js';
import { startTestSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from '../helpers/workers.js';
import { PHONE, launchBrowser, makeWebUser, newContext, signIn } from '../helpers/browser.js';

let ctx: TestContext;
let sink: SmtpSink;
let workers: TestWorkers;
let browser: Browser;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let linkWorker: TestUser;

beforeAll(async () => {
  sink = await startTestSink();
  [ctx, browser] = await Promise.all([createTestContext({ SMTP_URL: sink.url, PUBLIC_URL: 'https://signpost.test' }), launchBrowser()]);
  q = await seedChecklist(ctx);
  linkWorker = await makeUser(ctx, 'link_worker');
  workers = await startTestWorkers(ctx, ['forward', 'notify']);
});
afterAll(async () => {
  await workers?.stop();
  await browser?.close();
  await ctx?.close();
  await sink?.stop();
});

/** Submits a checklist flagging one question's agency; returns the referral and the link path from its mail. */
async function referralFromMail(questionIndex: number, familyName: string) {
  const question = q.questions[questionIndex]!;
  const res = await apiClient(ctx.baseUrl).post('/api/v1/submissions', linkWorker.token, submissionBody(q, [question.id], { person: { familyName } }));
  expect(res.status).toBe(201);
  const referral = res.body.referrals[0];
  const agency = await ctx.db.selectFrom('agencies').select(['email', 'name']).where('id', '=', question.agencyId).executeTakeFirstOrThrow();
  const mail = await waitUntil(async () => sink.messages.find((m) => m.envelope.to.includes(agency.email) && m.subject.includes(referral.reference)));
  const link = /https:\/\/signpost\.test(\/a\/[A-Za-z0-9_-]{43})/.exec(mail.text);
  expect(link).not.toBeNull();
  return { question, referral, agency, mail, path: link![1]! };
}

const statusOf = async (id: string) => (await ctx.db.selectFrom('referrals').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

describe('an agency without an account, from the email link', () => {
  it('sees only its own question and the person, and moves the referral along its lifecycle', { timeout: 90_000 }, async () => {
    const { question, referral, mail, path } = await referralFromMail(0, 'Linkfollower');
    // minimal mail (the default): no personal data in it
    expect(mail.text).not.toContain('Linkfollower');

    const context = await newContext(browser, ctx.baseUrl, { viewport: PHONE, isMobile: true });
    const page = await context.newPage();
    await page.goto(path);
    const main = await page.locator('main').innerText();
    expect(main).toContain(referral.reference);
    expect(main).toContain(question.text);
    expect(main).toContain('Linkfollower');
    for (const other of q.questions.slice(1)) expect(main).not.toContain(other.text);

    // one clear next step
    expect(await page.locator('#actions ~ form button').first().innerText()).toBe('Acknowledge the referral');
    await page.getByRole('button', { name: 'Acknowledge the referral' }).click();
    await page.waitForSelector('text=Referral acknowledged.');
    expect(await statusOf(referral.id)).toBe('acknowledged');

    // the rest are tucked away; rejecting without a reason says, in plain words, what is missing
    await page.getByText('We cannot take this referral').click();
    await page.getByRole('button', { name: 'Reject the referral' }).click();
    await page.waitForSelector('.nhsuk-error-summary');
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Say why you cannot take this referral');
    // the step stays open, with its error beside the field
    expect(await page.locator('#rejected-reason').isVisible()).toBe(true);
    expect(await statusOf(referral.id)).toBe('acknowledged');

    await page.locator('#contacted-note').fill('Spoke on the phone; visit booked');
    await page.getByRole('button', { name: 'Record contact with the person' }).click();
    await page.waitForSelector('text=Contact recorded.');
    await page.getByRole('button', { name: 'Complete the referral' }).click();
    await page.waitForSelector('.nhsuk-error-summary');
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Select what came of the referral');
    await page.locator('#completed-outcome').selectOption('service_provided');
    await page.getByRole('button', { name: 'Complete the referral' }).click();
    await page.waitForSelector('text=Referral completed.');
    expect(await statusOf(referral.id)).toBe('completed');

    const events = await ctx.db.selectFrom('referralEvents').select(['toStatus', 'actorLabel', 'note']).where('referralId', '=', referral.id).orderBy('at').orderBy('id').execute();
    expect(events.map((e) => e.toStatus)).toEqual(['pending', 'forwarded', 'acknowledged', 'contacted', 'completed']);
    expect(events.at(-1)!.actorLabel).toContain('(email link)');
    const audit = await ctx.db.selectFrom('auditLog').select(['action', 'actorLabel']).where('entityId', '=', referral.id).execute();
    // acknowledge, the refused reject, contact, the refused and the real completion
    expect(audit.filter((a) => a.action === 'agency_link.act')).toHaveLength(5);
    expect(audit.filter((a) => a.action === 'agency_link.view').length).toBeGreaterThanOrEqual(4);
    await context.close();
  });

  it('stops working when it expires, and when it is revoked', async () => {
    const a = await referralFromMail(3, 'Expiring');
    const b = await referralFromMail(5, 'Revoked');
    const context = await newContext(browser, ctx.baseUrl);
    const page = await context.newPage();
    expect((await page.goto(b.path))!.status()).toBe(200);
    await ctx.db.updateTable('agencyLinks').set({ revokedAt: ctx.clock.now() }).where('referralId', '=', b.referral.id).execute();
    const revoked = await page.goto(b.path);
    expect(revoked!.status()).toBe(404);
    expect(await page.locator('h1').innerText()).toContain('expired or been withdrawn');

    expect((await page.goto(a.path))!.status()).toBe(200);
    ctx.clock.advance((ctx.env.AGENCY_LINK_TTL_DAYS * 24 + 1) * 3_600_000);
    expect((await page.goto(a.path))!.status()).toBe(404);
    // a guessed token is the same page
    expect((await page.goto(`/a/${'x'.repeat(43)}`))!.status()).toBe(404);
    await context.close();
  });
});

describe('a signed-in agency user', () => {
  it('sees its inbox and only its own referrals', async () => {
    const { question, referral } = await referralFromMail(1, 'Inboxperson');
    const other = await referralFromMail(7, 'Someoneelse');
    expect(other.question.agencyId).not.toBe(question.agencyId);
    const user = await makeWebUser(ctx, 'agency', question.agencyId);
    const context = await newContext(browser, ctx.baseUrl);
    const page = await context.newPage();
    await signIn(page, user);
    expect(new URL(page.url()).pathname).toBe('/agency');
    const inbox = await page.locator('main').innerText();
    expect(inbox).toContain(referral.reference);
    expect(inbox).not.toContain(other.referral.reference);

    await page.getByRole('link', { name: referral.reference }).click();
    await page.waitForSelector('#action-acknowledged');
    await page.getByText('Put it on hold', { exact: true }).first().click();
    await page.locator('#on_hold-reason').fill('On our waiting list');
    await page.locator('#on_hold-onHoldUntil').fill('1');
    await page.locator('#on_hold-onHoldUntil-month').fill('3');
    await page.locator('#on_hold-onHoldUntil-year').fill('2026');
    await page.locator('#action-on_hold').getByRole('button', { name: 'Put it on hold' }).click();
    await page.waitForSelector('text=Referral put on hold.');
    expect(await statusOf(referral.id)).toBe('on_hold');

    // another agency's referral is not found
    const res = await page.goto(`/agency/referrals/${other.referral.id}`);
    expect(res!.status()).toBe(404);
    await context.close();
  });
});
