/**
 * Self-referral from an unauthenticated browser (plain HTTP, no session): it lands in triage,
 * nothing reaches an agency until a coordinator releases it, and the forward clock counts from
 * receipt. The anti-abuse measures: the honeypot, the size limits, the rate limits (429 with
 * Retry-After, holding across two app instances sharing Redis), and Redis being down.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { HtmlValidate } from 'html-validate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../config/env.js';
import { HOUR } from '../src/kernel/clock.js';
import { createApp } from '../src/app.js';
import { createLogger } from '../src/platform/logger.js';
import { createProducer } from '../src/platform/jobs/producer.js';
import { createHttpServer, listen } from '../src/server.js';
import { runSweep } from '../src/modules/sla/sla.service.js';
import type { ServiceDeps } from '../src/platform/deps.js';
import { createTestContext, deleteRedisPrefix, type TestContext } from './helpers/context.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { seedChecklist } from './helpers/factories.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { WebClient } from './helpers/web-client.js';
import { referenceOf, releaseSelfReferralForm, selfReferralForm, sendSelfReferral } from './helpers/self-referral.js';

let ctx: TestContext;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let coordinator: WebUser;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  // this file's own app is not what the rate-limit cases measure (they start instances of their own)
  ctx = await createTestContext({ SELF_REFERRAL_PER_ADDRESS_PER_HOUR: '1000' });
  q = await seedChecklist(ctx);
  coordinator = await makeWebUser(ctx, 'coordinator');
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await ctx?.close();
});

const form = (yes: number[], over: Record<string, string> = {}) => selfReferralForm(q, yes, over);
const send = sendSelfReferral;
const count = async (table: 'selfReferrals' | 'submissions' | 'referrals') => Number((await ctx.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
const countConfirmations = async () =>
  Number((await ctx.db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n')).where('kind', '=', 'self_referral_received').executeTakeFirstOrThrow()).n);

async function signedInCoordinator() {
  const c = new WebClient(ctx.baseUrl);
  expect((await c.signIn(coordinator.email, coordinator.password)).status).toBe(303);
  return c;
}

const release = releaseSelfReferralForm;

describe('a self-referral', () => {
  it('lands in triage from an unauthenticated browser: nothing is forwarded, the reference is returned, a confirmation mailed', async () => {
    const [subs, refs] = [await count('submissions'), await count('referrals')];
    const res = await send(ctx.baseUrl, form([0, 3]));
    expect(res.status).toBe(200);
    const reference = referenceOf(res.text);
    expect(reference).toMatch(/^SP-/);
    // the thank-you page shows the reference and nothing about anybody
    expect(res.text).not.toContain('Edna');
    const row = await ctx.db.selectFrom('selfReferrals').selectAll().where('reference', '=', reference!).executeTakeFirstOrThrow();
    expect(row.status).toBe('open');
    expect(row.filledInBy).toBe('someone_else');
    expect(row.receivedAt.getTime()).toBe(ctx.clock.now().getTime());
    expect(row.forwardDueAt.getTime()).toBe(ctx.clock.now().getTime() + 24 * HOUR);
    expect((row.body as { consent: { by: string; representativeName: string } }).consent).toMatchObject({ by: 'representative', representativeName: 'Jo Daughter' });
    expect(await count('submissions')).toBe(subs);
    expect(await count('referrals')).toBe(refs);
    const mail = await ctx.db.selectFrom('notifications').selectAll().where('kind', '=', 'self_referral_received').where('dedupeKey', '=', `self-referral:${row.id}`).executeTakeFirstOrThrow();
    expect(mail.recipient).toBe('edna@example.org');
    expect(mail.bodyText).toContain(reference!);
    expect(mail.subject + mail.bodyText).not.toMatch(/Edna|Selfref|fire|falls/i);
  });

  it('the same form sent twice with the same details (a double click, a refresh) is one self-referral with one reference', async () => {
    const client = new WebClient(ctx.baseUrl);
    const page = await client.get('/self-referral');
    const csrf = WebClient.csrfOf(page.text);
    const key = /name="formKey" value="([^"]+)"/.exec(page.text)![1]!;
    const details = form([1]);
    const body = `${details}&_csrf=${encodeURIComponent(csrf)}&formKey=${key}`;
    const before = await count('selfReferrals');
    const mails = await countConfirmations();
    const first = await client.post('/self-referral', body);
    expect(first.status).toBe(200);
    // the thank-you cleared the cookie: a refresh re-posts with a fresh page's token
    ctx.clock.advance(5_000);
    const again = await send(ctx.baseUrl, details, key);
    expect(again.status).toBe(200);
    expect(referenceOf(again.text)).toBe(referenceOf(first.text));
    expect(again.text).not.toContain('You sent this form before');
    expect(await count('selfReferrals')).toBe(before + 1);
    expect(await countConfirmations()).toBe(mails + 1);
  });

  it('a form sent again with different details (back, a typo put right, send) is stored as a new item, never dropped, and the hub sees both as one form', async () => {
    const key = `resent-${randomBytes(6).toString('hex')}`;
    const typo = form([0], { phone: '020 7946 0999' });
    const first = await send(ctx.baseUrl, typo, key);
    const firstRef = referenceOf(first.text)!;
    expect(firstRef).toMatch(/^SP-/);
    // the person presses back, corrects the phone number and sends the same form again
    ctx.clock.advance(60_000);
    const fixed = new URLSearchParams(typo);
    fixed.set('phone', '020 7946 0456');
    const corrected = fixed.toString();
    const before = await count('selfReferrals');
    const second = await send(ctx.baseUrl, corrected, key);
    expect(second.status).toBe(200);
    const secondRef = referenceOf(second.text)!;
    expect(secondRef).toMatch(/^SP-/);
    expect(secondRef).not.toBe(firstRef);
    expect(second.text).toContain(`You sent this form before, with reference ${firstRef}`);
    expect(await count('selfReferrals')).toBe(before + 1);
    const rows = await ctx.db.selectFrom('selfReferrals').selectAll().where('formKey', '=', key).orderBy('receivedAt').execute();
    expect(rows.map((r) => [r.reference, r.status, (r.body as { person: { phone: string } }).person.phone])).toEqual([
      [firstRef, 'open', '020 7946 0999'],
      [secondRef, 'open', '020 7946 0456'],
    ]);
    // the correction sent twice is still one item
    expect(referenceOf((await send(ctx.baseUrl, corrected, key)).text)).toBe(secondRef);
    expect(await count('selfReferrals')).toBe(before + 1);
    // the hub sees both, each pointing at the other
    const c = await signedInCoordinator();
    const list = await c.get('/hub/triage');
    for (const ref of [firstRef, secondRef]) expect(list.text).toMatch(new RegExp(`${ref}</a>\\s*<strong class="nhsuk-tag nhsuk-tag--yellow"[^>]*>\\s*Form sent more than once`));
    const item = await c.get(`/hub/triage/${rows[1]!.id}`);
    expect(item.text).toContain('This form was sent more than once');
    expect(item.text).toContain(`<a href="/hub/triage/${rows[0]!.id}">${firstRef}</a>`);
    expect((await c.get(`/hub/triage/${rows[0]!.id}`)).text).toContain(`<a href="/hub/triage/${rows[1]!.id}">${secondRef}</a>`);
    // the new words are valid HTML (the browser page checks see neither)
    const validator = new HtmlValidate({ extends: ['html-validate:standard'] });
    for (const html of [second.text, item.text]) {
      const report = await validator.validateString(html);
      expect(report.results.flatMap((r) => r.messages.map((m) => `${m.ruleId} (line ${m.line}): ${m.message}`))).toEqual([]);
    }
  });

  it('a form with mistakes shows them and stores nothing', async () => {
    const before = await count('selfReferrals');
    const res = await send(ctx.baseUrl, form([0], { fillingIn: '', consent: '', givenName: '' }));
    expect(res.status).toBe(400);
    expect(res.text).toContain('Say who is filling this in');
    expect(res.text).toContain('Tick the box to agree');
    expect(res.text).toContain('Enter the first name of the person who needs help');
    expect(await count('selfReferrals')).toBe(before);
  });

  it('a filled honeypot gets the same thank-you and nothing is stored', async () => {
    const before = await count('selfReferrals');
    const res = await send(ctx.baseUrl, form([0], { website: 'http://spam.example' }));
    expect(res.status).toBe(200);
    expect(referenceOf(res.text)).toMatch(/^SP-/);
    expect(await count('selfReferrals')).toBe(before);
  });

  it('refuses a body over its size limit (413) and a field over its length (400), storing nothing', async () => {
    const before = await count('selfReferrals');
    const big = await send(ctx.baseUrl, form([0], { accessNeeds: 'x'.repeat(40_000) }));
    expect(big.status).toBe(413);
    const long = await send(ctx.baseUrl, form([0], { givenName: 'E'.repeat(101) }));
    expect(long.status).toBe(400);
    expect(long.text).toContain('id="givenName-error"');
    expect(await count('selfReferrals')).toBe(before);
  });

  it('without the page’s CSRF cookie, nothing is stored', async () => {
    const before = await count('selfReferrals');
    const res = await new WebClient(ctx.baseUrl).post('/self-referral', `${form([0])}&_csrf=forged&formKey=abcdefgh-1234`);
    expect(res.status).toBe(403);
    expect(await count('selfReferrals')).toBe(before);
  });
});

describe('triage', () => {
  it('a coordinator releases it after the call, with a corrected answer: referrals made, forward clock from receipt', async () => {
    const res = await send(ctx.baseUrl, form([0]));
    const reference = referenceOf(res.text)!;
    const item = await ctx.db.selectFrom('selfReferrals').selectAll().where('reference', '=', reference).executeTakeFirstOrThrow();
    const receivedAt = item.receivedAt;
    // the list, with the item and its deadline; reading it is audited
    ctx.clock.advance(3 * HOUR);
    const c = await signedInCoordinator();
    const list = await c.get('/hub/triage');
    expect(list.status).toBe(200);
    expect(list.text).toContain(reference);
    const dash = await c.get('/hub');
    expect(dash.text).toMatch(/\d+ waiting for a call/);
    // on the call: falls prevention too (question 3)
    const done = await release(c, item.id, (p) => {
      const sec = q.sections.find((s) => s.questions.some((x) => x.id === q.questions[3]!.id))!;
      p.delete(`s_${sec.id}`);
      p.append(`s_${sec.id}`, q.questions[3]!.id);
      p.set('callNote', 'Spoke to Edna; she would like the falls team too');
    });
    expect(done.status, done.text.slice(0, 2000)).toBe(303);
    // back on the triage list, which says what the release made
    expect(done.location).toBe(`/hub/triage?released=${item.id}`);
    const said = await c.get(done.location!);
    expect(said.text).toMatch(new RegExp(`${reference} released:\\s+2 referrals made, to`));
    expect(said.text).toContain(q.questions[3]!.agencyName.replace(/&/g, '&amp;'));
    const sub = await ctx.db.selectFrom('submissions').selectAll().where('reference', '=', reference).executeTakeFirstOrThrow();
    expect(sub.channel).toBe('self_referral');
    expect(sub.receivedAt.getTime()).toBe(receivedAt.getTime());
    expect(sub.submittedBy).toBe(coordinator.id);
    const referrals = await ctx.db.selectFrom('referrals').selectAll().where('submissionId', '=', sub.id).execute();
    expect(referrals.map((r) => r.agencyId).sort()).toEqual([q.questions[0]!.agencyId, q.questions[3]!.agencyId].sort());
    for (const r of referrals) {
      expect(r.status).toBe('pending');
      expect(r.forwardDueAt.getTime()).toBe(receivedAt.getTime() + 24 * HOUR);
    }
    const after = await ctx.db.selectFrom('selfReferrals').selectAll().where('id', '=', item.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'released', submissionId: sub.id, body: null, confirmEmail: null, callNote: 'Spoke to Edna; she would like the falls team too' });
    const audits = await ctx.db.selectFrom('auditLog').select(['action']).where('entity', '=', 'self_referral').where('entityId', '=', item.id).execute();
    expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(['list', 'read', 'self_referral.released']));
    // a second release is refused: nothing made twice
    const twice = await c.postWithCsrf('/hub/checklists/new', `/hub/triage/${item.id}/release`, { questionnaireId: q.id });
    expect(twice.status).toBe(409);
    expect(twice.text).toContain('already released or closed');
    const decided = await c.get(`/hub/triage/${item.id}`);
    expect(decided.text).toContain('Released: referrals made');
    expect(await ctx.db.selectFrom('submissions').select('id').where('reference', '=', reference).execute()).toHaveLength(1);
  });

  it('released after its forward deadline, its referrals carry that deadline and the sweep records the breach at once', async () => {
    const res = await send(ctx.baseUrl, form([5]));
    const item = await ctx.db.selectFrom('selfReferrals').selectAll().where('reference', '=', referenceOf(res.text)!).executeTakeFirstOrThrow();
    ctx.clock.advance(26 * HOUR);
    const c = await signedInCoordinator();
    expect((await c.get('/hub/triage')).text).toContain('Overdue');
    expect((await release(c, item.id)).status).toBe(303);
    const sub = await ctx.db.selectFrom('submissions').select('id').where('reference', '=', item.reference).executeTakeFirstOrThrow();
    const [r] = await ctx.db.selectFrom('referrals').selectAll().where('submissionId', '=', sub.id).execute();
    expect(r!.forwardDueAt.getTime()).toBe(item.receivedAt.getTime() + 24 * HOUR);
    await runSweep(ctx as ServiceDeps);
    const breaches = await ctx.db.selectFrom('slaBreaches').selectAll().where('referralId', '=', r!.id).execute();
    expect(breaches.map((b) => b.clock)).toEqual(['forward']);
    expect(breaches[0]!.dueAt.getTime()).toBe(item.receivedAt.getTime() + 24 * HOUR);
  });

  it('a coordinator closes one with a reason: nothing is made, what was sent is erased', async () => {
    const [subs, refs] = [await count('submissions'), await count('referrals')];
    const res = await send(ctx.baseUrl, form([0]));
    const item = await ctx.db.selectFrom('selfReferrals').selectAll().where('reference', '=', referenceOf(res.text)!).executeTakeFirstOrThrow();
    const c = await signedInCoordinator();
    const missing = await c.postWithCsrf(`/hub/triage/${item.id}/close`, `/hub/triage/${item.id}/close`, { reason: 'other' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Say why it is being closed');
    const closed = await c.postWithCsrf(`/hub/triage/${item.id}/close`, `/hub/triage/${item.id}/close`, { reason: 'person_declined', note: 'Her son had already arranged help' });
    expect(closed.status).toBe(303);
    const after = await ctx.db.selectFrom('selfReferrals').selectAll().where('id', '=', item.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'closed', closeReason: 'person_declined', closeNote: 'Her son had already arranged help', body: null, confirmEmail: null, decidedBy: coordinator.id });
    expect(await count('submissions')).toBe(subs);
    expect(await count('referrals')).toBe(refs);
    expect((await c.get('/hub/triage')).text).not.toContain(item.reference);
  });

  it('is the hub’s only: a link worker and the public cannot see the list', async () => {
    const lw = await makeWebUser(ctx, 'link_worker');
    const c = new WebClient(ctx.baseUrl);
    await c.signIn(lw.email, lw.password);
    expect((await c.get('/hub/triage')).status).toBe(403);
    expect((await new WebClient(ctx.baseUrl).get('/hub/triage')).status).toBe(303);
  });
});

/** Another app instance over the same database, with its own Redis connection (and so its own limiter). */
async function instance(env: Record<string, string>, opts: { prefix: string; redisUrl?: string; logger?: ServiceDeps['logger'] }): Promise<string> {
  const e = loadEnv({ ...Object.fromEntries(Object.entries(ctx.env).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)])), QUEUE_PREFIX: opts.prefix, ...env });
  const jobs = createProducer({ redisUrl: opts.redisUrl ?? TEST_REDIS_URL, prefix: opts.prefix, logger: ctx.logger, mode: 'fail-fast' });
  // a request made before the connection is ready is counted by the in-memory insurance limiter,
  // not in Redis: wait for it, so that every request of a test counts in one place
  if (!opts.redisUrl) await jobs.ping();
  const deps: ServiceDeps = { ...(ctx as ServiceDeps), env: e, jobs, ...(opts.logger ? { logger: opts.logger } : {}) };
  const server: Server = await listen(createHttpServer(createApp(deps), e), 0, '127.0.0.1');
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await jobs.close();
    await deleteRedisPrefix(opts.prefix);
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the rate limits', () => {
  it('per address: 429 with Retry-After, holding across two API instances sharing Redis', async () => {
    const prefix = `sp-test-rl-${randomBytes(4).toString('hex')}`;
    const limits = { SELF_REFERRAL_PER_ADDRESS_PER_HOUR: '3', SELF_REFERRAL_GLOBAL_PER_HOUR: '100' };
    const [a, b] = [await instance(limits, { prefix }), await instance(limits, { prefix })];
    expect((await send(a, form([0]))).status).toBe(200);
    expect((await send(b, form([0]))).status).toBe(200);
    expect((await send(a, form([0]))).status).toBe(200);
    const before = await count('selfReferrals');
    const refused = await send(b, form([0]));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.text).toContain(ctx.env.HUB_PHONE);
    expect((await send(a, form([0]))).status).toBe(429);
    expect(await count('selfReferrals')).toBe(before);
    // a form with a mistake does not spend the allowance, and is still answered
    expect((await send(a, form([0], { consent: '' }))).status).toBe(400);
  });

  it('globally: everyone is refused once the hour’s allowance is spent', async () => {
    const prefix = `sp-test-rl-${randomBytes(4).toString('hex')}`;
    const limits = { SELF_REFERRAL_PER_ADDRESS_PER_HOUR: '100', SELF_REFERRAL_GLOBAL_PER_HOUR: '2' };
    const [a, b] = [await instance(limits, { prefix }), await instance(limits, { prefix })];
    expect((await send(a, form([0]))).status).toBe(200);
    expect((await send(b, form([0]))).status).toBe(200);
    const refused = await send(a, form([0]));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('with Redis down, the page still answers, and the in-memory insurance limit still holds', async () => {
    const prefix = `sp-test-rl-${randomBytes(4).toString('hex')}`;
    const down = await instance({ SELF_REFERRAL_PER_ADDRESS_PER_HOUR: '2', SELF_REFERRAL_GLOBAL_PER_HOUR: '100' }, { prefix, redisUrl: 'redis://127.0.0.1:1' });
    const first = await send(down, form([0]));
    expect(first.status).toBe(200);
    expect(await ctx.db.selectFrom('selfReferrals').select('id').where('reference', '=', referenceOf(first.text)!).executeTakeFirst()).toBeDefined();
    expect((await send(down, form([0]))).status).toBe(200);
    expect((await send(down, form([0]))).status).toBe(429);
  });
});

