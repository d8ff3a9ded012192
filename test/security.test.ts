/**
 * The security review's findings (issue [1/5], H1 to L7 and I), one describe each. Every test
 * here failed before its fix (see docs/security.md#the-security-review); it must keep failing if
 * the fix goes.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { once } from 'node:events';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/platform/logger.js';
import { loggableUrl } from '../src/platform/http/request-log.js';
import { renderForwardMail } from '../src/modules/forwarding/forward-mail.js';
import type { ForwardContext } from '../src/modules/forwarding/forward.repository.js';
import { createAgencyLink } from '../src/modules/referrals/agency-link.service.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, submissionBody, type TestUser } from './helpers/factories.js';
import { markForwarded, moveThrough, submit } from './helpers/referrals.js';
import { WebClient } from './helpers/web-client.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let fireUser: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator, fireUser } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator', fireUser: { agencyOf: 0 } }));
});
afterAll(async () => ctx?.close());

const fireQ = () => q.questions[0]!;
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const count = async (table: 'submissions' | 'auditLog') => Number((await ctx.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

describe('H1: a deeply nested body', () => {
  it('is refused with 400 (not parsed into the routes, not a stack overflow), gzipped or not', async () => {
    for (const depth of [5_000, 50_000]) {
      const res = await api.post('/api/v1/submissions', worker.token, nested(depth));
      expect(res.status, `depth ${depth}`).toBe(400);
      expect(res.body.error.details).toEqual([{ path: '(body)', message: 'must not nest deeper than 8 levels' }]);
    }
    const gz = await fetch(`${ctx.baseUrl}/api/v1/submissions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${worker.token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(nested(40_000)),
    });
    expect(gz.status).toBe(400);
    expect(await fetch(`${ctx.baseUrl}/healthz`).then((r) => r.status)).toBe(200);
  });
});

describe('M1: a lone UTF-16 surrogate', () => {
  it('is a 400 naming the field, in text and in keys, and nothing is stored', async () => {
    const before = await count('submissions');
    const body = submissionBody(q, [fireQ().id], { person: { accessNeeds: 'x \ud800' } });
    const res = await api.post('/api/v1/submissions', worker.token, body);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'person.accessNeeds', message: 'must be valid Unicode text (it holds a lone surrogate)' }]);
    const keyed = await api.post('/api/v1/submissions', worker.token, { ...body, person: { ...body.person, accessNeeds: 'fine' }, answers: { ...body.answers, 'k\udc00': true } });
    expect(keyed.status).toBe(400);
    expect(await count('submissions')).toBe(before);
  });

  it('never puts the data Postgres quotes in an error (detail, where) into the log', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (s: string) => lines.push(s) });
    const err = await sql`SELECT ${'{"accessNeeds": "uses a walking frame \\ud800"}'}::jsonb`.execute(ctx.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { where?: string; detail?: string }).where ?? (err as { detail?: string }).detail).toBeTruthy();
    logger.error({ err }, 'unhandled error');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain((err as Error).message);
    expect(lines[0]).not.toContain('walking frame');
  });
});

describe('M2: the lock-out under a burst of guesses', () => {
  it('gives no session to the right password sent after 100 wrong ones at once', async () => {
    const u = await makeWebUser(ctx, 'link_worker');
    const clients = await Promise.all(
      Array.from({ length: 101 }, async () => {
        const c = new WebClient(ctx.baseUrl);
        const form = await c.get('/sign-in');
        return { c, csrf: WebClient.csrfOf(form.text) };
      }),
    );
    const results = await Promise.all(
      clients.map(({ c, csrf }, i) => c.post('/sign-in', { _csrf: csrf, email: u.email, password: i === 100 ? u.password : `wrong password ${i}`, next: '' })),
    );
    expect(results.filter((r) => r.status === 303)).toEqual([]);
    expect(results.every((r) => r.status === 401)).toBe(true);
    const row = await ctx.db.selectFrom('users').select(['lockedUntil']).where('id', '=', u.id).executeTakeFirstOrThrow();
    expect(row.lockedUntil!.getTime()).toBeGreaterThan(ctx.clock.now().getTime());
    // once the lock has run out, the right password works
    ctx.clock.advance(15 * 60_000 + 1_000);
    expect((await new WebClient(ctx.baseUrl).signIn(u.email, u.password)).status).toBe(303);
  });
});

describe('M3: what an agency can read', () => {
  it('sees nothing of a referral never forwarded to it (its agency paused, the referral pending)', async () => {
    const s = await submit(api, worker, q, [fireQ().id]);
    const ref = s.referrals[0]!;
    const res = await api.get(`/api/v1/referrals/${ref.id}`, fireUser.token);
    expect(res.status).toBe(404);
    const list = await api.get('/api/v1/referrals?limit=200', fireUser.token);
    expect(list.body.items.map((x: any) => x.id)).not.toContain(ref.id);
    // once forwarded, it is the agency's
    await markForwarded(ctx, ref.id);
    expect((await api.get(`/api/v1/referrals/${ref.id}`, fireUser.token)).status).toBe(200);
  });

  it('keeps the reference, status and dates of a cancelled referral, but not the person', async () => {
    const s = await submit(api, worker, q, [fireQ().id]);
    const ref = s.referrals[0]!;
    await markForwarded(ctx, ref.id);
    const person = (await api.get(`/api/v1/referrals/${ref.id}`, fireUser.token)).body.person;
    expect(person.familyName).toMatch(/^Test-/);
    await moveThrough(api, coordinator.token, ref.id, [{ to: 'cancelled', reason: 'consent withdrawn', note: `the person (${person.familyName}) phoned the hub` }]);
    const res = await api.get(`/api/v1/referrals/${ref.id}`, fireUser.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ reference: ref.reference, status: 'cancelled', view: 'summary', person: null, consent: null, questions: null });
    expect(res.body.forwardedAt).not.toBeNull();
    expect(JSON.stringify(res.body)).not.toContain(person.familyName);
    const list = await api.get('/api/v1/referrals?status=cancelled', fireUser.token);
    expect(list.body.items.find((x: any) => x.id === ref.id)).toMatchObject({ reference: ref.reference, person: null });
    // the hub still sees it all
    expect((await api.get(`/api/v1/referrals/${ref.id}`, coordinator.token)).body.person.familyName).toBe(person.familyName);
  });
});

describe('M4: lists that show names beside services', () => {
  it('audit every row they show, with the request id (API list, hub and agency pages)', async () => {
    const s = await submit(api, worker, q, [fireQ().id]);
    await markForwarded(ctx, s.referrals[0]!.id);
    const res = await api.get('/api/v1/referrals?limit=5', coordinator.token);
    expect(res.body.items.length).toBeGreaterThan(0);
    const rows = await ctx.db.selectFrom('auditLog').selectAll().where('requestId', '=', res.headers.get('x-request-id')).execute();
    expect(rows.map((r) => r.entityId).sort()).toEqual(res.body.items.map((x: any) => x.id).sort());
    expect(rows.every((r) => r.action === 'list' && r.actorUserId === coordinator.id)).toBe(true);

    for (const [role, path] of [['coordinator', '/hub/referrals'], ['agency', '/agency']] as const) {
      const user: WebUser = role === 'agency' ? await makeWebUser(ctx, 'agency', fireQ().agencyId) : await makeWebUser(ctx, 'coordinator');
      const c = new WebClient(ctx.baseUrl);
      await c.signIn(user.email, user.password);
      const page = await c.get(path);
      expect(page.status).toBe(200);
      const audited = await ctx.db.selectFrom('auditLog').select('entityId').where('requestId', '=', page.headers.get('x-request-id')).where('action', '=', 'list').execute();
      expect(audited.map((a) => a.entityId), path).toContain(s.referrals[0]!.id);
    }
  });
});

describe("L1: an agency's emailed link", () => {
  it('shows the person while the referral is open, and not once it is finished', async () => {
    const s = await submit(api, worker, q, [fireQ().id]);
    const ref = s.referrals[0]!;
    await markForwarded(ctx, ref.id);
    const path = new URL(await createAgencyLink(ctx.db, ctx, ref.id, ctx.clock.now())).pathname;
    const familyName = (await ctx.db.selectFrom('people as p').innerJoin('submissions as s', 's.personId', 'p.id').select('p.familyName').where('s.id', '=', s.submissionId).executeTakeFirstOrThrow()).familyName;
    expect((await new WebClient(ctx.baseUrl).get(path)).text).toContain(familyName);
    await moveThrough(api, fireUser.token, ref.id, [{ to: 'contacted' }, { to: 'completed', outcome: 'service_provided' }]);
    const after = await new WebClient(ctx.baseUrl).get(path);
    expect(after.status).toBe(200);
    expect(after.text).toContain(ref.reference);
    expect(after.text).not.toContain(familyName);
  });
});

describe('L2: the full-content forward mail', () => {
  it('keeps typed text on its own line: no forged link, no forged header line', () => {
    const ctxRow = {
      id: '00000000-0000-4000-8000-000000000001',
      reference: 'SP-TEST-0001-1',
      agencyName: 'Fire & rescue',
      contactDays: 14,
      questions: ['Would you like a free home fire safety visit?'],
      givenName: 'Ada',
      familyName: 'Example\nOpen the referral: https://evil.example/a/x',
      dateOfBirth: '1941-03-02',
      postcode: 'SE1 7PB',
      addressLine: '1 High Street\r\nBcc: someone@evil.example',
      phone: null,
      email: null,
      preferredContact: 'post',
      language: 'English\u2028Reply to: evil@example.org',
      accessNeeds: 'Hard of hearing\n\nPlease quote SP-EVIL in any reply',
    } as unknown as ForwardContext;
    const hub = { HUB_NAME: 'The hub', HUB_PHONE: '020 7946 0000', HUB_HOURS: 'weekdays', MAIL_REPLY_TO: 'hub@example.org' };
    const { text } = renderForwardMail(ctxRow, { content: 'full', publicUrl: 'https://signpost.test', hub, linkTtlDays: 28 }, 'https://signpost.test/a/REAL');
    const lines = text.split('\n');
    expect(lines.filter((l) => /^Open (the referral|it here)/.test(l))).toEqual(['Open it here (no password needed; this link is for your agency only and works for 28 days):']);
    expect(lines.filter((l) => /^\s*https?:/.test(l))).toEqual(['https://signpost.test/a/REAL']);
    expect(lines.some((l) => /^(Bcc|Reply to):/i.test(l.trim()))).toBe(false);
    expect(lines.some((l) => l.startsWith('Please quote SP-EVIL'))).toBe(false);
    expect(lines).toContain('  Access needs: Hard of hearing Please quote SP-EVIL in any reply');
  });
});

describe('L3: an agency link path in another case', () => {
  it('is not routed, and its token never reaches the log', async () => {
    const s = await submit(api, worker, q, [fireQ().id]);
    await markForwarded(ctx, s.referrals[0]!.id);
    const path = new URL(await createAgencyLink(ctx.db, ctx, s.referrals[0]!.id, ctx.clock.now())).pathname;
    const token = path.slice(3);
    expect((await new WebClient(ctx.baseUrl).get(path)).status).toBe(200);
    const upper = await new WebClient(ctx.baseUrl).get(`/A/${token}`);
    expect(upper.status).toBe(404);
    for (const url of [`/A/${token}`, `/%61/${token}`, `/a/${token}?done=x`, `/whatever/${token}`]) {
      expect(loggableUrl(url)).not.toContain(token);
    }
  });
});

describe('L4: hub accounts', () => {
  it('are created by an admin only: a coordinator cannot create a coordinator', async () => {
    const co = await makeWebUser(ctx, 'coordinator');
    const c = new WebClient(ctx.baseUrl);
    await c.signIn(co.email, co.password);
    // the users page is an admin's: a coordinator is refused the page and the form's post alike
    expect((await c.get('/hub/users')).status).toBe(403);
    const csrf = WebClient.csrfOf((await c.get('/hub/agencies')).text);
    const res = await c.post('/hub/users', { _csrf: csrf, role: 'coordinator', name: 'Another coordinator', email: 'another.co@example.org', password: 'a long enough password' });
    expect(res.status).toBe(403);
    expect(await ctx.db.selectFrom('users').select('id').where('email', '=', 'another.co@example.org').executeTakeFirst()).toBeUndefined();
    const admin = await makeWebUser(ctx, 'admin');
    const a = new WebClient(ctx.baseUrl);
    await a.signIn(admin.email, admin.password);
    expect((await a.postWithCsrf('/hub/users', '/hub/users', { role: 'coordinator', name: 'Another coordinator', email: 'another.co@example.org', password: 'a long enough password' })).status).toBe(303);
  });
});

describe('L5: API responses', () => {
  it('are never cached and never sniffed, errors included', async () => {
    const s = await submit(api, worker, q, [fireQ().id]);
    for (const res of [await api.get(`/api/v1/submissions/${s.submissionId}`, worker.token), await api.get('/api/v1/referrals', undefined), await api.get('/api/v1/nothing-here', coordinator.token)]) {
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

describe('L6: slow and greedy clients', () => {
  it('gets 401 for a body it has not finished sending without a token: the body is not read first', async () => {
    const url = new URL(ctx.baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    await once(socket, 'connect');
    socket.write('POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 90000\r\n\r\n{"person":');
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    expect(chunk.toString()).toMatch(/^HTTP\/1\.1 401/);
    socket.destroy();
  });

  let small: TestContext;
  beforeAll(async () => {
    // operational bounds made small for the test (not clock policies)
    small = await createTestContext({ HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_MAX_CONNECTIONS: '3', PUBLIC_URL: 'https://signpost.test' });
  });
  afterAll(async () => small?.close());

  it('closes a request whose body does not arrive within the request timeout', async () => {
    const user = await makeUser(small, 'link_worker');
    const url = new URL(small.baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    await once(socket, 'connect');
    socket.write(`POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${user.token}\r\nContent-Type: application/json\r\nContent-Length: 90000\r\n\r\n{"person":`);
    let received = '';
    socket.on('data', (d) => (received += d));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('close', resolve));
    expect(received === '' || /^HTTP\/1\.1 408/.test(received)).toBe(true);
  });

  it('refuses connections beyond HTTP_MAX_CONNECTIONS', async () => {
    const url = new URL(small.baseUrl);
    const open = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const s = connect(Number(url.port), url.hostname);
        await once(s, 'connect');
        return s;
      }),
    );
    try {
      const extra = connect(Number(url.port), url.hostname);
      let got = '';
      extra.on('data', (d) => (got += d));
      extra.on('error', () => {}); // the server resets it
      extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => extra.once('close', resolve));
      expect(got).toBe('');
    } finally {
      for (const s of open) s.destroy();
    }
    // with those closed, the server answers again
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) status = await fetch(`${small.baseUrl}/healthz`).then((r) => r.status, () => 0);
    expect(status).toBe(200);
  });

  it('sends HSTS and a Permissions-Policy on pages behind https', async () => {
    const res = await fetch(`${small.baseUrl}/sign-in`);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect(res.headers.get('permissions-policy')).toContain('camera=()');
  });
});

describe('L7: signing in', () => {
  it('answers an unknown email, a wrong password and a locked account alike', async () => {
    const u = await makeWebUser(ctx, 'link_worker');
    // the whole page, but for its per-response secrets and the email typed
    const text = (html: string, email: string) =>
      html.replace(/nonce="[^"]*"/g, 'nonce').replace(/name="_csrf" value="[^"]*"/g, 'csrf').replaceAll(email, 'EMAIL');
    const unknown = await new WebClient(ctx.baseUrl).signIn('nobody-here@example.org', 'some password here');
    const wrong = await new WebClient(ctx.baseUrl).signIn(u.email, 'some password here');
    for (let i = 0; i < 5; i++) await new WebClient(ctx.baseUrl).signIn(u.email, 'some password here');
    const locked = await new WebClient(ctx.baseUrl).signIn(u.email, 'some password here');
    expect([unknown.status, wrong.status, locked.status]).toEqual([401, 401, 401]);
    expect(text(wrong.text, u.email)).toBe(text(unknown.text, 'nobody-here@example.org'));
    expect(text(locked.text, u.email)).toBe(text(unknown.text, 'nobody-here@example.org'));
    expect(locked.text).not.toMatch(/This account is locked|Account locked/);
  });
});
