/**
 * The browser tests' helpers: one headless Chromium per test file (Debian's /usr/bin/chromium,
 * driven by playwright-core), pages that can only reach the app under test (the NHS.UK web
 * fonts are blocked: tests must not depend on the internet), sign-in, axe-core checks and
 * screenshots under test/artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Role } from '../../src/kernel/principal.js';
import { hashPassword } from '../../src/modules/accounts/password.service.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import type { ServiceDeps } from '../../src/platform/deps.js';

export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));
export const PHONE = { width: 390, height: 844 };
export const PASSWORD = 'correct horse battery staple';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    // Playwright turns the back/forward cache off; phones' browsers have it on
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // only the app under test resolves (request interception would also turn off the HTTP
      // cache, which the back-button test relies on); localhost for the passkey tests, as
      // WebAuthn's relying party must be a domain
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
    ],
  });
}

/** A fresh browser context (its own cookies) on the app under test. */
export async function newContext(browser: Browser, baseUrl: string, opts: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: baseUrl, ...opts });
  // fail a step well before the test's own timeout, so that the report names the step
  context.setDefaultTimeout(10_000);
  return context;
}

export interface WebUser {
  id: string;
  email: string;
  name: string;
  password: string;
}

export async function makeWebUser(deps: Pick<ServiceDeps, 'db' | 'clock' | 'ids'>, role: Role, agencyId?: string): Promise<WebUser> {
  const tag = randomBytes(4).toString('hex');
  const email = `${role.replace('_', '-')}-${tag}@example.org`;
  const name = `${role === 'link_worker' ? 'Link worker' : role === 'agency' ? 'Agency worker' : 'Coordinator'} ${tag}`;
  const u = await createUserWithToken(deps, { role, name, email, agencyId: agencyId ?? null, passwordHash: await hashPassword(PASSWORD) });
  return { id: u.id, email, name, password: PASSWORD };
}

/** `fn` on a page of a fresh browser context at `viewport` (a phone's below 800 px), signed in as `user` (or no one); the context closes after. */
export async function withPage<T>(browser: Browser, baseUrl: string, user: { email: string; password: string } | null, viewport: { width: number; height: number }, fn: (page: Page) => Promise<T>): Promise<T> {
  const context = await newContext(browser, baseUrl, { viewport, isMobile: viewport.width < 800 });
  try {
    const page = await context.newPage();
    if (user) await signIn(page, user);
    return await fn(page);
  } finally {
    await context.close();
  }
}

export async function signIn(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email address').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForLoadState('domcontentloaded');
}

/**
 * axe-core on the page as it is now: no serious or critical violations allowed. `strict`: none
 * of any impact, axe's best practices included (a back link outside every landmark, a heading
 * level skipped), as the page walk of test/web/pages.test.ts asks.
 */
export async function expectAccessible(page: Page, name: string, { strict = false } = {}): Promise<void> {
  const result = await new AxeBuilder({ page })
    .setLegacyMode(true)
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', ...(strict ? ['best-practice'] : [])])
    .options({ resultTypes: ['violations'] })
    .analyze();
  const bad = result.violations
    .filter((v) => strict || v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} -> ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  expect(bad, `accessibility of ${name}`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  // a long page's full screenshot on a busy machine can take longer than a step's 10 s
  await page.screenshot({ path: `${ARTIFACTS_DIR}${name}.png`, fullPage: true, timeout: 60_000 });
}

/** Checks a page for accessibility and saves its screenshot: what every main page gets. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await expectAccessible(page, name);
  await screenshot(page, name);
}

/**
 * What sticks out past `width` on the page as it is now: the document's own scroll width, and
 * every element whose right edge passes it (a mobile viewport widens itself to its content, so
 * `innerWidth` cannot be trusted to say). Elements inside a box that scrolls sideways on purpose
 * (`overflow-x: auto | scroll`) are left out, and so are those clipped to nothing (visually hidden
 * text for screen readers). Each finding names the element and how far it reaches.
 */
export async function sidewaysOverflow(page: Page, width: number): Promise<string[]> {
  // evaluated in the page, whose globals Node's types do not know
  return (await page.evaluate(`(() => {
    const width = ${width};
    const found = [];
    const docWidth = document.documentElement.scrollWidth;
    if (docWidth > width) found.push('the document is ' + docWidth + ' px wide');
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    const scrollsOnPurpose = (el) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === 'auto' || o === 'scroll') return true;
      }
      return false;
    };
    const clippedAway = (el) => {
      for (let p = el; p && p !== document.body; p = p.parentElement) {
        const s = getComputedStyle(p);
        const r = p.getBoundingClientRect();
        if ((s.overflow === 'hidden' || s.overflowX === 'hidden' || s.overflowX === 'clip') && r.width <= 1) return true;
        if (s.position === 'absolute' && r.right <= 0) return true;
      }
      return false;
    };
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right <= width + 0.5) continue;
      if (scrollsOnPurpose(el) || clippedAway(el)) continue;
      found.push(name(el) + ' reaches ' + Math.round(r.right) + ' px' + (el.textContent ? ' ("' + el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40) + '")' : ''));
      if (found.length > 8) break;
    }
    return found;
  })()`)) as string[];
}