describe('what spends the allowance, and whose it is', () => {
  const limited = (env: Record<string, string> = {}, logger?: ServiceDeps['logger']) =>
    instance({ SELF_REFERRAL_PER_ADDRESS_PER_HOUR: '2', SELF_REFERRAL_GLOBAL_PER_HOUR: '3', ...env }, { prefix: `sp-test-rl-${randomBytes(4).toString('hex')}`, logger });
  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('robots filling the honeypot never lock a real person out, from their address or anyone’s', async () => {
    const base = await limited();
    for (let i = 0; i < 12; i++) {
      const robot = await send(base, form([0], { website: 'http://spam.example', givenName: '', consent: '' }));
      expect(robot.status).toBe(200);
    }
    const before = await count('selfReferrals');
    for (let i = 0; i < 2; i++) expect((await send(base, form([0]))).status).toBe(200);
    expect(await count('selfReferrals')).toBe(before + 2);
    // and the allowance still holds for what is stored
    expect((await send(base, form([0]))).status).toBe(429);
  });

  it('invalid and oversized posts do not spend it: only a request that is stored does', async () => {
    const base = await limited();
    for (let i = 0; i < 4; i++) {
      // a date of birth in the future passes the form, and is refused by the checklist's rules
      const invalid = await send(base, form([0], { 'dateOfBirth[year]': '2090' }));
      expect(invalid.status).toBe(400);
      expect(invalid.text).toContain('must not be in the future');
      expect((await send(base, form([0], { accessNeeds: 'x'.repeat(40_000) }))).status).toBe(413);
      expect((await send(base, form([0], { consent: '' }))).status).toBe(400);
    }
    // the same details sent twice are stored once, and spend once
    const key = `spend-${randomBytes(6).toString('hex')}`;
    const once = form([0]);
    expect((await send(base, once, key)).status).toBe(200);
    expect((await send(base, once, key)).status).toBe(200);
    expect((await send(base, form([0]))).status).toBe(200);
    expect((await send(base, form([0]))).status).toBe(429);
  });

  it('with TRUST_PROXY off (the default), X-Forwarded-For does not change whose allowance is spent, and is logged once', async () => {
    const lines: string[] = [];
    const base = await limited({}, createLogger('warn', { write: (line: string) => void lines.push(line) }));
    expect((await send(base, form([0]), undefined, from('198.51.100.1'))).status).toBe(200);
    expect((await send(base, form([0]), undefined, from('198.51.100.2'))).status).toBe(200);
    expect((await send(base, form([0]), undefined, from('198.51.100.3'))).status).toBe(429);
    const warnings = lines.filter((l) => l.includes('TRUST_PROXY'));
    expect(warnings).toHaveLength(1);
    expect(lines.join('')).not.toContain('198.51.100');
  });

  it('with TRUST_PROXY trusting the client (a proxy on this machine), X-Forwarded-For names the address', async () => {
    const base = await limited({ SELF_REFERRAL_GLOBAL_PER_HOUR: '100', TRUST_PROXY: 'loopback' });
    for (const address of ['198.51.100.1', '198.51.100.1', '198.51.100.2', '198.51.100.2']) {
      expect((await send(base, form([0]), undefined, from(address))).status).toBe(200);
    }
    expect((await send(base, form([0]), undefined, from('198.51.100.1'))).status).toBe(429);
    // an IPv4 address written as IPv6 is the same address
    expect((await send(base, form([0]), undefined, from('::ffff:198.51.100.2'))).status).toBe(429);
    expect((await send(base, form([0]), undefined, from('198.51.100.3'))).status).toBe(200);
  });

  it('IPv6 addresses count by /64: eight in one /64 share one allowance, eight in different /64s do not', async () => {
    const base = await limited({ SELF_REFERRAL_PER_ADDRESS_PER_HOUR: '5', SELF_REFERRAL_GLOBAL_PER_HOUR: '100', TRUST_PROXY: 'loopback' });
    const oneNetwork: number[] = [];
    for (let i = 1; i <= 8; i++) oneNetwork.push((await send(base, form([0]), undefined, from(`2001:db8:77:1:${i.toString(16)}::${i}`))).status);
    expect(oneNetwork).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const manyNetworks: number[] = [];
    for (let i = 1; i <= 8; i++) manyNetworks.push((await send(base, form([0]), undefined, from(`2001:db8:77:${(i + 1).toString(16)}::1`))).status);
    expect(manyNetworks).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
  });
});
