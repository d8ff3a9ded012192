/**
 * One person across checklists, in a real browser: a link worker's second checklist for someone
 * already referred (the NHS number checked, the agency's live referral shown as already open),
 * the withdrawal of consent from the submission's page; a coordinator finding the person,
 * merging a likely duplicate, withdrawing consent from the person page and opening the printable
 * copy; an admin's legal hold, erasure and audit log. The pages' layout and accessibility are
 * audited in pages.test.ts; this file follows what each role does and what it leaves behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { apiClient } from '../helpers/api.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from '../helpers/factories.js';
import { randomNhsNumber, uniqueLetters } from '../helpers/people.js';
import { markForwarded } from '../helpers/referrals.js';
import { indexPersonSearchNames } from '../../src/modules/people/index.js';
import { PHONE, launchBrowser, makeWebUser, newContext, screenshot, signIn, type WebUser } from '../helpers/browser.js';

let ctx: TestContext;
let browser: Browser;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let linkWorker: WebUser;
let coordinator: WebUser;
let admin: WebUser;
let apiWorker: TestUser;
let apiCoordinator: TestUser;
const contexts: BrowserContext[] = [];

const FAMILY = `Quill-${uniqueLetters()}`;
const PERSON = { givenName: 'Winifred', familyName: FAMILY, dateOfBirth: '1938-03-09', postcode: 'SE1 7PB', phone: '020 7946 0456', preferredContact: 'phone' };

async function submit(person: object, yes: number[]) {
  const res = await apiClient(ctx.baseUrl).post('/api/v1/submissions', apiWorker.token, submissionBody(q, yes.map((i) => q.questions[i]!.id), { person }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; reference: string; personId: string; referrals: { id: string; reference: string; agencyId: string }[] };
}

async function signedIn(user: WebUser): Promise<Page> {
  const context = await newContext(browser, ctx.baseUrl, { viewport: PHONE, isMobile: true, hasTouch: true });
  contexts.push(context);
  const page = await context.newPage();
  await signIn(page, user);
  return page;
}

const referralStatus = async (id: string) => (await ctx.db.selectFrom('referrals').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

beforeAll(async () => {
  [ctx, browser] = await Promise.all([createTestContext(), launchBrowser()]);
  q = await seedChecklist(ctx);
  linkWorker = await makeWebUser(ctx, 'link_worker');
  coordinator = await makeWebUser(ctx, 'coordinator');
  admin = await makeWebUser(ctx, 'admin');
  apiWorker = await makeUser(ctx, 'link_worker');
  apiCoordinator = await makeUser(ctx, 'coordinator');
}, 120_000);
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await ctx?.close();
});

describe('one person, many checklists, in the browser', () => {
  let first: Awaited<ReturnType<typeof submit>>;
  let secondId: string;

  it("a link worker's second checklist joins the agency's live referral, and the page says so", { timeout: 120_000 }, async () => {
    // the fire service already has a live referral for her, from another link worker's checklist
    first = await submit(PERSON, [0]);
    await markForwarded(ctx, first.referrals[0]!.id);

    const page = await signedIn(linkWorker);
    await page.goto('/checklist');
    for (const section of q.sections) {
      const fire = section.questions.find((x) => x.id === q.questions[0]!.id);
      const advice = section.questions.find((x) => x.id === q.questions[15]!.id);
      for (const question of [fire, advice]) if (question) await page.locator(`input[name="s_${section.id}"][value="${question.id}"]`).check();
      if (!fire && !advice) await page.locator(`input[name="s_${section.id}"][value="none"]`).check();
    }
    await page.getByLabel('First name').fill(PERSON.givenName);
    await page.getByLabel('Last name').fill(PERSON.familyName);
    await page.getByLabel('Day', { exact: true }).fill('9');
    await page.getByLabel('Month').fill('3');
    await page.getByLabel('Year').fill('1938');
    await page.getByLabel('Postcode').fill('se1 7pb');
    await page.getByLabel('Phone number (optional)').fill('020 7946 0789');
    await page.getByRole('radio', { name: 'Phone' }).check();
    await page.getByRole('radio', { name: 'The person' }).check();
    await page.getByLabel('They agree to be referred, and to their details being shared with these agencies').check();

    // an NHS number whose check digit does not match: named, and nothing sent
    const nhs = randomNhsNumber();
    const wrong = nhs.slice(0, 9) + String((Number(nhs[9]) + 1) % 10);
    await page.getByLabel('NHS number (optional)').fill(wrong);
    await page.getByRole('button', { name: 'Send checklist' }).click();
    await page.waitForSelector('.nhsuk-error-summary');
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Check the NHS number');
    expect(await page.getByLabel('NHS number (optional)').inputValue()).toBe(wrong);
    await page.getByLabel('NHS number (optional)').fill(`${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`);
    await page.getByRole('button', { name: 'Send checklist' }).click();
    await page.waitForURL(/\/submissions\/[0-9a-f-]+\?sent=1/);
    secondId = new URL(page.url()).pathname.split('/')[2]!;

    // the fire service's referral is listed as already open; only the advice team's is new
    const open = await page.locator('#already-open').innerText();
    expect(open).toContain(first.referrals[0]!.reference);
    const own = await ctx.db.selectFrom('referrals').select('agencyId').where('submissionId', '=', secondId).execute();
    expect(own.map((r) => r.agencyId)).toEqual([q.questions[15]!.agencyId]);
    const second = await ctx.db.selectFrom('submissions').select('personId').where('id', '=', secondId).executeTakeFirstOrThrow();
    expect(second.personId).toBe(first.personId);
    const person = await ctx.db.selectFrom('people').select(['nhsNumber', 'phone']).where('id', '=', first.personId).executeTakeFirstOrThrow();
    expect(person).toEqual({ nhsNumber: nhs, phone: '020 7946 0789' });
  });

  it('the link worker records, from the submission page, that she withdrew consent for the advice team', { timeout: 120_000 }, async () => {
    const page = await signedIn(linkWorker);
    await page.goto(`/submissions/${secondId}`);
    await page.getByText('Record that they withdrew their consent').click();
    const advice = await ctx.db.selectFrom('referrals').select(['id', 'reference']).where('submissionId', '=', secondId).executeTakeFirstOrThrow();
    const fireAgencyName = (await ctx.db.selectFrom('agencies').select('name').where('id', '=', q.questions[0]!.agencyId).executeTakeFirstOrThrow()).name;
    const adviceAgencyName = (await ctx.db.selectFrom('agencies').select('name').where('id', '=', q.questions[15]!.agencyId).executeTakeFirstOrThrow()).name;
    // both live referrals are offered, the earlier checklist's included
    await expect.poll(() => page.locator('#withdraw-form').innerText()).toContain(fireAgencyName);
    // nothing chosen, and a date in the future: both named
    await page.locator('input[name="scope"][value="all"]').uncheck();
    await page.locator('#withdraw-when').fill('1');
    await page.locator('#withdraw-when-month').fill('1');
    await page.locator('#withdraw-when-year').fill('2099');
    await page.getByRole('button', { name: 'Withdraw consent' }).click();
    await page.waitForSelector('.nhsuk-error-summary');
    const summary = await page.locator('.nhsuk-error-summary').innerText();
    expect(summary).toMatch(/agenc/i);
    expect(summary).toContain('must be now or in the past');
    expect(await referralStatus(advice.id)).not.toBe('cancelled');

    // the form again as first shown (today, every agency), then only the advice team
    await page.goto(`/submissions/${secondId}`);
    await page.getByText('Record that they withdrew their consent').click();
    await page.locator('input[name="scope"][value="all"]').uncheck();
    await page.getByRole('checkbox', { name: adviceAgencyName }).check();
    await page.getByRole('button', { name: 'Withdraw consent' }).click();
    await page.waitForURL(/done=withdrawn/);
    expect(await page.locator('#withdrawal-done').innerText()).toContain(advice.reference);
    expect(await referralStatus(advice.id)).toBe('cancelled');
    // the fire service's referral, out of scope, is live still
    expect(await referralStatus(first.referrals[0]!.id)).toBe('forwarded');
  });

  it('a coordinator finds her by name, sees both checklists, merges a likely duplicate, and withdraws the rest', { timeout: 120_000 }, async () => {
    // a third checklist with a typo in her family name: a new record, flagged as a likely duplicate
    const typo = await submit({ ...PERSON, familyName: `${FAMILY}e` }, [3]);
    expect(typo.personId).not.toBe(first.personId);

    const page = await signedIn(coordinator);
    await page.goto('/hub/people');
    await page.getByLabel('Find a person').fill(FAMILY);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForSelector('#results');
    // the search is a POST: the name is not in the address
    expect(page.url()).not.toContain(FAMILY);
    await page.getByRole('link', { name: `Winifred ${FAMILY}`, exact: true }).click();
    await page.waitForURL(new RegExp(`/hub/people/${first.personId}$`));
    expect(await page.locator('#checklists').innerText()).toBe('Checklists (2)');
    expect(await page.locator('main').innerText()).toContain('may be the same person as 1 other record');

    await page.getByRole('link', { name: 'compare and decide' }).click();
    await page.waitForURL(/\/hub\/people\/matches$/);
    await page.getByRole('button', { name: 'Same person: merge' }).click();
    await page.waitForURL(/done=merged/);
    expect(await page.locator('main').innerText()).toContain('There are no possible duplicates to check.');
    const merged = await ctx.db.selectFrom('people').select('mergedInto').where('id', '=', typo.personId).executeTakeFirstOrThrow();
    expect(merged.mergedInto).toBe(first.personId);

    await page.goto(`/hub/people/${first.personId}`);
    expect(await page.locator('#checklists').innerText()).toBe('Checklists (3)');
    // every agency: the two live referrals left are cancelled
    await page.getByText('Record that they withdrew their consent').click();
    await page.getByRole('checkbox', { name: 'Every agency' }).check();
    await page.getByLabel('What they said (optional)').fill('Does not want any more calls');
    await page.getByRole('button', { name: 'Withdraw consent' }).click();
    await page.waitForURL(/done=withdrawn/);
    const done = await page.locator('#withdrawal-done').innerText();
    expect(done).toContain(first.referrals[0]!.reference);
    expect(await referralStatus(first.referrals[0]!.id)).toBe('cancelled');
    expect(await referralStatus(typo.referrals[0]!.id)).toBe('cancelled');
    expect(await page.locator('#withdrawals').locator('xpath=following-sibling::ul[1]').innerText()).toContain('Does not want any more calls');

    // the printable copy: everything held, and the reads of it recorded
    await page.getByRole('link', { name: 'Open a printable copy' }).click();
    await page.waitForURL(/\/export$/);
    const copy = await page.locator('main').innerText();
    expect(copy).toContain(FAMILY);
    expect(copy).toContain(first.reference);
    const exports = await ctx.db.selectFrom('auditLog').select('action').where('personId', '=', first.personId).where('action', '=', 'person.export').execute();
    expect(exports).toHaveLength(1);
    // a coordinator has no audit page and no erasure
    expect((await page.goto('/hub/audit'))!.status()).toBe(403);
    const erase = await page.request.post(`/hub/people/${first.personId}/erase`, { form: { reason: 'test' } });
    expect(erase.status()).toBe(403);
  });

  it("an admin's legal hold stops erasure; lifted, the details are erased; the audit log shows who saw her", { timeout: 120_000 }, async () => {
    const page = await signedIn(admin);
    await page.goto(`/hub/people/${first.personId}`);
    await page.getByLabel('Why the hold is set').fill('An open complaint');
    await page.getByRole('button', { name: 'Set a legal hold' }).click();
    await page.waitForURL(/done=hold/);
    await page.getByLabel('Why their details are erased').fill('She asked for erasure by letter');
    await page.getByRole('button', { name: 'Erase their details' }).click();
    await page.waitForSelector('.nhsuk-error-summary');
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('A legal hold is set');
    expect((await ctx.db.selectFrom('people').select('erasedAt').where('id', '=', first.personId).executeTakeFirstOrThrow()).erasedAt).toBeNull();

    await page.getByRole('button', { name: 'Lift the legal hold' }).click();
    await page.waitForURL(/done=unhold/);
    await page.getByLabel('Why their details are erased').fill('She asked for erasure by letter');
    await page.getByRole('button', { name: 'Erase their details' }).click();
    await page.waitForURL(/done=erased/);
    expect(await page.locator('h1').innerText()).toBe('Details erased');
    expect(await page.locator('main').innerText()).not.toContain(FAMILY);
    // what was erased says so, not "Not given"
    const details = await page.locator('#details + dl').innerText();
    expect(details).toMatch(/Name\s+Erased/);
    expect(details).toMatch(/Phone\s+Erased/);
    expect(details).not.toContain('Not given');
    await screenshot(page, 'hub-person-erased-words');
    const row = await ctx.db.selectFrom('people').select(['familyName', 'phone', 'dateOfBirth', 'nhsNumber']).where('id', '=', first.personId).executeTakeFirstOrThrow();
    expect(row).toEqual({ familyName: null, phone: null, dateOfBirth: null, nhsNumber: null });

    // the audit log, for this person: the coordinator's export and the link worker's reads among it
    await page.getByRole('link', { name: 'the whole audit log for this person' }).click();
    await page.waitForURL(/\/hub\/audit\?personId=/);
    const log = await page.locator('main').innerText();
    expect(log).toContain(coordinator.name);
    expect(log).toContain(linkWorker.name);
    expect(log).toContain('Exported everything held');
    // a bad filter is named, not a 500
    await page.goto('/hub/audit?personId=not-an-id');
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain("person record's id");
  });
});

describe("the person's page, as the hub reads it", () => {
  it('finds Margaret typed "Margret", names the paper referrer, says why a referral waits, and prints answers in checklist order and words', { timeout: 120_000 }, async () => {
    const family = `Ashdown${uniqueLetters()}`;
    const organisation = await ctx.db.selectFrom('organisations').select(['id', 'name']).orderBy('name').executeTakeFirstOrThrow();
    // a checklist the hub took by phone from a named referrer, keyed in by a coordinator
    const res = await apiClient(ctx.baseUrl).post('/api/v1/submissions', apiCoordinator.token, {
      ...submissionBody(q, [q.questions[2]!.id, q.questions[0]!.id], { person: { givenName: 'Margaret', familyName: family, preferredContact: 'phone', phone: '020 7946 0111' } }),
      channel: 'phone',
      receivedAt: ctx.clock.now().toISOString(),
      referrer: { organisationId: organisation.id, name: 'PC Sam Patel' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const personId = res.body.personId as string;
    // the workers' name indexer, as it runs a second or two after the checklist
    await indexPersonSearchNames(ctx);

    const page = await signedIn(coordinator);
    await page.goto('/hub/people');
    // a letter missing from her given name, and one changed in her family name
    const typo = `${family.slice(0, -1)}${family.endsWith('a') ? 'e' : 'a'}`;
    await page.getByLabel('Find a person').fill(`Margret ${typo}`);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForSelector('#results');
    await page.getByRole('link', { name: `Margaret ${family}`, exact: true }).click();
    await page.waitForURL(new RegExp(`/hub/people/${personId}$`));

    // the referrer, not the coordinator who keyed it in
    const checklists = await page.locator('#checklists + table').innerText();
    expect(checklists).toContain(`PC Sam Patel, ${organisation.name} (by phone, entered by ${apiCoordinator.name})`);
    // a referral not yet sent says why it waits
    const timeline = await page.locator('#timeline ~ *').first().innerText();
    expect(timeline).toContain('Checklist received from PC Sam Patel');
    expect(timeline).toMatch(/made, waiting to be sent \(the hub promised to send it to the agency by \w+ \d+ \w+ \d{4}\)/);
    await screenshot(page, 'hub-person-phone-referrer');

    // the printable copy: answers in the checklist's order, codes in words
    await page.getByRole('link', { name: 'Open a printable copy' }).click();
    await page.waitForURL(/\/export$/);
    const asked = await page.locator('dt', { hasText: /^Question$/ }).evaluateAll((dts) => dts.map((dt) => dt.nextElementSibling?.textContent?.trim() ?? ''));
    expect(asked).toEqual(q.questions.map((x) => x.text));
    const copy = await page.locator('main').innerText();
    expect(copy).not.toMatch(/\b[a-z]+_[a-z_]+\b/);
    expect(copy).toMatch(/Prefers to be contacted|Preferred contact\s+By phone/);
    expect(copy).toContain('Hub coordinator');
    await screenshot(page, 'hub-person-export-words');
  });
});
