/**
 * A hub coordinator in a real browser: the dashboard after the SLA sweep finds a breach,
 * handling it (recording the agency's contact on its behalf), the follow-up call (a failed
 * attempt, then the outcomes), re-routing a rejected referral, and the management pages (users: an admin's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { HOUR } from '../../src/kernel/clock.js';
import { runSweep } from '../../src/modules/sla/sla.service.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { apiClient } from '../helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from '../helpers/factories.js';
import { startTestSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestWorkers, waitUntil, type TestWorkers } from '../helpers/workers.js';
import { launchBrowser, makeWebUser, newContext, signIn, type WebUser } from '../helpers/browser.js';

let ctx: TestContext;
let sink: SmtpSink;
let workers: TestWorkers;
let browser: Browser;
let page: Page;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let linkWorker: TestUser;
let coordinator: WebUser;
let admin: WebUser;
let submission: { id: string; reference: string; referrals: { id: string; reference: string; agencyId: string }[] };

beforeAll(async () => {
  sink = await startTestSink();
  [ctx, browser] = await Promise.all([createTestContext({ SMTP_URL: sink.url }), launchBrowser()]);
  q = await seedChecklist(ctx);
  linkWorker = await makeUser(ctx, 'link_worker');
  coordinator = await makeWebUser(ctx, 'coordinator');
  admin = await makeWebUser(ctx, 'admin');
  workers = await startTestWorkers(ctx, ['forward', 'notify']);
  const res = await apiClient(ctx.baseUrl).post('/api/v1/submissions', linkWorker.token, submissionBody(q, [q.questions[0]!.id, q.questions[15]!.id], { person: { familyName: 'Breachfield' } }));
  expect(res.status).toBe(201);
  submission = res.body;
  await waitUntil(async () => {
    const rows = await ctx.db.selectFrom('referrals').select('status').where('submissionId', '=', submission.id).execute();
    return rows.every((r) => r.status === 'forwarded');
  });
  const context = await newContext(browser, ctx.baseUrl, { viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
}, 60_000);
afterAll(async () => {
  await workers?.stop();
  await browser?.close();
  await ctx?.close();
  await sink?.stop();
});

const breachesOf = (referralId: string) => ctx.db.selectFrom('slaBreaches').select(['clock', 'resolvedAt']).where('referralId', '=', referralId).execute();

describe('a coordinator', () => {
  it('sees a breach on the dashboard and handles it', async () => {
    // past the agencies' contact dates and the hub's follow-up date; the sweep records the breaches
    const followUp = await ctx.db.selectFrom('followUps').select('dueAt').where('submissionId', '=', submission.id).executeTakeFirstOrThrow();
    ctx.clock.set(new Date(followUp.dueAt.getTime() + HOUR));
    await runSweep(ctx, { reconcile: false });
    const [fire] = submission.referrals;
    expect((await breachesOf(fire!.id)).map((b) => b.clock)).toContain('contact');

    await signIn(page, coordinator);
    expect(new URL(page.url()).pathname).toBe('/hub');
    const breaches = await page.locator('#breaches ~ .sp-table-scroll table').first().innerText();
    expect(breaches).toContain(q.questions[0]!.agencyName);
    expect(await page.locator('main').innerText()).toContain(fire!.reference);

    await page.getByRole('link', { name: fire!.reference }).first().click();
    await page.waitForSelector('#action-contacted', { state: 'attached' });
    // the hub's page speaks as the hub: the agency is "the agency", never "we" or "you"
    const main = await page.locator('main').innerText();
    expect(main).toContain('Why they were referred');
    expect(main).not.toMatch(/referred to you|\bWe (will|have|contacted|could)\b|link\(s\)/);
    expect(main).toContain('The agency is to contact the person by');
    expect(await page.locator('#links-sent').innerText()).toBe('One email link was sent to the agency, and it can still be used.');
    // on the agency's behalf: the step is one of "if something else happened"
    await page.getByText('The agency contacted the person').click();
    await page.locator('#contacted-note').fill('Agency phoned in: they reached her yesterday');
    await page.getByRole('button', { name: 'Record contact with the person' }).click();
    await page.waitForSelector('text=Contact recorded.');
    const contact = (await breachesOf(fire!.id)).find((b) => b.clock === 'contact');
    expect(contact!.resolvedAt).not.toBeNull();
  });

  it('makes the follow-up call: a failed attempt, then the outcomes', async () => {
    await page.goto('/hub/follow-ups');
    await page.getByRole('link', { name: submission.reference }).click();
    await page.waitForSelector('text=Call script');

    await page.getByRole('radio', { name: 'No, record a call that did not reach them' }).check();
    await page.getByLabel('Note (optional)').fill('No answer, left a message');
    await page.getByRole('button', { name: 'Record the call' }).click();
    await page.waitForSelector('text=Call recorded as not reaching them.');
    const followUp = await ctx.db.selectFrom('followUps').select(['id', 'status']).where('submissionId', '=', submission.id).executeTakeFirstOrThrow();
    expect(followUp.status).toBe('scheduled');
    expect(await ctx.db.selectFrom('followUpAttempts').select('contactMade').where('followUpId', '=', followUp.id).execute()).toEqual([{ contactMade: false }]);

    // reached: an outcome per referral is required
    await page.getByRole('radio', { name: 'Yes', exact: true }).first().check();
    await page.getByRole('button', { name: 'Record the call' }).click();
    await page.waitForSelector('.nhsuk-error-summary');
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('were met by');
    for (const r of submission.referrals) await page.locator(`input[name="needsMet_${r.id}"][value="${r === submission.referrals[0] ? 'yes' : 'partly'}"]`).check();
    await page.getByRole('button', { name: 'Record the call' }).click();
    // a confirmation, what happens next, and the answers given
    await page.waitForURL(/done=completed/);
    const main = await page.locator('main').innerText();
    expect(main).toContain('Call recorded');
    expect(main).toContain('stays open until every referral has finished');
    expect(main).toContain('needs met: Yes');
    expect(main).toContain('needs met: Partly');
    expect(main).toMatch(/Calls that did not reach them\s+1/);
    const outcomes = await ctx.db.selectFrom('followUpOutcomes').select(['referralId', 'needsMet']).where('followUpId', '=', followUp.id).orderBy('needsMet', 'desc').execute();
    expect(outcomes).toHaveLength(2);
    expect(new Set(outcomes.map((o) => o.needsMet))).toEqual(new Set(['yes', 'partly']));
  });

  it('re-routes a rejected referral to another agency, linked both ways', async () => {
    const advice = submission.referrals[1]!;
    const agencyUser = await makeUser(ctx, 'agency', advice.agencyId);
    const rej = await apiClient(ctx.baseUrl).post(`/api/v1/referrals/${advice.id}/transitions`, agencyUser.token, { to: 'rejected', reason: 'Outside our area' });
    expect(rej.status).toBe(200);

    await page.goto('/hub');
    expect(await page.locator('#rejected ~ ul').first().innerText()).toContain(advice.reference);
    await page.goto('/hub/referrals');
    expect(await page.locator('#rejected ~ table').first().innerText()).toContain(advice.reference);
    await page.goto(`/hub/referrals/${advice.id}`);
    const target = q.questions.find((x) => x.agencyId !== advice.agencyId && x.agencyId !== submission.referrals[0]!.agencyId)!;
    await page.locator('#rerouted-targetAgencyId').selectOption(target.agencyId);
    await page.getByRole('button', { name: 'Re-route to another agency' }).click();
    await page.waitForSelector('text=Referral re-routed.');
    const old = await ctx.db.selectFrom('referrals').select(['status', 'reroutedToId']).where('id', '=', advice.id).executeTakeFirstOrThrow();
    expect(old.status).toBe('rerouted');
    const replacement = await ctx.db.selectFrom('referrals').select(['agencyId', 'reroutedFromId']).where('id', '=', old.reroutedToId!).executeTakeFirstOrThrow();
    expect(replacement).toEqual({ agencyId: target.agencyId, reroutedFromId: advice.id });
    await page.getByRole('link', { name: 'the new referral' }).click();
    expect(await page.locator('main').innerText()).toContain('Re-routed from');
  });

  it('manages agencies, checklist versions, users, and sees the mail', async () => {
    await page.goto('/hub/questionnaires');
    await page.getByRole('button', { name: 'Make a draft from the current version' }).click();
    await page.waitForSelector('#q-form');
    await page.locator('#s0_q0_text').fill('Would you like a free home fire safety visit, including smoke alarms?');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.waitForSelector('text=Published.');
    const current = await ctx.db.selectFrom('questionnaires').select('version').where('isCurrent', '=', true).executeTakeFirstOrThrow();
    expect(current.version).toBe(2);

    await page.goto('/hub/agencies');
    const agencyId = q.questions[4]!.agencyId;
    await page.getByRole('link', { name: q.questions[4]!.agencyName, exact: true }).click();
    await page.getByLabel('Status').selectOption('paused');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForSelector(`text=${q.questions[4]!.agencyName} saved.`);
    expect((await ctx.db.selectFrom('agencies').select('status').where('id', '=', agencyId).executeTakeFirstOrThrow()).status).toBe('paused');

    // accounts are an admin's: a coordinator is refused the users page
    const refused = await page.goto('/hub/users');
    expect(refused!.status()).toBe(403);
    const adminContext = await newContext(browser, ctx.baseUrl, { viewport: { width: 1280, height: 900 } });
    const adminPage = await adminContext.newPage();
    await signIn(adminPage, admin);
    await adminPage.goto('/hub/users');
    await adminPage.locator('#new-name').fill('New Worker');
    await adminPage.locator('#new-email').fill('new.worker@example.org');
    await adminPage.getByRole('radio', { name: 'Link worker' }).check();
    await adminPage.locator('#new-password').fill('short');
    await adminPage.getByRole('button', { name: 'Add user' }).click();
    await adminPage.waitForSelector('.nhsuk-error-summary');
    expect(await adminPage.locator('#new-name').inputValue()).toBe('New Worker');
    // a new link worker names the organisation they work for
    await adminPage.getByLabel('Organisation (for link workers)').selectOption({ label: 'Community wellbeing service (demo)' });
    await adminPage.locator('#new-password').fill('a long enough password');
    await adminPage.getByRole('button', { name: 'Add user' }).click();
    await adminPage.waitForSelector('text=User created.');
    await adminContext.close();

    const fresh = await newContext(browser, ctx.baseUrl);
    const other = await fresh.newPage();
    await signIn(other, { email: 'new.worker@example.org', password: 'a long enough password' });
    expect(new URL(other.url()).pathname).toBe('/submissions');
    await fresh.close();

    await page.goto('/hub/mail');
    expect(await page.locator('main').innerText()).toContain(submission.referrals[0]!.reference);
  });
});
