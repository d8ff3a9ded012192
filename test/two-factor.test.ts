/**
 * Two-factor sign-in without a browser (forms posted with fetch): wrong codes count towards the
 * password lock-out, the same code raced twice is accepted once, bad input is a 400 naming the
 * field, the code form needs its own CSRF token, a pending sign-in runs out, a person turns their
 * own factor off with a current code (not a role that must have one), and the secret is
 * unreadable without MFA_KEY.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { WebClient } from './helpers/web-client.js';
import { enrolWithKnownSecret } from '../src/modules/accounts/index.js';
import { openSecret, totpCode } from '../src/modules/accounts/totp.js';
import { MAX_FAILURES, setPassword } from '../src/modules/accounts/password.service.js';
import { createSession } from '../src/modules/accounts/session.service.js';
import { endAllSessionsOfUser } from '../src/modules/accounts/account-sessions.service.js';

const SECRET = 'TESTSECRETFORTWOFACTORTESTSABCDE';
const STEP = 30_000;
let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({ MFA_REQUIRED_ROLES: 'coordinator' });
});
afterAll(async () => {
  await ctx?.close();
});

async function enrolled(role: 'link_worker' | 'coordinator' = 'link_worker'): Promise<WebUser> {
  const u = await makeWebUser(ctx, role);
  await enrolWithKnownSecret(ctx, { userId: u.id, name: u.name, role }, SECRET);
  return u;
}

/** Signs in with the password: the client now holds a pending sign-in; returns the code form's CSRF token. */
async function passwordStep(c: WebClient, u: WebUser): Promise<string> {
  const res = await c.signIn(u.email, u.password);
  expect(res.status).toBe(303);
  expect(res.location).toBe('/sign-in/code');
  const form = await c.get('/sign-in/code');
  expect(form.status).toBe(200);
  return WebClient.csrfOf(form.text);
}

const failuresOf = async (id: string) => (await ctx.db.selectFrom('users').select(['failedLogins', 'lockedUntil']).where('id', '=', id).executeTakeFirstOrThrow());

