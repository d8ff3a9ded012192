/**
 * The API reference page (/api/docs) in a real browser. It is a third-party viewer (Swagger UI)
 * over our document, not one of our NHS.UK pages, so it is not in pages.test.ts's audit: its
 * markup is the viewer's and we cannot make it pass the Nu checker or axe-core (its own findings
 * are the viewer's to fix). What we own is checked here: it loads, shows every operation of the
 * document, asks no other origin for anything (fonts included), logs no console error, breaks no
 * rule of its Content-Security-Policy, and still says where the contract is without JavaScript.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { openApiJson } from '../../src/api.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { launchBrowser, newContext, screenshot } from '../helpers/browser.js';

let ctx: TestContext;
let browser: Browser;
beforeAll(async () => {
  ctx = await createTestContext();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await ctx?.close();
});

it('shows every operation of the document, asking no other origin and logging no error', async () => {
  const context = await newContext(browser, ctx.baseUrl, { viewport: { width: 1024, height: 900 } });
  const origin = new URL(ctx.baseUrl).origin;
  const problems: string[] = [];
  const requested: string[] = [];
  try {
    const page = await context.newPage();
    page.on('request', (r) => {
      const url = r.url();
      requested.push(url);
      if (!url.startsWith('data:') && new URL(url).origin !== origin) problems.push(`a request to another origin: ${url}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto('/api/docs');
    await page.waitForSelector('.opblock', { timeout: 60_000 });
    const doc = JSON.parse(openApiJson());
    const operations = Object.values<Record<string, unknown>>(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    expect(await page.locator('.opblock').count()).toBe(operations);
    await expect.poll(() => page.locator('text=Signpost API').count()).toBeGreaterThan(0);
    // open one operation: its schemas render too, under the same policy
    await page.locator('.opblock-summary', { hasText: '/submissions' }).first().click();
    await page.waitForSelector('.opblock-body', { timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'api-docs');
    expect(requested.some((u) => u.endsWith('/api/v1/openapi.json'))).toBe(true);
    expect(problems).toEqual([]);
  } finally {
    await context.close();
  }
});

it('without JavaScript, points to the contract itself', async () => {
  const context = await newContext(browser, ctx.baseUrl, { javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto('/api/docs');
    const link = page.locator('a[href="/api/v1/openapi.json"]');
    await expect.poll(() => link.count()).toBe(1);
    expect(await link.isVisible()).toBe(true);
  } finally {
    await context.close();
  }
});
