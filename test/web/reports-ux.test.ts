/**
 * What a new user stumbled over on the reports, the dashboard and the agency's pages (issue 25,
 * points 8, 9 and 10) in a real browser:
 *   - a chart's labels on a phone: the page's type size (not a shrunk drawing), whole, wrapping;
 *   - the dashboard puts open breaches first and sums capacity up in one line, with a link to
 *     the agencies it counts;
 *   - the quarterly return has no SNOMED CT column when no outcome has a code, and a held-back
 *     figure says "fewer than 5" once;
 *   - an expired agency link and the unavailable self-referral form give the hub's number as a
 *     tel: link; the agency's inbox lists a finished referral without the person;
 *   - the capacity page says when it was last confirmed once, in one sentence.
 * Screenshots under test/artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { DAY, HOUR } from '../../src/kernel/clock.js';
import { londonDay } from '../../src/kernel/uk-dates.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { apiClient } from '../helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from '../helpers/factories.js';
import { markForwarded, moveThrough } from '../helpers/referrals.js';
import { ARTIFACTS_DIR, PHONE, launchBrowser, makeWebUser, newContext, screenshot, sidewaysOverflow, signIn, withPage, type WebUser } from '../helpers/browser.js';

let ctx: TestContext;
let browser: Browser;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let coordinatorToken: TestUser;
let agencyToken: TestUser;
const users = {} as Record<'agency' | 'coordinator', WebUser>;
const LONG_AGENCY = 'Fire & rescue: home fire safety visits and smoke alarms for older people';
let unavailable: { status: number; href: string | null; text: string };
let periodStart: string;
let closedAt: Date;
/** telecare reopens in 60 days */
const reopens = () => londonDay(new Date(closedAt.getTime() + 60 * DAY));

beforeAll(async () => {
  [ctx, browser] = await Promise.all([createTestContext({ HUB_PHONE: '020 7946 0000' }), launchBrowser()]);
  // before any checklist exists: the self-referral form is not available
  {
    const context = await newContext(browser, ctx.baseUrl, { viewport: PHONE, isMobile: true });
    const page = await context.newPage();
    const res = await page.goto('/self-referral');
    unavailable = { status: res!.status(), href: await page.locator('main a[href^="tel:"]').first().getAttribute('href'), text: (await page.locator('main').innerText()).replace(/\s+/g, ' ') };
    await screenshot(page, 'reports-ux-self-referral-unavailable');
    await context.close();
  }
  q = await seedChecklist(ctx);
  periodStart = londonDay(ctx.clock.now());
  closedAt = ctx.clock.now();
  await ctx.db.updateTable('agencies').set({ name: LONG_AGENCY }).where('id', '=', q.questions[0]!.agencyId).execute();
  const worker = await makeUser(ctx, 'link_worker');
  coordinatorToken = await makeUser(ctx, 'coordinator');
  agencyToken = await makeUser(ctx, 'agency', q.questions[0]!.agencyId);
  users.agency = await makeWebUser(ctx, 'agency', q.questions[0]!.agencyId);
  users.coordinator = await makeWebUser(ctx, 'coordinator');
  const api = apiClient(ctx.baseUrl);
  // telecare is closed: the dashboard names it; the rest have never confirmed their capacity
  expect((await api.call('PUT', `/api/v1/agencies/${q.questions[2]!.agencyId}/capacity`, { token: coordinatorToken.token, body: { status: 'closed', closedUntil: reopens() } })).status).toBe(200);
  // the fire service: one referral live, one finished (with an outcome), each for a different person
  for (const [familyName, finish] of [['Liveperson', false], ['Finishedperson', true]] as const) {
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id, q.questions[15]!.id], { person: { familyName } }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    for (const r of res.body.referrals as { id: string }[]) await markForwarded(ctx, r.id);
    const fire = (res.body.referrals as { id: string; agencyId: string }[]).find((r) => r.agencyId === q.questions[0]!.agencyId)!;
    await moveThrough(api, agencyToken.token, fire.id, finish ? [{ to: 'contacted', note: 'Visited' }, { to: 'completed', outcome: 'service_provided' }] : [{ to: 'contacted', note: 'Booked' }]);
  }
  ctx.clock.advance(HOUR);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ctx?.close();
});

const as = <T>(user: WebUser | null, viewport: { width: number; height: number }, fn: (page: Page) => Promise<T>): Promise<T> => withPage(browser, ctx.baseUrl, user, viewport, fn);

