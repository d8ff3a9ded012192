/**
 * The "still accepting?" link in an agency's reminder mail (issue 19, point 11): a coordinator
 * stops every link sent so far from the agency's page (audited, at once, a write already under
 * way included); the links stop when the agency gets a staff account, and do not come back when
 * the account is disabled; "closed until" is at most CAPACITY_CLOSED_MAX_DAYS (365) ahead, on
 * the API, the signed-in page and the link's page. Real Postgres; time by the ManualClock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../src/kernel/clock.js';
import { writeCapacity } from '../src/modules/capacity/capacity.repository.js';
import { capacityLinkFor, capacityLinkScope, revokeCapacityLinks } from '../src/modules/capacity/capacity-link.js';
import { setAgencyCapacity } from '../src/modules/capacity/capacity.service.js';
import { setPassword } from '../src/modules/accounts/password.service.js';
import { disableUser } from '../src/modules/accounts/user.service.js';
import { sendContactReminders } from '../src/modules/sla/reminder.service.js';
import { makeWebUser } from './helpers/browser.js';
import { makeUser, type TestUser } from './helpers/factories.js';
import { forward, submit } from './helpers/sla-fixtures.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import type { TestContext } from './helpers/context.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let coordinator: TestUser;
let admin: TestUser;
let worker: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, coordinator, admin, worker } = await createWorld({ coordinator: 'coordinator', admin: 'admin', worker: 'link_worker' }));
});
afterAll(async () => ctx?.close());

/** The agencies of the checklist's questions, one per test, none with a staff account yet. */
const agencyIds = () => [...new Set(q.questions.map((x) => x.agencyId))];
const linkOf = async (agencyId: string) => new URL(await capacityLinkFor(ctx.db, ctx.env, agencyId, ctx.clock.now())).pathname;
const changesOf = async (agencyId: string) => (await ctx.db.selectFrom('agencyCapacityChanges').select('id').where('agencyId', '=', agencyId).execute()).length;
const day = (days: number) => new Date(ctx.clock.now().getTime() + days * DAY).toISOString().slice(0, 10);
const dateFields = (iso: string) => {
  const [y, m, d] = iso.split('-');
  return { 'closedUntil[day]': String(Number(d)), 'closedUntil[month]': String(Number(m)), 'closedUntil[year]': y! };
};

async function hubClient() {
  const user = await makeWebUser(ctx, 'coordinator');
  const c = new WebClient(ctx.baseUrl);
  expect((await c.signIn(user.email, user.password)).status).toBe(303);
  return { c, user };
}

