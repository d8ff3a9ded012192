/**
 * The web pages' defences (no browser): session fixation, idle expiry, disabled users, cookie
 * flags, security headers, open redirects, lock-out by any spelling of the email, and bad form
 * input (NUL characters, huge or missing fields, odd ids) answered with a page, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from './helpers/world.js';
import { markForwarded, submit } from './helpers/referrals.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { WebClient } from './helpers/web-client.js';
import { SESSION_COOKIE } from '../src/modules/accounts/session.service.js';

let w: World<'lw'>;
let coordinator: WebUser;
let admin: WebUser;
let agencyUser: WebUser;
let linkWorker: WebUser;
let refA: string;
let submissionId: string;

beforeAll(async () => {
  w = await createWorld({ lw: 'link_worker' }, { SECURE_COOKIES: 'true' });
  const qa = w.q.questions[0]!;
  const s = await submit(w.api, w.lw, w.q, [qa.id]);
  refA = s.byAgency.get(qa.agencyId)!.id;
  submissionId = s.submissionId;
  await markForwarded(w.ctx, refA);
  coordinator = await makeWebUser(w.ctx, 'coordinator');
  admin = await makeWebUser(w.ctx, 'admin');
  agencyUser = await makeWebUser(w.ctx, 'agency', qa.agencyId);
  linkWorker = await makeWebUser(w.ctx, 'link_worker');
});
afterAll(async () => {
  await w?.ctx.close();
});

async function signedIn(u: WebUser) {
  const c = new WebClient(w.ctx.baseUrl);
  expect((await c.signIn(u.email, u.password)).status).toBe(303);
  return c;
}

describe('sessions', () => {
  it('sign-in issues a new session id with safe cookie flags, even over a planted one', async () => {
    const c = new WebClient(w.ctx.baseUrl);
    c.cookies.set(SESSION_COOKIE, 'planted-by-an-attacker-aaaaaaaaaaaaaaaaaaaaaa');
    const form = await c.get('/sign-in');
    const res = await c.post('/sign-in', { _csrf: WebClient.csrfOf(form.text), email: coordinator.email, password: coordinator.password });
    expect(res.status).toBe(303);
    const set = res.headers.getSetCookie().find((x) => x.startsWith(`${SESSION_COOKIE}=`))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    expect(set).toMatch(/Secure/i);
    expect(c.cookies.get(SESSION_COOKIE)).not.toBe('planted-by-an-attacker-aaaaaaaaaaaaaaaaaaaaaa');
    expect((await c.get('/hub')).status).toBe(200);
  });

  it('ends after SESSION_IDLE_HOURS without use', async () => {
    const c = await signedIn(linkWorker);
    expect((await c.get('/submissions')).status).toBe(200);
    w.ctx.clock.advance((w.ctx.env.SESSION_IDLE_HOURS * 60 + 1) * 60_000);
    const res = await c.get('/submissions');
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/^\/sign-in/);
  });

  it('ends SESSION_ABSOLUTE_HOURS after sign-in, however busy', async () => {
    const c = await signedIn(linkWorker);
    const hours = w.ctx.env.SESSION_ABSOLUTE_HOURS;
    for (let h = 1; h < hours; h++) {
      w.ctx.clock.advance(3_600_000);
      expect((await c.get('/submissions')).status, `after ${h} h`).toBe(200);
    }
    w.ctx.clock.advance(3_600_000);
    expect((await c.get('/submissions')).status).toBe(303);
  });

  it('ends at once for a user who is disabled', async () => {
    const victim = await makeWebUser(w.ctx, 'link_worker');
    const c = await signedIn(victim);
    expect((await c.get('/submissions')).status).toBe(200);
    const hub = await signedIn(admin);
    expect((await hub.postWithCsrf('/hub/users', `/hub/users/${victim.id}`, { action: 'disable' })).status).toBe(303);
    expect((await c.get('/submissions')).status).toBe(303);
    expect((await new WebClient(w.ctx.baseUrl).signIn(victim.email, victim.password)).status).toBe(401);
  });
});

describe('headers and redirects', () => {
  it('pages with personal data are not cached, framed or sent a referrer', async () => {
    const c = await signedIn(agencyUser);
    const res = await c.get(`/agency/referrals/${refA}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it.each(['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/%0d%0aLocation:%20x', ' /hub'])('sign-in never redirects off-site (next=%s)', async (next) => {
    const c = new WebClient(w.ctx.baseUrl);
    const res = await c.signIn(coordinator.email, coordinator.password, next);
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/^\/(?![/\\])/);
    expect(res.location).not.toContain('evil');
  });

  it('escapes what people type', async () => {
    const res = await new WebClient(w.ctx.baseUrl).signIn('<script>alert(1)</script>', 'wrong password');
    expect(res.status).toBe(401);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).not.toContain('<script>alert(1)</script>');
  });
});

describe('lock-out', () => {
  it('counts wrong passwords whatever the case of the email', async () => {
    const u = await makeWebUser(w.ctx, 'link_worker');
    for (const email of [u.email, u.email.toUpperCase(), ` ${u.email} `, u.email.replace(/^./, (x) => x.toUpperCase()), u.email.toUpperCase()]) {
      await new WebClient(w.ctx.baseUrl).signIn(email, 'wrong password here');
    }
    // locked: the right password is refused too, with the answer any refusal gets
    const res = await new WebClient(w.ctx.baseUrl).signIn(u.email, u.password);
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie') ?? '').not.toContain('signpost_session=');
    const row = await w.ctx.db.selectFrom('users').select('lockedUntil').where('id', '=', u.id).executeTakeFirstOrThrow();
    expect(row.lockedUntil).not.toBeNull();
  });
});

describe('bad input is a page, never a 500', () => {
  it('NUL characters in the sign-in form', async () => {
    const res = await new WebClient(w.ctx.baseUrl).signIn('a\u0000@example.org', 'pass\u0000word');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('NUL characters, huge and missing fields in the checklist and the actions', async () => {
    const c = await signedIn(linkWorker);
    const form = await c.get('/checklist');
    const csrf = WebClient.csrfOf(form.text);
    const qid = /name="questionnaireId" value="([^"]+)"/.exec(form.text)![1]!;
    const bodies: Record<string, string>[] = [
      { _csrf: csrf, questionnaireId: qid, givenName: 'A\u0000da', familyName: 'Nul' },
      { _csrf: csrf, questionnaireId: qid, givenName: 'x'.repeat(90_000) },
      { _csrf: csrf },
    ];
    for (const body of bodies) {
      const res = await c.post('/checklist', body);
      expect(res.status, JSON.stringify(Object.keys(body))).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    const big = await c.post('/checklist', `_csrf=${csrf}&givenName=${'y'.repeat(200_000)}`);
    expect(big.status).toBe(413);

    const a = await signedIn(agencyUser);
    const aCsrf = WebClient.csrfOf((await a.get(`/agency/referrals/${refA}`)).text);
    const actions: Record<string, string>[] = [{ to: 'rejected', reason: 'bad\u0000' }, { to: 'accepted', note: 'n'.repeat(5000) }, { to: 'nonsense' }, {}];
    for (const body of actions) {
      const res = await a.post(`/agency/referrals/${refA}`, { _csrf: aCsrf, ...body });
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('hub forms: NUL characters and a too-long follow-up note', async () => {
    const c = await signedIn(coordinator);
    const csrf = WebClient.csrfOf((await c.get('/hub/agencies')).text);
    const agency = await c.post('/hub/agencies', { _csrf: csrf, name: 'Nul\u0000 agency', email: 'nul@example.org' });
    expect(agency.status).toBe(400);
    const user = await c.post('/hub/users', { _csrf: csrf, role: 'link_worker', name: 'N\u0000', email: 'n@example.org', password: 'long enough password' });
    expect(user.status).toBe(400);

    // the hub's follow-up that forwarding scheduled
    const fu = await w.ctx.db.selectFrom('followUps').select('id').where('submissionId', '=', submissionId).executeTakeFirstOrThrow();
    expect((await c.get(`/hub/follow-ups/${fu.id}`)).status).toBe(200);
    const res = await c.post(`/hub/follow-ups/${fu.id}`, { _csrf: csrf, contactMade: 'no', note: 'n'.repeat(4001) });
    expect(res.status).toBe(400);
  });

  it('a flash key that names an Object property shows no flash', async () => {
    const c = await signedIn(agencyUser);
    for (const done of ['constructor', '__proto__', 'toString']) {
      const res = await c.get(`/agency/referrals/${refA}?done=${done}`);
      expect(res.status).toBe(200);
      expect(res.text).not.toMatch(/native code|\[object Object\]/);
    }
    const hub = await signedIn(admin);
    const users = await hub.get('/hub/users?done=constructor');
    expect(users.status).toBe(200);
    expect(users.text).not.toMatch(/native code|\[object Object\]/);
  });

  it('odd ids and paths give 404 pages', async () => {
    const c = await signedIn(coordinator);
    for (const path of ['/hub/referrals/not-a-uuid', '/hub/referrals/%00', `/hub/referrals/${refA}x`, '/hub/follow-ups/1', '/hub/questionnaires/..%2f', '/a/short', `/a/${'A'.repeat(43)}`, '/submissions/%E0%A4%A']) {
      const res = await c.get(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
  });
});