describe('charts on a phone (point 8)', () => {
  it('labels each bar in the page’s type size, whole and inside the screen, at 390 and 320 px', async () => {
    await as(users.coordinator, PHONE, async (page) => {
      await page.goto(`/hub/reports?from=${periodStart}&to=${londonDay(ctx.clock.now())}`);
      for (const width of [390, 320]) {
        await page.setViewportSize({ width, height: PHONE.height });
        const labels = (await page.evaluate(`[...document.querySelectorAll('.sp-chart__label')].map((l) => {
          const r = l.getBoundingClientRect();
          return { text: l.textContent, size: parseFloat(getComputedStyle(l).fontSize), height: r.height, right: r.right, cut: l.scrollWidth > l.clientWidth };
        })`)) as { text: string; size: number; height: number; right: number; cut: boolean }[];
        expect(labels.length, 'the charts have labels').toBeGreaterThan(3);
        for (const l of labels) {
          expect(l.size, `${l.text} at ${width} px`).toBeGreaterThanOrEqual(13);
          expect(l.height, `${l.text} at ${width} px`).toBeGreaterThanOrEqual(13);
          expect(l.right, `${l.text} inside ${width} px`).toBeLessThanOrEqual(width);
          expect(l.cut, `${l.text} not cut`).toBe(false);
        }
        // the long agency name is whole (it wraps), never cut short with an ellipsis
        expect(labels.map((l) => l.text)).toContain(LONG_AGENCY);
        expect(labels.some((l) => l.text.endsWith('…'))).toBe(false);
        const long = page.locator('.sp-chart__label', { hasText: LONG_AGENCY }).first();
        expect((await long.boundingBox())!.height, 'the long label wraps onto more than one line').toBeGreaterThan(30);
        await screenshot(page, `reports-ux-charts-${width}`);
        // the first chart alone, to see without the rest of the long page
        await page.locator('.sp-chart').first().screenshot({ path: `${ARTIFACTS_DIR}reports-ux-chart-${width}.png`, timeout: 60_000 });
      }
    });
  });
});

describe('the dashboard (point 9)', () => {
  it('opens with the open breaches; capacity is one line counting the unconfirmed agencies, with a link to them', async () => {
    await as(users.coordinator, { width: 1280, height: 900 }, async (page) => {
      await page.goto('/hub');
      const headings = await page.locator('main h2').allInnerTexts();
      expect(headings[0]).toMatch(/^Open breaches/);
      expect(headings.indexOf('Agency capacity')).toBeGreaterThan(headings.findIndex((h) => h.startsWith('Failed forwards')));
      expect(await page.locator('main').innerText()).not.toMatch(/accepting\s+Unconfirmed/);
      expect(await page.locator('#capacity-closed').innerText()).toMatch(/is closed to new referrals until \d+ \w+ \d{4}$/);
      const line = page.locator('#capacity-unconfirmed a');
      const n = Number(/^(\d+) agencies have not confirmed their capacity$/.exec(await line.innerText())?.[1]);
      expect(n).toBeGreaterThan(1);
      await screenshot(page, 'reports-ux-dashboard');
      await line.click();
      await page.waitForURL(/\/hub\/agencies\?capacity=unconfirmed$/);
      expect(await page.locator('#agencies caption').innerText()).toBe(`${n} agencies whose capacity is unconfirmed`);
      expect(await page.locator('#agencies tbody tr').count()).toBe(n);
      expect(await page.locator('#agencies tbody tr', { hasNotText: 'Unconfirmed' }).count()).toBe(0);
      await screenshot(page, 'reports-ux-agencies-unconfirmed');
    });
  });
});

