/**
 * The report pages through HTTP on real data: checklists received in March and April 2026
 * (the clock set), forwarded, contacted, completed and followed up through the services and the
 * API, then read back from the hub's reports page, the quarterly return and each agency's
 * performance page: the figures, the previous period beside them, small-number suppression on
 * the agency's page, the ONS4 wellbeing change (the hub's only, its scores withheld below the
 * small-number threshold), who may open which page, and bad periods.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../src/kernel/clock.js';
import type { TestContext } from './helpers/context.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { markForwarded, moveThrough } from './helpers/referrals.js';
import { releaseSelfReferral, submitSelfReferral } from '../src/modules/self-referral/self-referral.service.js';
import type { SubmissionBody } from '../src/modules/intake/submission.schema.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let fire: string;
let falls: string;
const web = {} as Record<'hub' | 'fire' | 'falls' | 'linkWorker', WebClient>;

async function submit(yes: number[], over: Record<string, unknown> = {}) {
  const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, yes.map((i) => q.questions[i]!.id), over));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; referrals: { id: string; agencyId: string }[] };
}

async function signedIn(role: 'coordinator' | 'link_worker' | 'agency', agencyId?: string) {
  const u: WebUser = await makeWebUser(ctx, role, agencyId);
  const c = new WebClient(ctx.baseUrl);
  const res = await c.signIn(u.email, u.password);
  expect(res.status).toBe(303);
  return c;
}

/** The rows of one figure of a page (its table's cells as text, the phone layout's labels left out). */
function rowsOf(page: string, id: string): string[][] {
  const start = page.indexOf(`<div class="sp-figure" id="${id}">`);
  expect(start, `figure ${id}`).toBeGreaterThan(-1);
  const body = page.slice(start, page.indexOf('</table>', start));
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].slice(1).map((row) =>
    [...row[1]!.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) =>
      c[1]!
        .replace(/<span class="nhsuk-table__heading"[^>]*>[\s\S]*?<\/span>/g, '')
        .replace(/<[^>]+>/g, '')
        .replace(/&lt;/g, '<')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}
const row = (page: string, id: string, first: string) => rowsOf(page, id).find((r) => r[0] === first);
/** Text as the page escapes it. */
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator' }));
  fire = q.questions[0]!.agencyId;
  falls = q.questions[3]!.agencyId;
  expect(falls).not.toBe(fire);

  // October 2025: ONS4 asked at the checklist and at the hub's call, five people referred to the
  // fire service and one to falls prevention (a month of its own, so the figures below stay as they are)
  ctx.clock.set('2025-10-06T10:00:00Z');
  const asked: { s: Awaited<ReturnType<typeof submit>>; after: number }[] = [];
  for (const [yes, before, after] of [[0, 4, 7], [0, 5, 6], [0, 6, 6], [0, 3, 8], [0, 7, 5], [3, 2, 9]] as const) {
    asked.push({ s: await submit([yes], { wellbeing: { lifeSatisfaction: before } }), after });
  }
  ctx.clock.advance(HOUR);
  for (const { s } of asked) await markForwarded(ctx, s.referrals[0]!.id);
  ctx.clock.advance(15 * 24 * HOUR);
  for (const { s, after } of asked) {
    const f = await ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', s.id).executeTakeFirstOrThrow();
    const call = await api.post(`/api/v1/follow-ups/${f.id}`, coordinator.token, { contactMade: true, outcomes: [{ referralId: s.referrals[0]!.id, needsMet: 'yes' }], wellbeing: { lifeSatisfaction: after } });
    expect(call.status, JSON.stringify(call.body)).toBe(200);
  }

  // March 2026 (the previous period): two checklists, one referral each to the fire service
  ctx.clock.set('2026-03-10T10:00:00Z');
  for (const s of [await submit([0]), await submit([0])]) await markForwarded(ctx, s.referrals[0]!.id);

  // April 2026: three to the fire service, two to falls prevention, one with no needs
  ctx.clock.set('2026-04-07T09:00:00Z');
  const fireRefs: string[] = [];
  for (let i = 0; i < 3; i++) fireRefs.push((await submit([0])).referrals[0]!.id);
  const fallsRefs = [(await submit([3])).referrals[0]!.id, (await submit([3])).referrals[0]!.id];
  await submit([]);
  ctx.clock.advance(HOUR);
  for (const id of [...fireRefs, ...fallsRefs]) await markForwarded(ctx, id);
  // the fire service contacts all three within a day and completes them
  ctx.clock.advance(20 * HOUR);
  for (const id of fireRefs) await moveThrough(api, coordinator.token, id, [{ to: 'contacted', note: 'Visit booked' }, { to: 'completed', outcome: 'service_provided' }]);

  ctx.clock.set('2026-05-20T09:00:00Z');
  web.hub = await signedIn('coordinator');
  web.fire = await signedIn('agency', fire);
  web.falls = await signedIn('agency', falls);
  web.linkWorker = await signedIn('link_worker');
}, 120_000);
afterAll(async () => ctx?.close());

