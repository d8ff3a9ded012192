/**
 * Who may read and act on what in the web pages (no browser: forms posted with fetch). An agency
 * user never sees or moves another agency's referral; non-hub roles get no /hub page; a link
 * worker sees only their own submissions; the triage and paper-entry pages refuse both; an
 * agency link acts on its own referral only; every state-changing form needs the right CSRF token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from './helpers/world.js';
import { markForwarded, submit } from './helpers/referrals.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { WebClient } from './helpers/web-client.js';
import { createAgencyLink } from '../src/modules/referrals/agency-link.service.js';
import { referenceOf, releaseFields, selfReferralForm, sendSelfReferral } from './helpers/self-referral.js';

let w: World<'lw'>;
let agencyA: WebUser;
let coordinator: WebUser;
let coordinator2: WebUser;
let linkWorker: WebUser;
let otherLinkWorker: WebUser;
let refA: string;
let refB: string;
let submissionId: string;

beforeAll(async () => {
  w = await createWorld({ lw: 'link_worker' });
  const [qa, qb] = [w.q.questions[0]!, w.q.questions[1]!];
  const s = await submit(w.api, w.lw, w.q, [qa.id, qb.id]);
  refA = s.byAgency.get(qa.agencyId)!.id;
  refB = s.byAgency.get(qb.agencyId)!.id;
  await markForwarded(w.ctx, refA);
  await markForwarded(w.ctx, refB);
  agencyA = await makeWebUser(w.ctx, 'agency', qa.agencyId);
  coordinator = await makeWebUser(w.ctx, 'coordinator');
  coordinator2 = await makeWebUser(w.ctx, 'coordinator');
  linkWorker = await makeWebUser(w.ctx, 'link_worker');
  otherLinkWorker = await makeWebUser(w.ctx, 'link_worker');
  submissionId = s.submissionId;
});
afterAll(async () => {
  await w?.ctx.close();
});

const statusOf = async (id: string) => (await w.ctx.db.selectFrom('referrals').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

async function signedIn(u: WebUser) {
  const c = new WebClient(w.ctx.baseUrl);
  expect((await c.signIn(u.email, u.password)).status).toBe(303);
  return c;
}

describe('the account pages (sessions and API tokens)', () => {
  it('send the signed-out to sign in, and are refused to a coordinator acting on another user (403)', async () => {
    const anon = new WebClient(w.ctx.baseUrl);
    for (const path of ['/account/sessions', '/account/tokens']) {
      const res = await anon.get(path);
      expect(res.status, path).toBe(303);
      expect(res.location).toBe(`/sign-in?next=${encodeURIComponent(path)}`);
    }
    for (const u of [agencyA, linkWorker, coordinator]) {
      const c = await signedIn(u);
      expect((await c.get('/account/sessions')).status).toBe(200);
      expect((await c.get('/account/tokens')).status).toBe(200);
    }
    const c = await signedIn(coordinator);
    const victim = await signedIn(otherLinkWorker);
    const csrf = WebClient.csrfOf((await c.get('/account/sessions')).text);
    expect((await c.post(`/hub/users/${otherLinkWorker.id}/sessions/end`, { _csrf: csrf })).status).toBe(403);
    // another person's session id is "not found" on one's own page, and stays
    const theirs = (await w.ctx.db.selectFrom('webSessions').select('id').where('userId', '=', otherLinkWorker.id).execute()).map((s) => s.id);
    expect(theirs.length).toBeGreaterThan(0);
    expect((await c.post(`/account/sessions/${theirs[0]}/end`, { _csrf: csrf })).status).toBe(404);
    expect((await victim.get('/submissions')).status).toBe(200);
  });
});

describe('an agency user', () => {
  it("can neither read nor act on another agency's referral", async () => {
    const c = await signedIn(agencyA);
    expect((await c.get(`/agency/referrals/${refA}`)).status).toBe(200);
    const read = await c.get(`/agency/referrals/${refB}`);
    expect(read.status).toBe(404);
    expect(read.text).not.toContain('Test-');
    const own = await c.get(`/agency/referrals/${refA}`);
    const act = await c.post(`/agency/referrals/${refB}`, { _csrf: WebClient.csrfOf(own.text), to: 'acknowledged' });
    expect(act.status).toBe(404);
    expect(await statusOf(refB)).toBe('forwarded');
  });

  it('gets no hub page, read or write', async () => {
    const c = await signedIn(agencyA);
    const csrf = WebClient.csrfOf((await c.get(`/agency/referrals/${refA}`)).text);
    for (const path of ['/hub', '/hub/referrals', `/hub/referrals/${refB}`, '/hub/users', '/hub/agencies', '/hub/mail', '/hub/questionnaires', '/hub/follow-ups', '/hub/people', '/hub/people/matches', '/hub/outcomes', '/hub/organisations', '/hub/reports', '/hub/reports/referrals.csv?from=2026-01-01&to=2026-12-31', '/hub/audit', '/hub/tokens', '/hub/webhooks', `/hub/agencies/${w.q.questions[0]!.agencyId}`]) {
      expect((await c.get(path)).status, path).toBe(403);
    }
    for (const path of ['/hub/people', '/hub/outcomes', '/hub/organisations']) {
      expect((await c.post(path, { _csrf: csrf, q: 'ab', code: 'x_y', label: 'Label', name: 'Name', type: 'other' })).status, path).toBe(403);
    }
    expect((await c.post(`/hub/referrals/${refB}`, { _csrf: csrf, to: 'cancelled', reason: 'x' })).status).toBe(403);
    expect((await c.post(`/hub/referrals/${refB}/revoke-links`, { _csrf: csrf })).status).toBe(403);
    expect((await c.post('/hub/users', { _csrf: csrf, role: 'admin', name: 'X', email: 'x@example.org', password: 'long enough password' })).status).toBe(403);
    expect(await statusOf(refB)).toBe('forwarded');
    expect(await w.ctx.db.selectFrom('users').select('id').where('email', '=', 'x@example.org').executeTakeFirst()).toBeUndefined();
  });

  it("reading a referral's personal details is audited", async () => {
    const c = await signedIn(agencyA);
    const before = await w.ctx.db.selectFrom('auditLog').select('id').where('entityId', '=', refA).where('action', '=', 'read').execute();
    expect((await c.get(`/agency/referrals/${refA}`)).status).toBe(200);
    const after = await w.ctx.db.selectFrom('auditLog').select(['actorUserId']).where('entityId', '=', refA).where('action', '=', 'read').execute();
    expect(after.length).toBe(before.length + 1);
    expect(after.map((a) => a.actorUserId)).toContain(agencyA.id);
  });
});

describe('a link worker', () => {
  it("cannot see another link worker's submission, nor act on referrals", async () => {
    const c = await signedIn(otherLinkWorker);
    expect((await c.get(`/submissions/${submissionId}`)).status).toBe(404);
    expect((await c.get(`/submissions/${submissionId}/postcard`)).status).toBe(404);
    expect((await c.get('/hub')).status).toBe(403);
    expect((await c.get('/agency')).status).toBe(403);
    const csrf = WebClient.csrfOf((await c.get('/checklist')).text);
    expect((await c.post(`/agency/referrals/${refA}`, { _csrf: csrf, to: 'acknowledged' })).status).toBe(403);
    expect(await statusOf(refA)).toBe('forwarded');
  });
});

describe('the triage and paper-entry pages (the hub’s only)', () => {
  it('refuse an agency user and a link worker, reading or acting, with their own valid CSRF token; the public is sent to sign in', async () => {
    const sent = await sendSelfReferral(w.ctx.baseUrl, selfReferralForm(w.q, [0], { email: '' }));
    expect(sent.status).toBe(200);
    const item = await w.ctx.db.selectFrom('selfReferrals').select(['id', 'reference']).where('reference', '=', referenceOf(sent.text)!).executeTakeFirstOrThrow();
    // the release form as a coordinator's page would send it (a valid checklist: the refusal must come from the role)
    const hub = await signedIn(coordinator);
    const releaseForm = Object.fromEntries(await releaseFields(hub, item.id));
    const entryPage = await hub.get('/hub/checklists/new');
    expect(entryPage.status).toBe(200);
    const reads = () => w.ctx.db.selectFrom('auditLog').select('actorUserId').where('entity', '=', 'self_referral').where('entityId', '=', item.id).execute();
    const readsBefore = (await reads()).length;
    const submissionsBefore = (await w.ctx.db.selectFrom('submissions').select('id').execute()).length;

    for (const [who, u, ownPage] of [
      ['agency', agencyA, `/agency/referrals/${refA}`],
      ['link worker', linkWorker, '/checklist'],
    ] as const) {
      const c = await signedIn(u);
      const csrf = WebClient.csrfOf((await c.get(ownPage)).text);
      const refused = (res: { status: number; text: string }, what: string) => {
        expect(res.status, `${who}: ${what}`).toBe(403);
        // the role's refusal, not the CSRF check's
        expect(res.text, `${who}: ${what}`).toContain('You cannot see this page');
        expect(res.text, `${who}: ${what}`).not.toContain('Edna');
      };
      for (const path of ['/hub/triage', `/hub/triage/${item.id}`, `/hub/triage/${item.id}/close`, '/hub/checklists/new']) refused(await c.get(path), `GET ${path}`);
      refused(await c.post(`/hub/triage/${item.id}/release`, { ...releaseForm, _csrf: csrf }), 'release');
      refused(await c.post(`/hub/triage/${item.id}/close`, { _csrf: csrf, reason: 'not_genuine' }), 'close');
      refused(await c.post('/hub/checklists/new', { _csrf: csrf, questionnaireId: w.q.id, channel: 'phone', givenName: 'Edna' }), 'paper entry');
    }
    const anonymous = new WebClient(w.ctx.baseUrl);
    for (const path of [`/hub/triage/${item.id}`, '/hub/checklists/new']) {
      const res = await anonymous.get(path);
      expect(res.status, path).toBe(303);
      expect(res.location, path).toMatch(/^\/sign-in/);
    }
    expect((await anonymous.post(`/hub/triage/${item.id}/close`, { reason: 'not_genuine' })).status).toBe(403);

    // nothing was read, released, closed or keyed in by them
    const after = await w.ctx.db.selectFrom('selfReferrals').select(['status', 'body']).where('id', '=', item.id).executeTakeFirstOrThrow();
    expect(after.status).toBe('open');
    expect(after.body).not.toBeNull();
    expect((await reads()).slice(readsBefore).every((r) => r.actorUserId === coordinator.id)).toBe(true);
    expect((await w.ctx.db.selectFrom('submissions').select('id').execute()).length).toBe(submissionsBefore);
  });
});

describe('CSRF', () => {
  it('refuses a state-changing form without the token or with a wrong one', async () => {
    const c = await signedIn(agencyA);
    expect((await c.post(`/agency/referrals/${refA}`, { to: 'acknowledged' })).status).toBe(403);
    expect((await c.post(`/agency/referrals/${refA}`, { _csrf: 'x'.repeat(43), to: 'acknowledged' })).status).toBe(403);
    // another user's token is not this session's
    const other = await signedIn(coordinator);
    const othersToken = WebClient.csrfOf((await other.get('/hub/agencies')).text);
    expect((await c.post(`/agency/referrals/${refA}`, { _csrf: othersToken, to: 'acknowledged' })).status).toBe(403);
    expect(await statusOf(refA)).toBe('forwarded');
  });

  it('takes the token from the body only, never from the URL', async () => {
    const c = await signedIn(agencyA);
    const csrf = WebClient.csrfOf((await c.get(`/agency/referrals/${refA}`)).text);
    expect((await c.post(`/agency/referrals/${refA}?_csrf=${csrf}`, { to: 'acknowledged' })).status).toBe(403);
    expect(await statusOf(refA)).toBe('forwarded');
    // and no page carries a token in a URL (the header's sign-out used to)
    expect((await c.get('/agency')).text).not.toMatch(/[?&]_csrf=/);
  });

  it('signs out only from a page of this site, and sign-out deletes the session', async () => {
    const c = await signedIn(linkWorker);
    const sessions = () => w.ctx.db.selectFrom('webSessions').select('idHash').where('userId', '=', linkWorker.id).execute();
    const n = (await sessions()).length;
    expect((await c.post('/sign-out', {})).status).toBe(403);
    expect((await c.post('/sign-out', {}, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).status).toBe(403);
    expect((await c.post('/sign-out', {}, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await c.get('/submissions')).status).toBe(200);
    const cookie = c.cookieHeader();
    expect((await c.post('/sign-out', {}, { 'sec-fetch-site': 'same-origin' })).status).toBe(303);
    expect((await sessions()).length).toBe(n - 1);
    // the old cookie replayed no longer works
    const replay = await fetch(`${w.ctx.baseUrl}/submissions`, { headers: { cookie }, redirect: 'manual' });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toMatch(/^\/sign-in/);
  });
});

describe('an agency link', () => {
  it('acts only on its own referral, with its own CSRF token, and only by allowed transitions', async () => {
    const url = await createAgencyLink(w.ctx.db, w.ctx, refA, w.ctx.clock.now());
    const path = new URL(url).pathname;
    const c = new WebClient(w.ctx.baseUrl);
    const view = await c.get(path);
    expect(view.status).toBe(200);
    const audited = await w.ctx.db.selectFrom('auditLog').select(['action', 'actorLabel']).where('entityId', '=', refA).execute();
    expect(audited.map((a) => a.action)).toEqual(expect.arrayContaining(['agency_link.view', 'read']));
    const csrf = WebClient.csrfOf(view.text);
    expect((await c.post(path, { to: 'acknowledged' })).status).toBe(403);
    expect((await c.post(path, { _csrf: 'y'.repeat(43), to: 'acknowledged' })).status).toBe(403);
    expect(await statusOf(refA)).toBe('forwarded');
    // the link's token does not open the signed-in agency pages
    expect((await c.post(`/agency/referrals/${refB}`, { _csrf: csrf, to: 'acknowledged' })).status).toBe(403);
    // a hub-only move is refused with 409
    const illegal = await c.post(path, { _csrf: csrf, to: 'cancelled', reason: 'not ours' });
    expect(illegal.status).toBe(409);
    expect(await statusOf(refA)).toBe('forwarded');
    const ok = await c.post(path, { _csrf: csrf, to: 'acknowledged' });
    expect(ok.status).toBe(303);
    expect(await statusOf(refA)).toBe('acknowledged');
    expect(await statusOf(refB)).toBe('forwarded');
  });
});

describe('revoking email links', () => {
  it('ends every live link of the referral and is audited as the coordinator who did it', async () => {
    const { createAgencyLink } = await import('../src/modules/referrals/agency-link.service.js');
    const url = await createAgencyLink(w.ctx.db, w.ctx, refA, w.ctx.clock.now());
    const path = new URL(url).pathname;
    expect((await new WebClient(w.ctx.baseUrl).get(path)).status).toBe(200);
    const c = await signedIn(coordinator);
    const csrf = WebClient.csrfOf((await c.get(`/hub/referrals/${refA}`)).text);
    expect((await c.post(`/hub/referrals/${refA}/revoke-links`, { _csrf: csrf })).status).toBe(303);
    expect((await new WebClient(w.ctx.baseUrl).get(path)).status).toBe(404);
    const audit = await w.ctx.db.selectFrom('auditLog').select(['actorUserId']).where('action', '=', 'agency_link.revoke').where('entityId', '=', refA).execute();
    expect(audit.map((a) => a.actorUserId)).toEqual([coordinator.id]);
  });
});

describe('user management', () => {
  it("a coordinator manages no account (not even a link worker's); an admin can", async () => {
    const c = await signedIn(coordinator);
    expect((await c.get('/hub/users')).status).toBe(403);
    // the webhook endpoints and their deliveries are an admin's too
    expect((await c.get('/hub/webhooks')).status).toBe(403);
    const csrf = WebClient.csrfOf((await c.get('/hub/agencies')).text);
    expect((await c.post(`/hub/users/${linkWorker.id}`, { _csrf: csrf, action: 'disable' })).status).toBe(403);
    expect((await c.post('/hub/users', { _csrf: csrf, role: 'link_worker', name: 'New worker', email: 'new.worker@example.org', password: 'a long enough password' })).status).toBe(403);
    const hashOf = async () => (await w.ctx.db.selectFrom('users').select('passwordHash').where('id', '=', coordinator2.id).executeTakeFirstOrThrow()).passwordHash;
    const before = await hashOf();
    expect((await c.post(`/hub/users/${coordinator2.id}`, { _csrf: csrf, password: 'a new password for them' })).status).toBe(403);
    expect(await hashOf()).toBe(before);
    expect((await c.post(`/hub/users/${coordinator2.id}`, { _csrf: csrf, action: 'disable' })).status).toBe(403);
    expect((await new WebClient(w.ctx.baseUrl).signIn(coordinator2.email, coordinator2.password)).status).toBe(303);

    const admin = await signedIn(await makeWebUser(w.ctx, 'admin'));
    const aCsrf = WebClient.csrfOf((await admin.get('/hub/users')).text);
    expect((await admin.post(`/hub/users/${coordinator2.id}`, { _csrf: aCsrf, password: 'a new password for them' })).status).toBe(303);
    expect(await hashOf()).not.toBe(before);

    // the users agency email links act as can never be given a password, nor be created by hand
    const linkUser = await w.ctx.db.selectFrom('users').select(['id', 'email']).where('email', 'like', 'agency-link+%').executeTakeFirstOrThrow();
    expect((await admin.post(`/hub/users/${linkUser.id}`, { _csrf: aCsrf, password: 'a password for a link' })).status).toBe(403);
    expect((await w.ctx.db.selectFrom('users').select('passwordHash').where('id', '=', linkUser.id).executeTakeFirstOrThrow()).passwordHash).toBeNull();
    const made = await admin.post('/hub/users', { _csrf: aCsrf, role: 'agency', name: 'Fake', email: 'agency-link+x@SIGNPOST.invalid', agencyId: w.q.questions[2]!.agencyId, password: 'long enough password' });
    expect(made.status).toBe(403);

    // every act on an account is audited, with who did it; refused acts leave no trace
    const acts = await w.ctx.db.selectFrom('auditLog').select(['action', 'actorUserId']).where('entity', '=', 'user').where('entityId', '=', coordinator2.id).execute();
    expect(acts.map((a) => a.action)).toEqual(['user.password']);
    expect(acts[0]!.actorUserId).not.toBe(coordinator.id);
    expect((await admin.post(`/hub/users/${coordinator2.id}`, { _csrf: aCsrf, action: 'disable' })).status).toBe(303);
    const after = await w.ctx.db.selectFrom('auditLog').select('action').where('entity', '=', 'user').where('entityId', '=', coordinator2.id).orderBy('id').execute();
    expect(after.map((a) => a.action)).toEqual(['user.password', 'user.disable']);
  });
});
