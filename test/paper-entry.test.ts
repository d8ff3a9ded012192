/**
 * Paper and phone: a coordinator keys in a checklist on someone's behalf, recording the channel,
 * the referrer and when the hub received it; the clocks run from receipt, not from entry. Who may
 * claim what: a link worker's checklist is the API's own, and only the web form is 'web'.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../src/kernel/clock.js';
import { apiClient } from './helpers/api.js';
import { makeWebUser } from './helpers/browser.js';
import { createTestContext, type TestContext } from './helpers/context.js';
import { makeUser, seedChecklist, submissionBody, type TestUser } from './helpers/factories.js';
import { WebClient } from './helpers/web-client.js';

let ctx: TestContext;
let q: Awaited<ReturnType<typeof seedChecklist>>;
let coordinator: TestUser;
let worker: TestUser;
let api: ReturnType<typeof apiClient>;
let organisationId: string;

beforeAll(async () => {
  ctx = await createTestContext();
  q = await seedChecklist(ctx);
  coordinator = await makeUser(ctx, 'coordinator');
  worker = await makeUser(ctx, 'link_worker');
  api = apiClient(ctx.baseUrl);
  organisationId = (await ctx.db.selectFrom('organisations').select('id').orderBy('name').executeTakeFirstOrThrow()).id;
});
afterAll(async () => ctx?.close());

const submission = (id: string) => ctx.db.selectFrom('submissions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('POST /api/v1/submissions on the referrer’s behalf', () => {
  it('a phone checklist received hours ago: channel, referrer and deadlines from receipt', async () => {
    const now = ctx.clock.now();
    const receivedAt = new Date(now.getTime() - 5 * HOUR);
    const res = await api.post('/api/v1/submissions', coordinator.token, {
      ...submissionBody(q, [q.questions[0]!.id, q.questions[3]!.id]),
      channel: 'phone',
      receivedAt: receivedAt.toISOString(),
      referrer: { organisationId, name: 'PC Sam Patel' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.receivedAt).toBe(receivedAt.toISOString());
    const s = await submission(res.body.id);
    expect(s).toMatchObject({ channel: 'phone', referrerName: 'PC Sam Patel', referrerOrganisationText: null, organisationId, submittedBy: coordinator.id });
    expect(s.receivedAt.getTime()).toBe(receivedAt.getTime());
    expect(s.enteredAt!.getTime()).toBe(now.getTime());
    const referrals = await ctx.db.selectFrom('referrals').selectAll().where('submissionId', '=', s.id).execute();
    expect(referrals).toHaveLength(2);
    for (const r of referrals) {
      expect(r.receivedAt.getTime()).toBe(receivedAt.getTime());
      expect(r.forwardDueAt.getTime()).toBe(receivedAt.getTime() + 24 * HOUR);
    }
    for (const r of res.body.referrals) expect(r.forwardDueAt).toBe(new Date(receivedAt.getTime() + 24 * HOUR).toISOString());
  });

  it('a paper checklist with the referrer in free text', async () => {
    const receivedAt = new Date(ctx.clock.now().getTime() - 3 * DAY);
    const res = await api.post('/api/v1/submissions', coordinator.token, {
      ...submissionBody(q, [q.questions[5]!.id]),
      channel: 'paper',
      receivedAt: receivedAt.toISOString(),
      referrer: { organisationText: 'St Anne’s Church lunch club', name: 'Mrs Okafor' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const s = await submission(res.body.id);
    expect(s).toMatchObject({ channel: 'paper', referrerOrganisationText: 'St Anne’s Church lunch club', referrerName: 'Mrs Okafor' });
    // received three days ago: the forward clock ran out long ago, and the sweep will say so
    expect(res.body.referrals[0].forwardDueAt).toBe(new Date(receivedAt.getTime() + 24 * HOUR).toISOString());
  });

  it('a link worker’s checklist is the API’s own; receipt is now', async () => {
    const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id]));
    expect(res.status).toBe(201);
    const s = await submission(res.body.id);
    expect(s.channel).toBe('api');
    expect(s.enteredAt).toBeNull();
    expect(s.receivedAt.getTime()).toBe(ctx.clock.now().getTime());
  });

  const refused = async (token: string, extra: Record<string, unknown>, path: string) => {
    const before = Number((await ctx.db.selectFrom('submissions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const res = await api.post('/api/v1/submissions', token, { ...submissionBody(q, [q.questions[0]!.id]), ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    const after = Number((await ctx.db.selectFrom('submissions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    expect(after).toBe(before);
  };

  it('refuses a receipt in the future, one too old, and paper or phone without one (400 naming the field)', async () => {
    const now = ctx.clock.now().getTime();
    await refused(coordinator.token, { channel: 'phone', receivedAt: new Date(now + HOUR).toISOString() }, 'receivedAt');
    await refused(coordinator.token, { channel: 'paper', receivedAt: new Date(now - 61 * DAY).toISOString() }, 'receivedAt');
    await refused(coordinator.token, { channel: 'paper' }, 'receivedAt');
    await refused(coordinator.token, { channel: 'paper', receivedAt: 'yesterday' }, 'receivedAt');
  });

  it('refuses what the caller may not claim', async () => {
    const hourAgo = new Date(ctx.clock.now().getTime() - HOUR).toISOString();
    await refused(worker.token, { channel: 'paper', receivedAt: hourAgo }, 'channel');
    await refused(worker.token, { receivedAt: hourAgo }, 'receivedAt');
    await refused(worker.token, { referrer: { name: 'Someone' } }, 'referrer');
    await refused(coordinator.token, { channel: 'self_referral' }, 'channel');
    await refused(coordinator.token, { channel: 'web' }, 'channel');
    await refused(coordinator.token, { channel: 'fax' }, 'channel');
    await refused(coordinator.token, { channel: 'api', receivedAt: hourAgo }, 'receivedAt');
    await refused(coordinator.token, { channel: 'phone', receivedAt: hourAgo, referrer: { organisationId: '00000000-0000-4000-8000-000000000000' } }, 'referrer.organisationId');
    await refused(coordinator.token, { channel: 'phone', receivedAt: hourAgo, referrer: { organisationId, organisationText: 'Both' } }, 'referrer.organisationText');
    await refused(coordinator.token, { channel: 'phone', receivedAt: hourAgo, referrer: { name: 'x'.repeat(201) } }, 'referrer.name');
  });
});

describe('the hub’s page for paper and phone checklists', () => {
  it('keys one in with the London date and time it was received', async () => {
    const user = await makeWebUser(ctx, 'coordinator');
    const c = new WebClient(ctx.baseUrl);
    expect((await c.signIn(user.email, user.password)).status).toBe(303);
    const page = await c.get('/hub/checklists/new');
    expect(page.status).toBe(200);
    const base = new URLSearchParams({
      _csrf: WebClient.csrfOf(page.text),
      questionnaireId: q.id,
      idempotencyKey: /name="idempotencyKey" value="([^"]+)"/.exec(page.text)![1]!,
      givenName: 'Arthur',
      familyName: 'Papercase',
      'dateOfBirth[day]': '9',
      'dateOfBirth[month]': '9',
      'dateOfBirth[year]': '1939',
      postcode: 'SE1 7PB',
      phone: '020 7946 0999',
      preferredContact: 'phone',
      consentBy: 'person',
      consentGiven: 'yes',
      sharingAgreed: 'yes',
      channel: 'paper',
      referrerOrganisationText: 'Riverside GP surgery',
    });
    for (const s of q.sections) base.append(`s_${s.id}`, s.questions.some((x) => x.id === q.questions[0]!.id) ? q.questions[0]!.id : 'none');
    // the clock's day before, at 09:30 in London
    const yesterday = new Date(ctx.clock.now().getTime() - DAY);
    const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(yesterday).split('-');
    const missing = await c.post('/hub/checklists/new', base.toString());
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Enter the date the hub received it');
    base.set('receivedOn[day]', d!);
    base.set('receivedOn[month]', m!);
    base.set('receivedOn[year]', y!);
    base.set('receivedTime', '09:30');
    const res = await c.post('/hub/checklists/new', base.toString());
    expect(res.status, res.text.slice(0, 3000)).toBe(303);
    const id = /\/submissions\/([0-9a-f-]+)/.exec(res.location!)![1]!;
    const s = await submission(id);
    expect(s.channel).toBe('paper');
    expect(s.referrerOrganisationText).toBe('Riverside GP surgery');
    const london = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', dateStyle: 'short', timeStyle: 'short' }).format(s.receivedAt);
    expect(london).toBe(`${d}/${m}/${y}, 09:30`);
    const [r] = await ctx.db.selectFrom('referrals').selectAll().where('submissionId', '=', id).execute();
    expect(r!.forwardDueAt.getTime()).toBe(s.receivedAt.getTime() + 24 * HOUR);
  });

  it('the link worker’s web form records channel web', async () => {
    const user = await makeWebUser(ctx, 'link_worker');
    const c = new WebClient(ctx.baseUrl);
    await c.signIn(user.email, user.password);
    const page = await c.get('/checklist');
    const form = new URLSearchParams({
      _csrf: WebClient.csrfOf(page.text),
      questionnaireId: q.id,
      idempotencyKey: /name="idempotencyKey" value="([^"]+)"/.exec(page.text)![1]!,
      consentRecordedAt: ctx.clock.now().toISOString(),
      givenName: 'Wendy',
      familyName: 'Webform',
      'dateOfBirth[day]': '1',
      'dateOfBirth[month]': '2',
      'dateOfBirth[year]': '1944',
      postcode: 'SE1 7PB',
      phone: '020 7946 0111',
      preferredContact: 'phone',
      consentBy: 'person',
      consentGiven: 'yes',
      sharingAgreed: 'yes',
    });
    for (const s of q.sections) form.append(`s_${s.id}`, 'none');
    const res = await c.post('/checklist', form.toString());
    expect(res.status, res.text.slice(0, 2000)).toBe(303);
    const id = /\/submissions\/([0-9a-f-]+)/.exec(res.location!)![1]!;
    expect((await submission(id)).channel).toBe('web');
  });
});

describe('the printable blank checklist', () => {
  it('is public, from the current version, with every section, the consent wording and the hub’s address and phone', async () => {
    const res = await new WebClient(ctx.baseUrl).get('/paper-checklist');
    expect(res.status).toBe(200);
    for (const s of q.sections) expect(res.text).toContain(s.title.replace(/&/g, '&amp;').replace(/'/g, '&#39;'));
    for (const x of q.questions) expect(res.text).toContain(x.text.replace(/&/g, '&amp;').replace(/'/g, '&#39;'));
    expect(res.text).toContain(ctx.env.HUB_PHONE);
    for (const line of ctx.env.HUB_ADDRESS.split(',')) expect(res.text).toContain(line.trim());
    expect(res.text).toContain('You can change your mind at any time');
  });
});