describe('the quarterly return, the agency’s pages and the numbers to ring (point 10)', () => {
  it('has no SNOMED CT column when no outcome has a code, and says "fewer than 5" once a cell', async () => {
    await as(users.coordinator, { width: 1280, height: 900 }, async (page) => {
      await page.goto(`/hub/reports/return?from=${periodStart}&to=${londonDay(ctx.clock.now())}`);
      const outcomes = page.locator('#outcomes-all table');
      expect(await outcomes.locator('thead th').allInnerTexts()).toEqual(['Outcome', 'Referrals']);
      const text = await page.locator('main').innerText();
      expect(text).not.toContain('SNOMED');
      expect(text).not.toContain('not shown');
      expect(text).toContain('fewer than 5');
      for (const cell of await page.locator('main td').allInnerTexts()) expect(cell.match(/fewer than/g)?.length ?? 0, cell).toBeLessThanOrEqual(1);
      await screenshot(page, 'reports-ux-return');
    });
  });

  it('an expired agency link and the unavailable self-referral form give the hub’s number as a tel: link', async () => {
    await as(null, PHONE, async (page) => {
      await page.goto('/a/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      const tel = page.locator('main a[href^="tel:"]');
      expect(await tel.getAttribute('href')).toBe('tel:02079460000');
      expect(await tel.innerText()).toBe('020 7946 0000');
      expect(await page.locator('main').innerText()).toMatch(/Call .+ on 020 7946 0000 \(.+\)\. They will send you a new link/);
      await screenshot(page, 'reports-ux-agency-link-expired');
    });
    expect(unavailable.status).toBe(503);
    expect(unavailable.href).toBe('tel:02079460000');
    expect(unavailable.text).toContain('We will take the details over the phone.');
  });

  it('the agency’s inbox lists its finished referral without the person, the live one with them', async () => {
    await as(users.agency, PHONE, async (page) => {
      await page.goto('/agency');
      const closed = await page.locator('#closed ~ table').first().innerText();
      expect(closed).toContain('Not shown once closed');
      expect(closed).not.toContain('Finishedperson');
      expect(await page.locator('main').innerText()).toContain('Liveperson');
      expect(await page.locator('main').innerText()).not.toContain('Finishedperson');
      await screenshot(page, 'reports-ux-agency-inbox');
    });
  });

  it('the capacity page says when it was last confirmed once: never, or more than 30 days ago', async () => {
    await as(users.coordinator, PHONE, async (page) => {
      // never confirmed: one sentence in the warning, no "Last confirmed: Never" row beside it
      await page.goto(`/hub/agencies/${q.questions[15]!.agencyId}/capacity`);
      let text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
      expect(text).toContain('This has never been confirmed. Is it still right?');
      expect(text).not.toContain('Last confirmed');
      await screenshot(page, 'reports-ux-capacity-never');
      // confirmed, then 31 days pass: when, said once, in the warning
      await page.getByRole('button', { name: 'Yes, still accepting' }).click();
      await page.waitForURL(/done=confirmed/);
      text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
      expect(text).toMatch(/Last confirmed \d+ \w+ \d{4}/);
      expect(text).not.toContain('Unconfirmed');
      ctx.clock.advance(31 * DAY);
      await signIn(page, users.coordinator); // the session has expired meanwhile
      await page.goto(`/hub/agencies/${q.questions[15]!.agencyId}/capacity`);
      text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
      expect(text).toMatch(/Last confirmed \d+ \w+ \d{4}.*: more than 30 days ago\. Is it still right\?/);
      expect(text.match(/Last confirmed/g)?.length).toBe(1);
      expect(text).not.toContain('Never');
      await screenshot(page, 'reports-ux-capacity-stale');
    });
  });
});

describe("the page walk's 320 px check (sidewaysOverflow)", () => {
  it('finds what reaches past the screen, but not inside a box that scrolls on purpose or text hidden for screen readers', async () => {
    await as(null, PHONE, async (page) => {
      const at320 = async (body: string) => {
        await page.setViewportSize(PHONE);
        await page.setContent(`<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>t</title></head><body>${body}</body></html>`);
        await page.setViewportSize({ width: 320, height: PHONE.height });
        return sidewaysOverflow(page, 320);
      };
      const long = 'x'.repeat(80);
      expect(await at320(`<p>fits</p>`)).toEqual([]);
      expect((await at320(`<table><tr><td>${long}</td></tr></table>`)).join(' | ')).toMatch(/^the document is \d+ px wide \| table reaches/);
      // a box 360 px wide (from the body's 8 px margin) in a box that clips it: the page does not scroll, yet it is cut off, so found
      expect((await at320(`<div style="overflow: hidden"><div style="width: 360px">${long}</div></div>`)).join(' | ')).toMatch(/div reaches 368 px/);
      expect(await at320(`<div style="overflow-x: auto"><table><tr><td>${long}</td></tr></table></div>`)).toEqual([]);
      expect(await at320(`<span style="position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0)">${long}</span>`)).toEqual([]);
    });
  });
});
