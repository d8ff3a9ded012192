/**
 * Every page of every role, checked once each in a real browser on a phone-sized screen:
 * axe-core (no serious or critical finding) and a screenshot under test/artifacts/. The
 * journeys (link-worker, agency, hub tests) exercise behaviour; this file is where each distinct
 * page, and each distinct state of a page (an error summary, an empty list), is audited, so
 * that axe runs once per page rather than after every step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DAY, HOUR } from '../../src/domain/clock.js';
import { createAgencyLink } from '../../src/services/agency-link.service.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { apiClient } from '../helpers/api.js';
import { makeUser, seedChecklist, submissionBody } from '../helpers/factories.js';
import { markForwarded } from '../helpers/referrals.js';
import { PHONE, checkPage, launchBrowser, makeWebUser, newContext, signIn, type WebUser } from '../helpers/browser.js';

let ctx: TestContext;
let browser: Browser;
let q: Awaited<ReturnType<typeof seedChecklist>>;
const users = {} as Record<'linkWorker' | 'agency' | 'coordinator', WebUser>;
let submission: { id: string; reference: string; referrals: { id: string; reference: string; agencyId: string }[] };
let linkPath: string;
const checked: string[] = [];

beforeAll(async () => {
  [ctx, browser] = await Promise.all([createTestContext(), launchBrowser()]);
  q = await seedChecklist(ctx);
  users.linkWorker = await makeWebUser(ctx, 'link_worker');
  users.agency = await makeWebUser(ctx, 'agency', q.questions[0]!.agencyId);
  users.coordinator = await makeWebUser(ctx, 'coordinator');
  // a checklist sent through the API, forwarded to both of its agencies
  const apiWorker = await makeUser(ctx, 'link_worker');
  const res = await apiClient(ctx.baseUrl).post('/api/v1/submissions', apiWorker.token, submissionBody(q, [q.questions[0]!.id, q.questions[15]!.id], { person: { familyName: 'Pagecheck' } }));
  expect(res.status).toBe(201);
  submission = res.body;
  for (const r of submission.referrals) await markForwarded(ctx, r.id);
  linkPath = new URL(await createAgencyLink(ctx.db, ctx, submission.referrals[0]!.id, ctx.clock.now())).pathname;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ctx?.close();
});

async function as(user: WebUser | null, fn: (page: Page) => Promise<void>): Promise<void> {
  const context: BrowserContext = await newContext(browser, ctx.baseUrl, { viewport: PHONE, isMobile: true, hasTouch: true });
  try {
    const page = await context.newPage();
    if (user) await signIn(page, user);
    await fn(page);
  } finally {
    await context.close();
  }
}

async function audit(page: Page, name: string): Promise<void> {
  await checkPage(page, name);
  checked.push(name);
}

describe('every page, once, on a phone', () => {
  it('pages anyone can reach', async () => {
    await as(null, async (page) => {
      await page.goto('/sign-in');
      await audit(page, 'sign-in');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForSelector('.nhsuk-error-summary');
      await audit(page, 'sign-in-errors');
      await page.goto('/accessibility');
      await audit(page, 'accessibility-statement');
      await page.goto('/no-such-page');
      await audit(page, 'not-found');
      await page.goto(linkPath);
      await audit(page, 'agency-link-referral');
      await page.goto('/a/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      await audit(page, 'agency-link-expired');
    });
  });

  it("a link worker's pages", async () => {
    await as(users.linkWorker, async (page) => {
      await page.goto('/submissions');
      await audit(page, 'my-submissions-empty');
      await page.goto('/checklist');
      await audit(page, 'checklist');
      await page.locator('#main-form button[type="submit"]').last().click();
      await page.waitForSelector('.nhsuk-error-summary');
      await audit(page, 'checklist-errors');
    });
    // the API worker's submission, seen by the hub's own user on the submission pages
    await as(users.coordinator, async (page) => {
      await page.goto(`/submissions/${submission.id}?sent=1`);
      await audit(page, 'confirmation');
      await page.goto(`/submissions/${submission.id}/postcard`);
      await audit(page, 'postcard');
    });
  });

  it("an agency's pages", async () => {
    await as(users.agency, async (page) => {
      await page.goto('/agency');
      await audit(page, 'agency-inbox');
      await page.goto(`/agency/referrals/${submission.referrals[0]!.id}`);
      await audit(page, 'agency-referral');
    });
  });

  it("a coordinator's pages", async () => {
    ctx.clock.advance(14 * DAY + HOUR);
    await as(users.coordinator, async (page) => {
      for (const [path, name] of [
        ['/hub', 'hub-dashboard'],
        ['/hub/follow-ups', 'hub-follow-ups'],
        ['/hub/follow-ups?state=upcoming', 'hub-follow-ups-upcoming'],
        ['/hub/follow-ups?state=completed', 'hub-follow-ups-completed'],
        ['/hub/referrals', 'hub-referrals'],
        [`/hub/referrals/${submission.referrals[1]!.id}`, 'hub-referral'],
        ['/hub/questionnaires', 'hub-questionnaires'],
        ['/hub/agencies', 'hub-agencies'],
        ['/hub/users', 'hub-users'],
        ['/hub/mail', 'hub-mail'],
      ] as const) {
        await page.goto(path);
        await audit(page, name);
      }
      await page.goto('/hub/follow-ups');
      await page.getByRole('link', { name: submission.reference }).click();
      await page.waitForSelector('text=Call script');
      await audit(page, 'hub-follow-up-call');
      await page.getByRole('button', { name: 'Record the call' }).click();
      await page.waitForSelector('.nhsuk-error-summary');
      await audit(page, 'hub-follow-up-errors');
      await page.goto('/hub/questionnaires');
      await page.getByRole('button', { name: 'Make a draft from the current version' }).click();
      await page.waitForSelector('#q-form');
      await audit(page, 'hub-questionnaire-draft');
    });
  });

  it('checked each page once', () => {
    expect(new Set(checked).size).toBe(checked.length);
    expect(checked.length).toBeGreaterThanOrEqual(24);
  });
});