describe('a coordinator stops an agency’s links', () => {
  it('from the agency’s capacity page: every link sent so far stops at once, audited; a new one works', async () => {
    const agencyId = agencyIds()[0]!;
    const link = await linkOf(agencyId);
    const web = new WebClient(ctx.baseUrl);
    const page = await web.get(link);
    expect(page.status).toBe(200);
    const linkCsrf = WebClient.csrfOf(page.text);

    const { c, user } = await hubClient();
    const hubPage = await c.get(`/hub/agencies/${agencyId}/capacity`);
    expect(hubPage.text).toContain('Links in reminder mails');
    expect(hubPage.text).toContain('Stop every link sent so far');
    const stopped = await c.post(`/hub/agencies/${agencyId}/capacity/revoke-links`, { _csrf: WebClient.csrfOf(hubPage.text) });
    expect(stopped.status).toBe(303);
    expect(stopped.location).toBe(`/hub/agencies/${agencyId}/capacity?done=links-stopped`);
    const after = await c.get(stopped.location!);
    expect(after.text).toContain('Links stopped.');
    expect(after.text).toContain('Links were last stopped on');

    // the link, read and written, with the token its page gave before: refused, nothing changes
    const before = await changesOf(agencyId);
    for (const res of [await web.get(link), await web.post(`${link}/confirm`, { _csrf: linkCsrf }), await web.post(link, { _csrf: linkCsrf, status: 'waiting_list', waitWeeks: '3' })]) {
      expect(res.status).toBe(404);
      expect(res.text).toContain('This link no longer works');
    }
    expect(await changesOf(agencyId)).toBe(before);

    const audit = await ctx.db.selectFrom('auditLog').selectAll().where('action', '=', 'capacity_link.revoke').where('entityId', '=', agencyId).execute();
    expect(audit.map((a) => [a.actorUserId, a.entity])).toEqual([[user.id, 'agency']]);
    const row = await ctx.db.selectFrom('agencies').select(['capacityLinkGeneration', 'capacityLinksRevokedAt']).where('id', '=', agencyId).executeTakeFirstOrThrow();
    expect(row).toEqual({ capacityLinkGeneration: 1, capacityLinksRevokedAt: ctx.clock.now() });

    // the next reminder's link works, and confirms
    const fresh = await linkOf(agencyId);
    expect(fresh).not.toBe(link);
    const freshPage = await web.get(fresh);
    expect(freshPage.status).toBe(200);
    expect((await web.post(`${fresh}/confirm`, { _csrf: WebClient.csrfOf(freshPage.text) })).status).toBe(303);
    expect(await changesOf(agencyId)).toBe(before + 1);
  });

  it('is the hub’s control only: an agency’s staff and a link worker are refused', async () => {
    const agencyId = agencyIds()[1]!;
    const link = await linkOf(agencyId);
    for (const who of [
      { ...(await makeWebUser(ctx, 'link_worker')), home: '/checklist' },
      { ...(await makeWebUser(ctx, 'agency', agencyIds()[2]!)), home: '/agency/capacity' },
    ]) {
      const c = new WebClient(ctx.baseUrl);
      await c.signIn(who.email, who.password);
      const csrf = WebClient.csrfOf((await c.get(who.home)).text);
      expect((await c.post(`/hub/agencies/${agencyId}/capacity/revoke-links`, { _csrf: csrf })).status).toBe(403);
    }
    await expect(revokeCapacityLinks(ctx, { userId: worker.id, name: worker.name, role: 'link_worker', agencyId: null }, agencyId)).rejects.toMatchObject({ status: 403 });
    expect((await new WebClient(ctx.baseUrl).get(link)).status).toBe(200);
  });

  it('stops a change made through a link while the stop was committed', async () => {
    const agencyId = agencyIds()[3]!;
    const [, , expires, sig] = (await linkOf(agencyId)).split('/').slice(1);
    const scope = await capacityLinkScope(ctx, agencyId, expires!, sig!);
    expect(scope.ok).toBe(true);
    if (!scope.ok) return;
    // another process stops the links after this request checked its link, before it writes
    await revokeCapacityLinks(ctx, { userId: coordinator.id, name: coordinator.name, role: 'coordinator', agencyId: null }, agencyId);
    const before = await changesOf(agencyId);
    await expect(setAgencyCapacity(ctx, scope.actor, agencyId, { status: 'waiting_list', waitWeeks: 4 }, 'mail_link')).rejects.toMatchObject({ status: 404, code: 'link_stopped' });
    expect(await changesOf(agencyId)).toBe(before);
  });
});