describe('the code after the password', () => {
  it('counts wrong codes towards the same lock-out as wrong passwords', async () => {
    ctx.clock.advance(STEP);
    const u = await enrolled();
    const c = new WebClient(ctx.baseUrl);
    // two wrong passwords, then the right one: the failures stay (the code is still to come)
    for (let i = 0; i < 2; i++) expect((await c.signIn(u.email, 'a wrong password')).status).toBe(401);
    const csrf = await passwordStep(c, u);
    expect((await failuresOf(u.id)).failedLogins).toBe(2);
    const right = await totpCode(SECRET, ctx.clock.now());
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 3; i < MAX_FAILURES; i++) expect((await c.post('/sign-in/code', { _csrf: csrf, code: wrong })).status).toBe(401);
    const last = await c.post('/sign-in/code', { _csrf: csrf, code: wrong });
    expect(last.status).toBe(401);
    expect(last.text).toContain('locked for 15 minutes');
    expect((await failuresOf(u.id)).lockedUntil).not.toBeNull();
    // locked: the right password and the right code no longer get in
    const again = await c.signIn(u.email, u.password);
    expect(again.status).toBe(401);
    const refused = await ctx.db.selectFrom('auditLog').select('action').where('entityId', '=', u.id).where('action', '=', 'user.two_factor_code_refused').execute();
    expect(refused).toHaveLength(MAX_FAILURES - 2);
    // after the lock, a whole sign-in clears the failures
    ctx.clock.advance(16 * 60_000);
    const csrf2 = await passwordStep(c, u);
    const ok = await c.post('/sign-in/code', { _csrf: csrf2, code: await totpCode(SECRET, ctx.clock.now()) });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/submissions');
    expect(await failuresOf(u.id)).toEqual({ failedLogins: 0, lockedUntil: null });
  });

  it('accepts the same code once when two sign-ins race with it', async () => {
    ctx.clock.advance(STEP);
    const u = await enrolled();
    const [a, b] = [new WebClient(ctx.baseUrl), new WebClient(ctx.baseUrl)];
    const [csrfA, csrfB] = [await passwordStep(a, u), await passwordStep(b, u)];
    const code = await totpCode(SECRET, ctx.clock.now());
    const results = await Promise.all([a.post('/sign-in/code', { _csrf: csrfA, code }), b.post('/sign-in/code', { _csrf: csrfB, code })]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 401]);
    expect(results.find((r) => r.status === 401)!.text).toContain('has been used already');
    expect(await ctx.db.selectFrom('webSessions').select('userId').where('userId', '=', u.id).execute()).toHaveLength(1);
  });

  it('answers bad input with 400 and the field, a missing token with 403, and runs out after 5 minutes', async () => {
    ctx.clock.advance(STEP);
    const u = await enrolled();
    const c = new WebClient(ctx.baseUrl);
    const csrf = await passwordStep(c, u);
    for (const code of ['', 'abc', '1234567', '<script>', 'x'.repeat(500)]) {
      const res = await c.post('/sign-in/code', { _csrf: csrf, code });
      expect(res.status, code).toBe(400);
      expect(res.text).toContain('href="#code"');
    }
    expect((await c.post('/sign-in/code', 'code=123456&code=654321&_csrf=' + csrf)).status).toBe(401);
    expect((await c.post('/sign-in/code', { code: await totpCode(SECRET, ctx.clock.now()) })).status).toBe(403);
    // the code form's own token, not some other
    expect((await c.post('/sign-in/code', { _csrf: 'x'.repeat(43), code: await totpCode(SECRET, ctx.clock.now()) })).status).toBe(403);
    ctx.clock.advance(5 * 60_000 + 1000);
    const late = await c.post('/sign-in/code', { _csrf: csrf, code: await totpCode(SECRET, ctx.clock.now()) });
    expect(late.status).toBe(303);
    expect(late.location).toBe('/sign-in');
    expect(await ctx.db.selectFrom('webSessions').select('userId').where('userId', '=', u.id).execute()).toEqual([]);
  });

  it('ends a sign-in awaiting its code when the password is set anew', async () => {
    ctx.clock.advance(STEP);
    const u = await enrolled();
    const c = new WebClient(ctx.baseUrl);
    const csrf = await passwordStep(c, u);
    await setPassword(ctx, u.id, 'a brand new password');
    const res = await c.post('/sign-in/code', { _csrf: csrf, code: await totpCode(SECRET, ctx.clock.now()) });
    expect(res.location).toBe('/sign-in');
    expect(await ctx.db.selectFrom('webSessions').select('userId').where('userId', '=', u.id).execute()).toEqual([]);
  });

  it('without a pending sign-in, the code page sends to sign-in', async () => {
    const c = new WebClient(ctx.baseUrl);
    expect((await c.get('/sign-in/code')).location).toBe('/sign-in');
    expect((await c.post('/sign-in/code', { _csrf: 'x', code: '123456' })).location).toBe('/sign-in');
  });
});

