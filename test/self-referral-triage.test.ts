/**
 * The hub's triage list shows every open self-referral: the total, and pages (keyset, oldest
 * first) that reach each open item exactly once, forwards and back, with the NHS.UK pagination
 * markup; decided items are not in it, and an item decided while someone pages skips no other.
 */
import { HtmlValidate } from 'html-validate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../src/kernel/clock.js';
import { closeSelfReferral, submitSelfReferral, TRIAGE_PAGE_SIZE } from '../src/modules/self-referral/self-referral.service.js';
import type { SubmissionBody } from '../src/modules/intake/submission.schema.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { seedChecklist, submissionBody } from './helpers/factories.js';
import { WebClient, type WebResponse } from './helpers/web-client.js';

let ctx: TestContext;
let coordinator: WebUser;
const OPEN = 450;

beforeAll(async () => {
  ctx = await createTestContext();
  const q = await seedChecklist(ctx);
  coordinator = await makeWebUser(ctx, 'coordinator');
  const hub = { userId: coordinator.id, name: coordinator.name, role: 'coordinator' as const, agencyId: null };
  // 450 open and 30 closed; three received in each minute, so that many share a receipt time
  for (let i = 0; i < OPEN + 30; i++) {
    if (i % 3 === 0) ctx.clock.advance(HOUR / 60);
    const body = submissionBody(q, [q.questions[i % q.questions.length]!.id], { person: { familyName: `Triage${String(i).padStart(3, '0')}` } }) as SubmissionBody;
    const { reference } = await submitSelfReferral(ctx, { body, filledInBy: 'person', formKey: `triage-${i}-${ctx.ids.uuid()}` });
    if (i % 16 === 5) {
      const { id } = await ctx.db.selectFrom('selfReferrals').select('id').where('reference', '=', reference).executeTakeFirstOrThrow();
      await closeSelfReferral(ctx, hub, id, 'not_genuine', null);
    }
  }
}, 180_000);
afterAll(async () => {
  await ctx?.close();
});

/** The open items' references in the list's order, as the database holds them. */
const openInOrder = async () => (await ctx.db.selectFrom('selfReferrals').select('reference').where('status', '=', 'open').orderBy('receivedAt').orderBy('id').execute()).map((r) => r.reference);
const referencesOn = (page: WebResponse) => [...page.text.matchAll(/<a href="\/hub\/triage\/[0-9a-f-]{36}">(SP-[A-Z0-9-]+)<\/a>/g)].map((m) => m[1]!);
const link = (page: WebResponse, rel: 'next' | 'prev') => [...page.text.matchAll(/<a[^>]*href="([^"]+)"[^>]*rel="(next|prev)"/g)].find((m) => m[2] === rel)?.[1]?.replace(/&amp;/g, '&');

async function signedIn() {
  const c = new WebClient(ctx.baseUrl);
  expect((await c.signIn(coordinator.email, coordinator.password)).status).toBe(303);
  return c;
}

describe('the triage list', () => {
  it('shows the total and reaches every open item exactly once, in order, forwards and back', async () => {
    const expected = await openInOrder();
    expect(expected).toHaveLength(OPEN);
    const c = await signedIn();

    const forwards: string[] = [];
    const pages: WebResponse[] = [];
    let path: string | undefined = '/hub/triage';
    while (path) {
      const page = await c.get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain(`${OPEN} requests waiting`);
      const refs = referencesOn(page);
      expect(refs.length).toBeGreaterThan(0);
      expect(refs.length).toBeLessThanOrEqual(TRIAGE_PAGE_SIZE);
      expect(page.text).toContain(`oldest first: ${forwards.length + 1} to ${forwards.length + refs.length} of ${OPEN}`);
      forwards.push(...refs);
      pages.push(page);
      path = link(page, 'next');
      expect(pages.length).toBeLessThanOrEqual(Math.ceil(OPEN / TRIAGE_PAGE_SIZE));
    }
    expect(pages).toHaveLength(Math.ceil(OPEN / TRIAGE_PAGE_SIZE));
    expect(forwards).toEqual(expected);

    // the NHS.UK pagination component: a labelled landmark, previous and next with their ranges
    const middle = pages[1]!.text;
    expect(middle).toMatch(/<nav class="nhsuk-pagination"[^>]*aria-label="Pages of self-referrals"/);
    expect(middle).toMatch(/rel="prev"[\s\S]*?Requests 1 to 50/);
    expect(middle).toMatch(/rel="next"[\s\S]*?Requests 101 to 150/);
    const report = await new HtmlValidate({ extends: ['html-validate:standard'] }).validateString(middle);
    expect(report.results.flatMap((r) => r.messages.map((m) => `${m.ruleId} (line ${m.line}): ${m.message}`))).toEqual([]);
    expect(link(pages[0]!, 'prev')).toBeUndefined();
    expect(link(pages.at(-1)!, 'next')).toBeUndefined();

    // and back from the last page to the first
    const backwards: string[][] = [];
    path = link(pages.at(-1)!, 'prev');
    backwards.push(referencesOn(pages.at(-1)!));
    while (path) {
      const page = await c.get(path);
      expect(page.status).toBe(200);
      backwards.unshift(referencesOn(page));
      path = link(page, 'prev');
      expect(backwards.length).toBeLessThanOrEqual(Math.ceil(OPEN / TRIAGE_PAGE_SIZE));
    }
    expect(backwards.flat()).toEqual(expected);

    // every item shown is audited as seen in a list
    const seen = await ctx.db.selectFrom('auditLog').select('entityId').distinct().where('entity', '=', 'self_referral').where('action', '=', 'list').execute();
    expect(seen.length).toBe(OPEN);
  });

  it('skips nothing when items on a page already read are decided meanwhile', async () => {
    const expected = await openInOrder();
    const c = await signedIn();
    const first = await c.get('/hub/triage');
    const shown = referencesOn(first);
    // a colleague releases or closes five of the first page's items
    const hub = { userId: coordinator.id, name: coordinator.name, role: 'coordinator' as const, agencyId: null };
    for (const ref of shown.slice(0, 5)) {
      const { id } = await ctx.db.selectFrom('selfReferrals').select('id').where('reference', '=', ref).executeTakeFirstOrThrow();
      await closeSelfReferral(ctx, hub, id, 'duplicate', null);
    }
    const second = await c.get(link(first, 'next')!);
    expect(second.text).toContain(`${expected.length - 5} requests waiting`);
    expect(referencesOn(second)).toEqual(expected.slice(TRIAGE_PAGE_SIZE, 2 * TRIAGE_PAGE_SIZE));
  });

  it('answers 400 naming the link’s bad field', async () => {
    const c = await signedIn();
    const bad = await c.get('/hub/triage?after=not-an-id');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('&quot;after&quot; is not a self-referral');
    const unknown = await c.get(`/hub/triage?before=${ctx.ids.uuid()}`);
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('&quot;before&quot; is not a self-referral');
  });
});
