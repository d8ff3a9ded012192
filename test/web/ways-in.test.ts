/**
 * The public's ways in, numbers a phone can ring, and the pages a new user stumbled over (issue 25,
 * points 1, 2 and 12) in a real browser:
 *   - `/` and the sign-in page offer the self-referral form and the blank checklist, in the first
 *     screen of a phone;
 *   - the hub's number on the self-referral page, the person's number on the agency's referral
 *     page and on the coordinator's call page are tel: links;
 *   - the back link sits inside main (a landmark);
 *   - at 320 px, /hub/users and /hub/mail do not scroll sideways with a long email address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { apiClient } from '../helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from '../helpers/factories.js';
import { markForwarded } from '../helpers/referrals.js';
import { PHONE, launchBrowser, makeWebUser, screenshot, withPage, type WebUser } from '../helpers/browser.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';

let ctx: TestContext;
let browser: Browser;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let linkWorker: TestUser;
let referral: { id: string; followUpId: string };
const users = {} as Record<'agency' | 'coordinator' | 'admin', WebUser>;
// no hyphen or space: nothing a browser would break it at
const LONG_EMAIL = 'a.rather.long.name.for.a.person@countyfireandrescueservice.example.org';

beforeAll(async () => {
  [ctx, browser] = await Promise.all([createTestContext({ HUB_PHONE: '020 7946 0000' }), launchBrowser()]);
  q = await seedChecklist(ctx);
  linkWorker = await makeUser(ctx, 'link_worker');
  users.agency = await makeWebUser(ctx, 'agency', q.questions[0]!.agencyId);
  users.coordinator = await makeWebUser(ctx, 'coordinator');
  users.admin = await makeWebUser(ctx, 'admin');
  const res = await apiClient(ctx.baseUrl).post('/api/v1/submissions', linkWorker.token, submissionBody(q, [q.questions[0]!.id], { person: { familyName: 'Ringable', phone: '07700 900 123' } }));
  expect(res.status).toBe(201);
  const id = res.body.referrals[0].id as string;
  referral = { id, followUpId: (await markForwarded(ctx, id)).followUpId };
  // a long email address: an account's, and a mail's recipient that failed with a long error
  await createUserWithToken(ctx, { role: 'link_worker', name: 'Long address', email: LONG_EMAIL, agencyId: null, passwordHash: null });
  await ctx.db
    .insertInto('notifications')
    .values({ id: ctx.ids.uuid(), kind: 'test', dedupeKey: 'ways-in-long', referralId: null, submissionId: null, agencyId: null, recipient: LONG_EMAIL, subject: 'A referral', bodyText: 'text', bodyHtml: null, messageId: '<ways-in@signpost.test>', status: 'failed', lastError: 'Mail server refused: 550 5.1.1 mailbox.unavailable:theemailaccountthatyoutriedtoreachdoesnotexist', createdAt: ctx.clock.now(), sentAt: null })
    .execute();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ctx?.close();
});

const onPhone = <T>(user: WebUser | null, fn: (page: Page) => Promise<T>, width = PHONE.width): Promise<T> => withPage(browser, ctx.baseUrl, user, { width, height: PHONE.height }, fn);

describe('the ways in for people without an account', () => {
  it('/ lands on the sign-in page, which offers the self-referral form and the blank checklist in its first screen', async () => {
    await onPhone(null, async (page) => {
      await page.goto('/');
      expect(new URL(page.url()).pathname).toBe('/sign-in');
      const ask = page.getByRole('link', { name: 'Ask for help for yourself or someone you know' });
      const print = page.getByRole('link', { name: 'Print a blank checklist' });
      for (const link of [ask, print]) {
        const box = await link.boundingBox();
        expect(box, 'the link is on the page').not.toBeNull();
        expect(box!.y + box!.height, 'the link is in the first screen at 390 px').toBeLessThanOrEqual(PHONE.height);
      }
      await screenshot(page, 'ways-in-sign-in');
      await ask.click();
      await page.waitForURL(/\/self-referral$/);
      expect(await page.locator('h1').textContent()).toMatch(/help/i);
      await page.goto('/');
      await print.click();
      await page.waitForURL(/\/paper-checklist$/);
    });
  });
});

describe('every number a person might ring is a tel: link', () => {
  it("the hub's number on the public pages", async () => {
    await onPhone(null, async (page) => {
      for (const path of ['/self-referral', '/paper-checklist']) {
        await page.goto(path);
        const call = page.locator('main a[href="tel:02079460000"]');
        expect(await call.count(), `${path}: the hub's number as a link`).toBeGreaterThanOrEqual(1);
        expect((await call.first().textContent())?.trim()).toBe('020 7946 0000');
      }
      await page.goto('/self-referral');
      await screenshot(page, 'ways-in-self-referral-call');
    });
  });

  it("the person's number on the agency's referral page and the coordinator's call page", async () => {
    await onPhone(users.agency, async (page) => {
      await page.goto(`/agency/referrals/${referral.id}`);
      await expect.poll(() => page.locator('main a[href="tel:07700900123"]').textContent()).toBe('07700 900 123');
      await screenshot(page, 'ways-in-agency-referral-tel');
    });
    await onPhone(users.coordinator, async (page) => {
      await page.goto(`/hub/follow-ups/${referral.followUpId}`);
      expect(await page.locator('main a[href="tel:07700900123"]').textContent()).toBe('07700 900 123');
      // not yet due: the list of those to come
      await page.goto('/hub/follow-ups?state=upcoming');
      expect(await page.locator('main a[href="tel:07700900123"]').count()).toBeGreaterThanOrEqual(1);
      await page.goto(`/hub/follow-ups/${referral.followUpId}`);
      await screenshot(page, 'ways-in-hub-call-tel');
    });
  });
});

describe('the pages axe and a 320 px screen found fault with', () => {
  it('the back link is inside main', async () => {
    await onPhone(users.agency, async (page) => {
      await page.goto(`/agency/referrals/${referral.id}`);
      expect(await page.locator('main .nhsuk-back-link').count()).toBe(1);
      expect(await page.locator('.nhsuk-back-link').count()).toBe(1);
    });
  });

  it('/hub/users (its errors too) and /hub/mail do not scroll sideways at 320 px with a long email address', async () => {
    await onPhone(
      users.admin,
      async (page) => {
        for (const [path, name] of [['/hub/users', 'ways-in-hub-users-320'], ['/hub/mail', 'ways-in-hub-mail-320']] as const) {
          await page.goto(path);
          expect(await page.getByText(LONG_EMAIL).count(), `${path} shows the long address`).toBeGreaterThanOrEqual(1);
          // against the width set, not innerWidth: a mobile viewport widens itself to the content
          const scroll = (await page.evaluate('document.documentElement.scrollWidth')) as number;
          expect(scroll, `${path} at 320 px`).toBeLessThanOrEqual(320);
          await screenshot(page, name);
        }
        // the users page with the add form's errors
        await page.goto('/hub/users');
        await page.getByRole('button', { name: 'Add user' }).click();
        await page.waitForSelector('.nhsuk-error-summary');
        expect(await page.locator('.nhsuk-error-summary').getByRole('link', { name: 'Choose their role' }).count()).toBe(1);
        expect((await page.evaluate('document.documentElement.scrollWidth')) as number, '/hub/users with errors at 320 px').toBeLessThanOrEqual(320);
        await screenshot(page, 'ways-in-hub-users-errors-320');
      },
      320,
    );
  });
});