describe("the hub's reports page", () => {
  it('shows the period beside the previous one, with the change, and each section as a table', async () => {
    const res = await web.hub.get('/hub/reports?from=2026-04-01&to=2026-04-30');
    expect(res.status).toBe(200);
    expect(row(res.text, 'headline', 'Checklists received')).toEqual(['Checklists received', '6', '2', '4 more (up 200%)']);
    expect(row(res.text, 'headline', 'Checklists with no needs identified')).toEqual(['Checklists with no needs identified', '1', '0', '1 more']);
    expect(row(res.text, 'headline', 'Referrals made')).toEqual(['Referrals made', '5', '2', '3 more (up 150%)']);
    const fireName = rowsOf(res.text, 'by-agency').find((r) => r[1] === '3')![0]!;
    expect(row(res.text, 'by-agency', fireName)!.slice(1, 4)).toEqual(['3', '2', '1 more (up 50%)']);
    // every forward within its 24 hours; the fire service's contacts all on time
    expect(row(res.text, 'clocks-forward', fireName)!.slice(1, 4)).toEqual(['3', '3', '0']);
    expect(row(res.text, 'clocks-forward', fireName)![6]).toBe('100%');
    expect(row(res.text, 'clocks-contact', fireName)![6]).toBe('100%');
    expect(row(res.text, 'outcomes-by-agency', fireName)?.[2]).toBe('3');
    expect(res.text).toContain('<div class="sp-chart" role="img"');
    // the period's own links: the return and the CSV of the same days
    expect(res.text).toContain('href="/hub/reports/return?from=2026-04-01&amp;to=2026-04-30"');
    expect(res.text).toContain('href="/hub/reports/referrals.csv?from=2026-04-01&amp;to=2026-04-30"');
  });

  it('reads the date fields as well as a preset link, filters by agency, and refuses a bad period with 400', async () => {
    const typed = await web.hub.get(`/hub/reports?from%5Bday%5D=1&from%5Bmonth%5D=4&from%5Byear%5D=2026&to%5Bday%5D=30&to%5Bmonth%5D=4&to%5Byear%5D=2026&agencyId=${falls}&organisationId=`);
    expect(typed.status).toBe(200);
    expect(row(typed.text, 'headline', 'Referrals made')?.[1]).toBe('2');
    for (const bad of ['/hub/reports?from=2026-04-31&to=2026-05-01', '/hub/reports?from=2026-05-01&to=2026-04-01', '/hub/reports?from%5Bday%5D=x&to=2026-04-01', '/hub/reports?from=2026-04-01&to=2026-04-30&agencyId=nope']) {
      const res = await web.hub.get(bad);
      expect(res.status, bad).toBe(400);
      expect(res.text, bad).toContain('nhsuk-error-summary');
    }
    const long = await web.hub.get('/hub/reports?from=2020-01-01&to=2026-04-30');
    expect(long.status).toBe(400);
    expect(long.text).toContain('Choose a period of at most 1830 days');
    expect((await web.hub.get('/hub/reports?from=2026-04-01&to=2026-04-30&agencyId=00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('prints a one-page quarterly return of the same figures', async () => {
    const res = await web.hub.get('/hub/reports/return?from=2026-04-01&to=2026-06-30');
    expect(res.status).toBe(200);
    // the return leaves the hub: 2 referrals before shows as <5, and the change would give it away
    expect(row(res.text, 'headline', 'Referrals made')).toEqual(['Referrals made', '5', '<5', 'fewer than 5']);
    expect(rowsOf(res.text, 'clocks-by-agency').map((r) => r[0])).toContain('Every agency');
    expect(res.text).toContain('class="sp-return"');
    expect(res.text).not.toContain('sp-chart');
    expect((await web.hub.get('/hub/reports/return?from=2026-13-01&to=2026-06-30')).status).toBe(400);
  });

  it('shows the wellbeing change to the hub, withholding the scores of fewer than 5 people, on the page and in the return alike', async () => {
    const hidden = 'fewer than 5';
    // six people: the means, and how many were better, the same and worse
    const all = await web.hub.get('/hub/reports?from=2025-10-01&to=2025-10-31');
    expect(all.status).toBe(200);
    expect(all.text).toContain('Wellbeing change (ONS4)');
    // 4->7, 5->6, 6->6, 3->8, 7->5, 2->9
    expect(row(all.text, 'wellbeing-change', 'Life satisfaction')).toEqual(['Life satisfaction', '6', '4.5', '6.8', '2.3', '4', '1', '1']);
    const printedAll = await web.hub.get('/hub/reports/return?from=2025-10-01&to=2025-10-31');
    // the return leaves the hub: the same means, the counts under 5 held back
    expect(row(printedAll.text, 'wellbeing-change', 'Life satisfaction')).toEqual(['Life satisfaction', '6', '4.5', '6.8', '2.3', '<5', '<5', '<5']);
    // one person, by filtering on falls prevention: how many, and nothing of their scores
    for (const path of [`/hub/reports?from=2025-10-01&to=2025-10-31&agencyId=${falls}`, `/hub/reports/return?from=2025-10-01&to=2025-10-31&agencyId=${falls}`]) {
      const one = await web.hub.get(path);
      expect(one.status, path).toBe(200);
      expect(row(one.text, 'wellbeing-change', 'Life satisfaction'), path).toEqual(['Life satisfaction', path.includes('/return') ? '<5' : '1', hidden, hidden, hidden, hidden, hidden, hidden]);
      expect(rowsOf(one.text, 'wellbeing-change').flat().join(' '), path).not.toMatch(/\b[29]\.0\b|\b7\.0\b/);
    }
  });

  it('shows self-referrals as a line of their own, apart from the checklists with no organisation recorded, on the page and the return', async () => {
    // July 2025, a quarter of its own: five self-referrals released by the hub (one with a "yes"
    // to the fire service) and two checklists from a link worker with no organisation
    const now = ctx.clock.now();
    ctx.clock.set('2025-07-08T10:00:00Z');
    const hub = { userId: coordinator.id, name: coordinator.name, role: coordinator.role, agencyId: null };
    for (const yes of [[0], [], [], [], []]) {
      const body = () => submissionBody(q, yes.map((i) => q.questions[i]!.id)) as SubmissionBody;
      const sent = await submitSelfReferral(ctx, { body: body(), filledInBy: 'person', formKey: `pages-self-${crypto.randomUUID()}` });
      const item = await ctx.db.selectFrom('selfReferrals').select('id').where('reference', '=', sent.reference).executeTakeFirstOrThrow();
      await releaseSelfReferral(ctx, hub, item.id, body(), null);
    }
    await submit([3]);
    await submit([]);
    ctx.clock.set(now);

    const page = await web.hub.get('/hub/reports?from=2025-07-01&to=2025-07-31');
    expect(page.status).toBe(200);
    expect(rowsOf(page.text, 'by-organisation-type').map((r) => r.slice(0, 3))).toEqual([
      ['Self-referral', '5', '1'],
      ['No organisation recorded', '2', '1'],
    ]);
    expect(rowsOf(page.text, 'by-organisation')).toEqual([
      ['Self-referral', 'Self-referral', '5', '1'],
      ['No organisation recorded', 'No organisation recorded', '2', '1'],
    ]);
    // the return leaves the hub: 2 is held back, 5 is not
    const printed = await web.hub.get('/hub/reports/return?from=2025-07-01&to=2025-09-30');
    expect(printed.status).toBe(200);
    expect(rowsOf(printed.text, 'by-organisation-type').map((r) => r.slice(0, 3))).toEqual([
      ['Self-referral', '5', '<5'],
      ['No organisation recorded', '<5', '<5'],
    ]);
  });

  it('is the hub’s only', async () => {
    for (const c of [web.fire, web.linkWorker]) {
      for (const path of ['/hub/reports?from=2026-04-01&to=2026-04-30', '/hub/reports/return?from=2026-04-01&to=2026-06-30', `/hub/agencies/${falls}/performance`]) expect((await c.get(path)).status, path).toBe(403);
    }
  });
});

describe("an agency's performance page", () => {
  it('shows its figures beside every agency’s, small numbers held back: 3 as <5, 5 as 5', async () => {
    const res = await web.fire.get('/agency/performance?from=2026-04-01&to=2026-04-30');
    expect(res.status).toBe(200);
    expect(row(res.text, 'referrals', 'Referrals')).toEqual(['Referrals', '<5', '5']);
    expect(row(res.text, 'clock-forward', 'On-time rate')).toEqual(['On-time rate', 'fewer than 5', '100%']);
    expect(row(res.text, 'clock-forward', 'Done on time')).toEqual(['Done on time', '<5', '5']);
    expect(row(res.text, 'outcomes', 'Service provided')?.slice(1)).toEqual(['<5', '<5']);
    expect(res.text).toContain('href="/agency/performance"');
    // no count from 1 to 4 anywhere in its tables
    for (const id of ['referrals', 'clock-forward', 'clock-contact', 'clock-follow-up', 'outcomes', 'needs-met']) {
      for (const r of rowsOf(res.text, id)) for (const cell of r.slice(1)) expect(cell, `${id}: ${r[0]}`).not.toMatch(/^[1-4]$/);
    }
  });

  it('never shows wellbeing, not even in a month when the hub’s report does', async () => {
    const hub = await web.hub.get('/hub/reports?from=2025-10-01&to=2025-10-31');
    expect(row(hub.text, 'wellbeing-change', 'Life satisfaction')?.[1]).toBe('6');
    for (const [c, path] of [
      [web.fire, '/agency/performance?from=2025-10-01&to=2025-10-31'],
      [web.falls, '/agency/performance?from=2025-10-01&to=2025-10-31'],
      [web.hub, `/hub/agencies/${fire}/performance?from=2025-10-01&to=2025-10-31`],
    ] as const) {
      const res = await c.get(path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).not.toMatch(/wellbeing|ONS4|Life satisfaction|Mean before/i);
      expect(res.text, path).not.toContain('id="wellbeing-change"');
    }
    // the page has the agency's figures of that month, so the absence above means something
    const fireOctober = await web.fire.get('/agency/performance?from=2025-10-01&to=2025-10-31');
    expect(row(fireOctober.text, 'referrals', 'Referrals')?.[1]).toBe('5');
  });

  it('is its own agency’s only; coordinators open any agency’s', async () => {
    const own = await web.falls.get(`/agency/performance?from=2026-04-01&to=2026-04-30&agencyId=${fire}`);
    expect(own.status).toBe(200);
    expect(row(own.text, 'referrals', 'Referrals')).toEqual(['Referrals', '<5', '5']);
    const fireName = (await ctx.db.selectFrom('agencies').select('name').where('id', '=', fire).executeTakeFirstOrThrow()).name;
    const fallsName = (await ctx.db.selectFrom('agencies').select('name').where('id', '=', falls).executeTakeFirstOrThrow()).name;
    expect(own.text).toContain(html(fallsName));
    expect(own.text).not.toContain(html(fireName));
    const hub = await web.hub.get(`/hub/agencies/${fire}/performance?from=2026-04-01&to=2026-04-30`);
    expect(hub.status).toBe(200);
    expect(hub.text).toContain(`<h1>${html(fireName)}: performance</h1>`);
    expect(row(hub.text, 'referrals', 'Referrals')).toEqual(['Referrals', '<5', '5']);
    expect((await web.hub.get('/hub/agencies/00000000-0000-4000-8000-000000000000/performance')).status).toBe(404);
    expect((await web.hub.get('/agency/performance')).status).toBe(403);
    expect((await web.linkWorker.get('/agency/performance')).status).toBe(403);
  });

  it('refuses a bad period with 400 and names what is wrong', async () => {
    const res = await web.fire.get('/agency/performance?from=2026-05-01&to=2026-04-01');
    expect(res.status).toBe(400);
    expect(res.text).toContain('The last day must be the same as the first day or after it');
    // real days in order, but longer than a report covers: a 400 on the form, not a 500
    for (const path of ['/agency/performance?from=2015-01-01&to=2026-04-30', `/hub/agencies/${fire}/performance?from=2015-01-01&to=2026-04-30`]) {
      const long = await (path.startsWith('/agency') ? web.fire : web.hub).get(path);
      expect(long.status, path).toBe(400);
      expect(long.text, path).toContain('Choose a period of at most');
    }
  });
});