describe('a person’s own two-factor page', () => {
  it('turns it off with a current code, and not with a wrong one', async () => {
    ctx.clock.advance(STEP);
    const u = await enrolled();
    const c = new WebClient(ctx.baseUrl);
    const csrf = await passwordStep(c, u);
    expect((await c.post('/sign-in/code', { _csrf: csrf, code: await totpCode(SECRET, ctx.clock.now()) })).status).toBe(303);
    const page = await c.get('/account/two-factor');
    const token = WebClient.csrfOf(page.text);
    expect((await c.post('/account/two-factor', { _csrf: token, action: 'turn-off', code: '' })).status).toBe(400);
    ctx.clock.advance(STEP);
    const right = await totpCode(SECRET, ctx.clock.now());
    expect((await c.post('/account/two-factor', { _csrf: token, action: 'turn-off', code: right === '000000' ? '111111' : '000000' })).status).toBe(401);
    const off = await c.post('/account/two-factor', { _csrf: token, action: 'turn-off', code: right });
    expect(off.status).toBe(303);
    expect(await ctx.db.selectFrom('userSecondFactors').select('userId').where('userId', '=', u.id).executeTakeFirst()).toBeUndefined();
    const actions = (await ctx.db.selectFrom('auditLog').select('action').where('entityId', '=', u.id).orderBy('id').execute()).map((a) => a.action);
    expect(actions).toEqual(['user.two_factor_enrolled', 'user.two_factor_code_refused', 'user.two_factor_turned_off']);
    // the next sign-in is one step again
    expect((await new WebClient(ctx.baseUrl).signIn(u.email, u.password)).location).toBe('/submissions');
  });

  it('cannot be turned off by a role that must have it', async () => {
    ctx.clock.advance(STEP);
    const u = await enrolled('coordinator');
    const c = new WebClient(ctx.baseUrl);
    const csrf = await passwordStep(c, u);
    expect((await c.post('/sign-in/code', { _csrf: csrf, code: await totpCode(SECRET, ctx.clock.now()) })).location).toBe('/hub');
    ctx.clock.advance(STEP);
    const res = await c.postWithCsrf('/account/two-factor', '/account/two-factor', { action: 'turn-off', code: await totpCode(SECRET, ctx.clock.now()) });
    expect(res.status).toBe(409);
    expect(await ctx.db.selectFrom('userSecondFactors').select('userId').where('userId', '=', u.id).executeTakeFirst()).toBeDefined();
  });

  it('keeps the secret sealed: another key, or another user’s row, does not open it', async () => {
    const u = await enrolled();
    const row = await ctx.db.selectFrom('userSecondFactors').select('secretEncrypted').where('userId', '=', u.id).executeTakeFirstOrThrow();
    expect(row.secretEncrypted.toString('latin1')).not.toContain(SECRET);
    expect(openSecret(ctx.env.MFA_KEY, u.id, row.secretEncrypted)).toBe(SECRET);
    expect(() => openSecret('another key of at least thirty-two characters', u.id, row.secretEncrypted)).toThrow();
    expect(() => openSecret(ctx.env.MFA_KEY, '00000000-0000-4000-8000-000000000000', row.secretEncrypted)).toThrow();
  });
});