describe('an agency that gets a staff account', () => {
  it('made with a password: its links stop, its reminder sends its staff to sign in, and a disabled account brings no old link back', async () => {
    const agencyId = agencyIds()[4]!;
    const link = await linkOf(agencyId);
    const web = new WebClient(ctx.baseUrl);
    expect((await web.get(link)).status).toBe(200);

    // an admin makes the agency's first account on the users page
    const c = new WebClient(ctx.baseUrl);
    const adminUser = await makeWebUser(ctx, 'admin');
    await c.signIn(adminUser.email, adminUser.password);
    const made = await c.postWithCsrf('/hub/users', '/hub/users', { role: 'agency', name: 'Duty desk', email: 'duty.desk@example.org', agencyId, password: 'a long enough password' });
    expect(made.status).toBe(303);
    const staff = await ctx.db.selectFrom('users').select('id').where('email', '=', 'duty.desk@example.org').executeTakeFirstOrThrow();

    const refused = await web.get(link);
    expect(refused.status).toBe(404);
    expect(refused.text).toContain('This link no longer works');
    expect(await linkOf(agencyId)).toBe('/agency/capacity');

    // the reminder mail carries the signed-in page, no link of its own
    const s = await submit(api, worker, q, [q.questions.findIndex((x) => x.agencyId === agencyId)]);
    await forward(ctx, [s.referrals[0]!.id]);
    ctx.clock.set(new Date(new Date(s.referrals[0]!.contactDueAt).getTime() - 2 * DAY));
    await sendContactReminders(ctx);
    const mail = await ctx.db.selectFrom('notifications').select('bodyText').where('kind', '=', 'contact_reminder').where('agencyId', '=', agencyId).executeTakeFirstOrThrow();
    expect(mail.bodyText).toContain('/agency/capacity');
    expect(mail.bodyText).not.toContain('/capacity/');

    // its only account disabled: the agency works from links again, but only from new ones
    await disableUser(ctx, { userId: admin.id, name: admin.name, role: 'admin', agencyId: null }, staff.id);
    const old = await web.get(link);
    expect(old.status).toBe(404);
    expect(old.text).toContain('This link no longer works');
    const fresh = await linkOf(agencyId);
    expect(fresh).toMatch(/^\/capacity\//);
    expect((await web.get(fresh)).status).toBe(200);
  });

  it('given a password later (an API-only user, or one made from the command line): its links stop', async () => {
    const agencyId = agencyIds()[5]!;
    const apiOnly = await makeUser(ctx, 'agency', agencyId);
    const link = await linkOf(agencyId);
    expect(link).toMatch(/^\/capacity\//);
    expect((await new WebClient(ctx.baseUrl).get(link)).status).toBe(200);
    await setPassword(ctx, apiOnly.id, 'a long enough password');
    expect((await new WebClient(ctx.baseUrl).get(link)).status).toBe(404);
    // and for good: the counter moved, so even without the account the old link is dead
    const row = await ctx.db.selectFrom('agencies').select('capacityLinkGeneration').where('id', '=', agencyId).executeTakeFirstOrThrow();
    expect(row.capacityLinkGeneration).toBe(1);
  });

  it('given one past the services (a row written straight into Postgres): its links stop while the account is active', async () => {
    const agencyId = agencyIds()[9]!;
    const apiOnly = await makeUser(ctx, 'agency', agencyId);
    const link = await linkOf(agencyId);
    expect((await new WebClient(ctx.baseUrl).get(link)).status).toBe(200);
    await ctx.db.updateTable('users').set({ passwordHash: 'set by hand' }).where('id', '=', apiOnly.id).execute();
    const res = await new WebClient(ctx.baseUrl).get(link);
    expect(res.status).toBe(404);
    expect(res.text).toContain('Your agency now has Signpost accounts');
    expect(await linkOf(agencyId)).toBe('/agency/capacity');
  });
});

describe('closed until', () => {
  const path = (agencyId: string) => `/api/v1/agencies/${agencyId}/capacity`;

  it('is at most 365 days ahead on the API (400 naming the field and the reason)', async () => {
    const agencyId = agencyIds()[6]!;
    for (const closedUntil of [day(366), '9999-12-31']) {
      const res = await api.call('PUT', path(agencyId), { token: coordinator.token, body: { status: 'closed', closedUntil } });
      expect(res.status, closedUntil).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'closedUntil', message: `must be at most 365 days from today (${new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(day(365)))} at the latest)` }]);
    }
    const ok = await api.call('PUT', path(agencyId), { token: coordinator.token, body: { status: 'closed', closedUntil: day(365) } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'closed', closedUntil: day(365) });
  });

  it('is at most 365 days ahead on the signed-in page and on the link’s page, and an old closure beyond it cannot be confirmed', async () => {
    const agencyId = agencyIds()[7]!;
    const staff = await makeWebUser(ctx, 'agency', agencyIds()[8]!);
    const own = new WebClient(ctx.baseUrl);
    await own.signIn(staff.email, staff.password);
    const ownPage = await own.get('/agency/capacity');
    const tooFar = await own.post('/agency/capacity', { _csrf: WebClient.csrfOf(ownPage.text), status: 'closed', ...dateFields('9999-12-31') });
    expect(tooFar.status).toBe(400);
    expect(tooFar.text).toContain('The date you open again must be at most 365 days from today');

    const link = await linkOf(agencyId);
    const web = new WebClient(ctx.baseUrl);
    const page = await web.get(link);
    expect(page.text).toContain('at most 365 days from today');
    const before = await changesOf(agencyId);
    const refused = await web.post(link, { _csrf: WebClient.csrfOf(page.text), status: 'closed', ...dateFields(day(400)) });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/href="#closedUntil-day"[^>]*>\s*The date you open again must be at most 365 days from today/);
    expect(await changesOf(agencyId)).toBe(before);
    expect((await web.post(link, { _csrf: WebClient.csrfOf(page.text), status: 'closed', ...dateFields(day(30)) })).status).toBe(303);

    // said before the limit: the one-click "still right" is refused, and the page asks for a new date
    await ctx.db.transaction().execute((trx) =>
      writeCapacity(trx, { agencyId, status: 'closed', waitWeeks: null, closedUntil: '9999-12-31', at: ctx.clock.now(), actorUserId: null, actorLabel: 'before the limit', via: 'api' }),
    );
    const legacy = await web.get(link);
    const confirm = await web.post(`${link}/confirm`, { _csrf: WebClient.csrfOf(legacy.text) });
    expect(confirm.status).toBe(400);
    expect(confirm.text).toContain('The date you open again must be at most 365 days from today');
    const last = await ctx.db.selectFrom('agencyCapacityChanges').select('actorLabel').where('agencyId', '=', agencyId).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(last.actorLabel).toBe('before the limit');
  });
});
