/**
 * The queue view in a real browser (an admin tool outside the page standards: bull-board's React
 * app, so not in the pages walk; docs/ops/metrics.md#the-queue-view). What it must still keep:
 * the pages' CSP refuses nothing it needs (no console error, no CSP violation), it asks no
 * other origin for anything, and it lists the hub's queues with a failed job's reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { launchBrowser, makeWebUser, newContext, signIn } from '../helpers/browser.js';
import { waitUntil } from '../helpers/workers.js';

let ctx: TestContext;
let browser: Browser;
const FAILED_ID = 'forward-00000000-0000-4000-8000-00000000f002';

beforeAll(async () => {
  [ctx, browser] = await Promise.all([createTestContext(), launchBrowser()]);
  await ctx.jobs.queue('forward').add('forward-referral', { referralId: '00000000-0000-4000-8000-00000000f002' }, { jobId: FAILED_ID, attempts: 1 });
  const connection = new Redis(ctx.env.REDIS_URL, { maxRetriesPerRequest: null });
  const refusing = new Worker('forward', async () => {
    throw new UnrecoverableError('refused for the browser test');
  }, { connection, prefix: ctx.env.QUEUE_PREFIX });
  await waitUntil(async () => (await ctx.jobs.queue('forward').getJobState(FAILED_ID)) === 'failed');
  await refusing.close();
  connection.disconnect();
});
afterAll(async () => {
  await browser?.close();
  await ctx?.close();
});

describe('the queue view in a browser', () => {
  it('shows the admin the queues and a failed job, with no CSP violation, console error or request to another origin', { timeout: 90_000 }, async () => {
    const admin = await makeWebUser(ctx, 'admin');
    const context = await newContext(browser, ctx.baseUrl);
    // every CSP violation on each page loaded, as the page itself sees it
    await context.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => { (window.__csp ??= []).push(e.violatedDirective + ' ' + e.blockedURI); });" });
    const page = await context.newPage();
    const problems: string[] = [];
    const origin = new URL(ctx.baseUrl).origin;
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol !== 'data:' && u.origin !== origin) problems.push(`request to ${r.url()}`);
    });
    const violations = async () => page.evaluate<string[]>('window.__csp ?? []');
    await signIn(page, admin);
    await page.goto('/hub/queues');
    await expect.poll(() => page.locator('body').innerText(), { timeout: 20_000 }).toContain('forward');
    expect(await violations()).toEqual([]);
    await page.goto(`/hub/queues/queue/forward?status=failed`);
    await expect.poll(() => page.locator('body').innerText(), { timeout: 20_000 }).toContain('refused for the browser test');
    expect(await violations()).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
