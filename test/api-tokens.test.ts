/**
 * API tokens with an expiry and a last use: an expired or revoked token is refused (401); the token
 * check records its last use in the statement that reads it, so a verdict served from the cache
 * writes nothing and last use is accurate to AUTH_CACHE_TTL_MS; a cached verdict never outlives the
 * token's expiry; the command line makes, lists and revokes tokens, audited; the owner's and the
 * admin's pages refuse what is not theirs and bad input.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/cli/index.js';
import { DAY } from '../src/kernel/clock.js';
import { createOwnToken, revokeToken } from '../src/modules/accounts/token.service.js';
import { apiClient } from './helpers/api.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, type TestUser } from './helpers/factories.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { WebClient } from './helpers/web-client.js';

const SECOND = 1000;
const TTL_MS = 60_000;
let ctx: TestContext;
let api: ReturnType<typeof apiClient>;
let owner: TestUser;
let admin: TestUser;
const principalOf = (u: TestUser) => ({ userId: u.id, name: u.name, role: u.role, agencyId: u.agencyId });

beforeAll(async () => {
  // a cache long enough that a test can tell a cached verdict from a read of Postgres
  ctx = await createTestContext({ AUTH_CACHE_TTL_MS: String(TTL_MS) });
  api = apiClient(ctx.baseUrl);
  owner = await makeUser(ctx, 'link_worker');
  admin = await makeUser(ctx, 'admin');
});
afterAll(async () => {
  await ctx?.close();
});

const use = async (token: string) => (await api.get('/api/v1/agencies', token)).status;
const rowOf = (id: string) => ctx.db.selectFrom('apiTokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('the token check', () => {
  it('refuses an expired token (401)', async () => {
    const t = await createOwnToken(ctx, principalOf(owner), { label: 'one day', expiresInDays: 1 });
    expect(t.expiresAt).toEqual(new Date(ctx.clock.now().getTime() + DAY));
    expect(await use(t.token)).toBe(200);
    ctx.clock.advance(DAY);
    expect(await use(t.token)).toBe(401);
    ctx.clock.advance(DAY);
    expect(await use(t.token)).toBe(401);
  });

  it('refuses a revoked token (401): at once when never checked, within the cache TTL when cached', async () => {
    const fresh = await createOwnToken(ctx, principalOf(owner), { label: 'never used' });
    await revokeToken(ctx, principalOf(owner), fresh.id);
    expect(await use(fresh.token)).toBe(401);

    const cached = await createOwnToken(ctx, principalOf(owner), { label: 'in use' });
    expect(await use(cached.token)).toBe(200);
    expect((await revokeToken(ctx, principalOf(admin), cached.id)).revoked).toBe(true);
    ctx.clock.advance(TTL_MS + SECOND);
    expect(await use(cached.token)).toBe(401);
    // what a client is told: the same as for any token that is not valid
    const res = await api.get('/api/v1/agencies', cached.token);
    expect(res.body.error).toMatchObject({ code: 'unauthenticated', message: 'the bearer token is not valid' });
  });

  it('records the last use when it reads the token, and writes nothing for a cached verdict', async () => {
    const t = await createOwnToken(ctx, principalOf(owner), { label: 'busy' });
    expect((await rowOf(t.id)).lastUsedAt).toBeNull();
    const first = ctx.clock.now();
    expect(await use(t.token)).toBe(200);
    const afterFirst = await rowOf(t.id);
    expect(afterFirst.lastUsedAt).toEqual(first);
    // the row's version: a write of any value (even the same) would change it
    const version = async () => (await ctx.db.selectFrom('apiTokens').select((eb) => eb.ref('xmin' as never).as('v')).where('id', '=', t.id).executeTakeFirstOrThrow()).v as unknown as string;
    const before = await version();
    for (let i = 0; i < 5; i++) {
      ctx.clock.advance(5 * SECOND);
      expect(await use(t.token)).toBe(200);
    }
    expect((await rowOf(t.id)).lastUsedAt).toEqual(first);
    expect(await version()).toBe(before);
    // past the TTL: read again, and the last use moves on
    ctx.clock.advance(TTL_MS);
    expect(await use(t.token)).toBe(200);
    expect((await rowOf(t.id)).lastUsedAt).toEqual(ctx.clock.now());
  });

  it('never lets a cached verdict outlive the token’s expiry', async () => {
    const t = await createOwnToken(ctx, principalOf(owner), { label: 'short', expiresInDays: 1 });
    // ten seconds before it expires: checked and cached, for ten seconds, not for the TTL
    ctx.clock.set(new Date(t.expiresAt!.getTime() - 10 * SECOND));
    expect(await use(t.token)).toBe(200);
    ctx.clock.advance(9 * SECOND);
    expect(await use(t.token)).toBe(200);
    ctx.clock.advance(SECOND);
    expect(await use(t.token)).toBe(401);
  });

  it('refuses a token of a disabled user once the cache lets go', async () => {
    const u = await makeUser(ctx, 'link_worker');
    expect(await use(u.token)).toBe(200);
    await ctx.db.updateTable('users').set({ disabledAt: ctx.clock.now() }).where('id', '=', u.id).execute();
    ctx.clock.advance(TTL_MS + SECOND);
    expect(await use(u.token)).toBe(401);
  });
});

describe('the command line', () => {
  async function cli(...argv: string[]): Promise<{ code: number; out: unknown; err: string }> {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const code = await runCli(argv, ctx.env);
      return { code, out: log.mock.calls[0] ? JSON.parse(String(log.mock.calls[0][0])) : undefined, err: error.mock.calls.map((c) => String(c[0])).join('\n') };
    } finally {
      vi.restoreAllMocks();
    }
  }

  it('makes, lists and revokes a token, each audited as the command line', async () => {
    const worker = await makeWebUser(ctx, 'link_worker');
    const made = await cli('tokens', 'create', '--user', worker.email, '--label', 'case system', '--expires-days', '30');
    expect(made.code, made.err).toBe(0);
    const m = made.out as { id: string; userId: string; label: string; expiresAt: string; token: string };
    expect(m).toMatchObject({ userId: worker.id, label: 'case system' });
    expect(m.token).toMatch(/^sp_/);
    expect(await use(m.token)).toBe(200);

    const listed = await cli('tokens', 'list', '--user', worker.email);
    expect(listed.code).toBe(0);
    const rows = listed.out as { id: string; user: string; label: string; state: string; lastUsedAt: string | null }[];
    const row = rows.find((r) => r.id === m.id)!;
    expect(row).toMatchObject({ user: worker.email, label: 'case system', state: 'active', lastUsedAt: ctx.clock.now().toISOString() });
    // the factory's first token is listed too, and only this user's
    expect(rows.every((r) => r.user === worker.email)).toBe(true);
    expect(((await cli('tokens', 'list')).out as { id: string }[]).length).toBeGreaterThan(rows.length);

    const revoked = await cli('tokens', 'revoke', m.id);
    expect(revoked).toMatchObject({ code: 0, out: { id: m.id, revoked: true } });
    expect(((await cli('tokens', 'list', '--user', worker.email)).out as { id: string; state: string }[]).find((r) => r.id === m.id)!.state).toBe('revoked');
    ctx.clock.advance(TTL_MS + SECOND);
    expect(await use(m.token)).toBe(401);
    // revoking again changes nothing
    expect((await cli('tokens', 'revoke', m.id)).out).toEqual({ id: m.id, revoked: false });

    const audit = await ctx.db.selectFrom('auditLog').select(['action', 'actorUserId', 'actorLabel']).where('entity', '=', 'api_token').where('entityId', '=', m.id).orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'token.create', actorUserId: null, actorLabel: 'Command line' },
      { action: 'token.revoke', actorUserId: null, actorLabel: 'Command line' },
    ]);
  });

  it('refuses bad input without a crash, and keeps token:revoke working', async () => {
    expect((await cli('tokens', 'create')).code).toBe(64);
    expect((await cli('tokens')).code).toBe(64);
    expect((await cli('tokens', 'revoke')).code).toBe(64);
    const bad = await cli('tokens', 'create', '--user', 'nobody@example.org');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('user not found');
    const worker = await makeWebUser(ctx, 'link_worker');
    const days = await cli('tokens', 'create', '--user', worker.email, '--expires-days', '0');
    expect(days.code).toBe(1);
    expect(days.err).toContain('expiresInDays: must be at least 1 day');
    expect((await cli('tokens', 'revoke', 'not-a-token-id')).err).toContain('token not found');

    const u = await makeUser(ctx, 'coordinator');
    expect(await cli('token:revoke', '--user', u.id)).toMatchObject({ code: 0, out: { revoked: 1 } });
    ctx.clock.advance(TTL_MS + SECOND);
    expect(await use(u.token)).toBe(401);
  });
});

describe('who may manage tokens on the pages', () => {
  let a: WebUser;
  let b: WebUser;
  let adminWeb: WebUser;
  beforeAll(async () => {
    [a, b, adminWeb] = [await makeWebUser(ctx, 'link_worker'), await makeWebUser(ctx, 'coordinator'), await makeWebUser(ctx, 'admin')];
  });
  const signedIn = async (u: WebUser) => {
    const c = new WebClient(ctx.baseUrl);
    expect((await c.signIn(u.email, u.password)).status).toBe(303);
    return c;
  };

  it("an owner revokes their own token, never another person's (404), and sees no admin list (403)", async () => {
    const theirs = await createOwnToken(ctx, { userId: b.id, name: b.name, role: 'coordinator', agencyId: null }, { label: 'theirs' });
    const c = await signedIn(a);
    const page = await c.get('/account/tokens');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('theirs');
    const csrf = WebClient.csrfOf(page.text);
    expect((await c.post(`/account/tokens/${theirs.id}/revoke`, { _csrf: csrf })).status).toBe(404);
    expect((await c.post(`/hub/tokens/${theirs.id}/revoke`, { _csrf: csrf })).status).toBe(403);
    expect((await c.get('/hub/tokens')).status).toBe(403);
    expect((await rowOf(theirs.id)).revokedAt).toBeNull();
    // an admin may
    const adm = await signedIn(adminWeb);
    const list = await adm.get(`/hub/tokens?userId=${b.id}`);
    expect(list.text).toContain('theirs');
    expect((await adm.post(`/hub/tokens/${theirs.id}/revoke`, { _csrf: WebClient.csrfOf(list.text), from: 'user' })).location).toBe(`/hub/tokens?done=revoked&userId=${b.id}`);
    expect((await rowOf(theirs.id)).revokedAt).toEqual(ctx.clock.now());
  });

  it('answers bad input with 400 naming the field, and shows a new token once', async () => {
    const c = await signedIn(a);
    const csrf = WebClient.csrfOf((await c.get('/account/tokens')).text);
    for (const [form, field, reason] of [
      [{ label: '', expiresInDays: '' }, 'Label', 'must not be empty'],
      [{ label: 'x'.repeat(101) }, 'Label', 'must be at most 100 characters'],
      [{ label: 'ok', expiresInDays: 'soon' }, 'Expires after', ''],
      [{ label: 'ok', expiresInDays: '1.5' }, 'Expires after', 'must be a whole number of days'],
      [{ label: 'ok', expiresInDays: '9999' }, 'Expires after', 'must be at most 366 days'],
    ] as const) {
      const res = await c.post('/account/tokens', { _csrf: csrf, ...form });
      expect(res.status, JSON.stringify(form)).toBe(400);
      expect(res.text).toContain(`${field}: ${reason}`);
    }
    const made = await c.post('/account/tokens', { _csrf: csrf, label: 'my script', expiresInDays: '7' });
    expect(made.status).toBe(200);
    const token = /<code id="new-token">(sp_[\w-]+)<\/code>/.exec(made.text)?.[1];
    expect(token).toBeDefined();
    expect(await use(token!)).toBe(200);
    const again = await c.get('/account/tokens');
    expect(again.text).toContain('my script');
    expect(again.text).not.toContain(token!);
  });
});