describe('what the security review of the sign-in found', () => {
  const sessionsOf = async (id: string) => ctx.db.selectFrom('webSessions').select(['secondFactor', 'mustEnrol']).where('userId', '=', id).execute();

  it('ends the sessions opened with the password alone when the first factor is set up elsewhere, so none of them can renew its codes', async () => {
    ctx.clock.advance(STEP);
    const u = await makeWebUser(ctx, 'coordinator'); // a role that must have one: its sign-ins must enrol
    const [stale, enrolling] = [new WebClient(ctx.baseUrl), new WebClient(ctx.baseUrl)];
    for (const c of [stale, enrolling]) expect((await c.signIn(u.email, u.password)).location).toBe('/account/two-factor');
    const staleCsrf = WebClient.csrfOf((await stale.get('/account/two-factor')).text);
    // the second browser enrols
    const page = await enrolling.get('/account/two-factor');
    const key = /<code>([A-Z2-7 ]+)<\/code>/.exec(page.text)![1]!.replace(/\s/g, '');
    const on = await enrolling.post('/account/two-factor', { _csrf: WebClient.csrfOf(page.text), action: 'confirm', code: await totpCode(key, ctx.clock.now()) });
    expect(on.status).toBe(200);
    expect(await sessionsOf(u.id)).toEqual([{ secondFactor: 'totp', mustEnrol: false }]);
    const codes = await ctx.db.selectFrom('recoveryCodes').select('codeHash').where('userId', '=', u.id).execute();
    // the first browser's session is gone: asking for new codes with its form gets nothing
    const renew = await stale.post('/account/two-factor', { _csrf: staleCsrf, action: 'recovery-codes' });
    expect(renew.status).not.toBe(200);
    expect(renew.text).not.toContain('Your recovery codes');
    expect(await ctx.db.selectFrom('recoveryCodes').select('codeHash').where('userId', '=', u.id).execute()).toEqual(codes);
    expect((await stale.get('/account/two-factor')).location).toMatch(/^\/sign-in/);
  });

  it('lets a session that proved no second factor look at the page, not change a factor that is on', async () => {
    ctx.clock.advance(STEP);
    const u = await enrolled();
    // a session from before this version (or any made with the password alone): no factor proved
    const { cookieValue } = await createSession(ctx, u.id, 'test', { secondFactor: null, mustEnrol: false });
    const c = new WebClient(ctx.baseUrl);
    c.cookies.set('signpost_session', cookieValue);
    const before = await ctx.db.selectFrom('recoveryCodes').select('codeHash').where('userId', '=', u.id).execute();
    const res = await c.postWithCsrf('/account/two-factor', '/account/two-factor', { action: 'recovery-codes' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('sign in again with your code or passkey');
    expect(await ctx.db.selectFrom('recoveryCodes').select('codeHash').where('userId', '=', u.id).execute()).toEqual(before);
  });

  it('keeps the failures of a passkey-only account across a right password, as for the app', async () => {
    ctx.clock.advance(STEP);
    const u = await makeWebUser(ctx, 'link_worker');
    await ctx.db.insertInto('userPasskeys').values({ id: ctx.ids.uuid(), userId: u.id, credentialId: `cred-${u.id}`, publicKey: Buffer.alloc(77, 1), counter: 0, transports: ['internal'], name: 'Laptop', createdAt: ctx.clock.now() }).execute();
    const c = new WebClient(ctx.baseUrl);
    for (let round = 0; round < 2; round++) {
      const csrf = await passwordStep(c, u);
      expect((await c.post('/sign-in/code', { _csrf: csrf, code: '12345-67890' })).status).toBe(401);
      expect((await c.post('/sign-in/code', { _csrf: csrf, code: '22345-67890' })).status).toBe(401);
    }
    expect((await failuresOf(u.id)).failedLogins).toBe(4);
    const csrf = await passwordStep(c, u);
    const last = await c.post('/sign-in/code', { _csrf: csrf, code: '32345-67890' });
    expect(last.text).toContain('locked for 15 minutes');
    expect((await failuresOf(u.id)).lockedUntil).not.toBeNull();
  });

  it('ends a sign-in awaiting its code when its person signs out everywhere else, or an admin ends all their sessions', async () => {
    for (const how of ['mine', 'admin'] as const) {
      ctx.clock.advance(STEP);
      const u = await enrolled();
      const [waiting, here] = [new WebClient(ctx.baseUrl), new WebClient(ctx.baseUrl)];
      const csrf = await passwordStep(waiting, u);
      if (how === 'mine') {
        const t = await passwordStep(here, u);
        expect((await here.post('/sign-in/code', { _csrf: t, code: await totpCode(SECRET, ctx.clock.now()) })).status).toBe(303);
        expect((await here.postWithCsrf('/account/sessions', '/account/sessions/end-others', {})).status).toBe(303);
      } else {
        const admin = await makeWebUser(ctx, 'admin');
        await endAllSessionsOfUser(ctx, { userId: admin.id, name: admin.name, role: 'admin', agencyId: null }, u.id);
      }
      ctx.clock.advance(STEP);
      const res = await waiting.post('/sign-in/code', { _csrf: csrf, code: await totpCode(SECRET, ctx.clock.now()) });
      expect(res.location, how).toBe('/sign-in');
      expect((await sessionsOf(u.id)).length, how).toBe(how === 'mine' ? 1 : 0);
    }
  });

  it('ends a session of a role that must have a second factor and has none, made before the role required one', async () => {
    const u = await makeWebUser(ctx, 'coordinator');
    const { cookieValue } = await createSession(ctx, u.id, 'test', { secondFactor: null, mustEnrol: false });
    const c = new WebClient(ctx.baseUrl);
    c.cookies.set('signpost_session', cookieValue);
    const res = await c.get('/hub');
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/^\/sign-in\?next=/);
    expect(await sessionsOf(u.id)).toEqual([]);
  });
});
