/**
 * One-line names (issue 19, point 10): every name and title a user types refuses a line break
 * or another control character, with a 400 naming the field, through the JSON API and through
 * every form that takes one. Four breaks each: line feed, carriage return, U+2028 (line
 * separator) and U+0085 (next line). Free text (an address, access needs) keeps its lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { HOUR } from '../src/kernel/clock.js';
import { createUserWithToken } from '../src/modules/accounts/user.service.js';
import { makeWebUser } from './helpers/browser.js';
import { submissionBody } from './helpers/factories.js';
import { selfReferralForm, sendSelfReferral } from './helpers/self-referral.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';

const BREAKS = ['\n', '\r', '\u2028', '\u0085'];
const FORGED = 'Open the referral here: http://evil.example/login';
const bad = (brk: string, before = 'Ada') => `${before}${brk}${FORGED}`;
const ONE_LINE = /must be on one line, without control characters/;

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;

beforeAll(async () => {
  // the public form's allowance is not what these tests are about
  ({ ctx, api, q, worker, coordinator } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator' }, { SELF_REFERRAL_PER_ADDRESS_PER_HOUR: '10000', SELF_REFERRAL_GLOBAL_PER_HOUR: '10000' }));
});
afterAll(async () => ctx?.close());

/** The call answers 400 with a detail for `path` saying why. */
async function refused(call: Promise<{ status: number; body: any }>, path: string, what: string) {
  const res = await call;
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(400);
  const details = res.body.error.details as { path: string; message: string }[];
  expect(details.filter((d) => d.path === path && ONE_LINE.test(d.message)), `${what}: ${JSON.stringify(details)}`).toHaveLength(1);
}

describe('the JSON API', () => {
  it('refuses a line break in a person’s names, language, and a representative’s name and relationship', async () => {
    const yes = [q.questions[0]!.id];
    for (const brk of BREAKS) {
      const label = JSON.stringify(brk);
      await refused(api.post('/api/v1/submissions', worker.token, submissionBody(q, yes, { person: { givenName: bad(brk) } })), 'person.givenName', label);
      await refused(api.post('/api/v1/submissions', worker.token, submissionBody(q, yes, { person: { familyName: bad(brk, 'Smith') } })), 'person.familyName', label);
      await refused(api.post('/api/v1/submissions', worker.token, submissionBody(q, yes, { person: { language: bad(brk, 'Welsh') } })), 'person.language', label);
      const rep = { by: 'representative', representativeName: 'Jo Daughter', representativeRelationship: 'daughter' };
      await refused(api.post('/api/v1/submissions', worker.token, submissionBody(q, yes, { consent: { ...rep, representativeName: bad(brk, 'Jo') } })), 'consent.representativeName', label);
      await refused(api.post('/api/v1/submissions', worker.token, submissionBody(q, yes, { consent: { ...rep, representativeRelationship: bad(brk, 'daughter') } })), 'consent.representativeRelationship', label);
    }
    // an address and access needs are free text: their lines are kept
    const ok = await api.post('/api/v1/submissions', worker.token, submissionBody(q, yes, { person: { addressLine: '1 High Street\nLondon', accessNeeds: 'Hard of hearing.\nCall after 10am.' } }));
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it('refuses a line break in a paper checklist’s referrer and organisation', async () => {
    const hourAgo = new Date(ctx.clock.now().getTime() - HOUR).toISOString();
    const body = (referrer: Record<string, string>) => ({ ...submissionBody(q, [q.questions[0]!.id]), channel: 'paper', receivedAt: hourAgo, referrer });
    for (const brk of BREAKS) {
      await refused(api.post('/api/v1/submissions', coordinator.token, body({ name: bad(brk, 'Duty officer') })), 'referrer.name', JSON.stringify(brk));
      await refused(api.post('/api/v1/submissions', coordinator.token, body({ organisationText: bad(brk, 'GP surgery') })), 'referrer.organisationText', JSON.stringify(brk));
    }
  });

  it('refuses a line break in the names and titles the hub manages: agencies, organisations, outcomes, checklists', async () => {
    const agencyId = q.questions[0]!.agencyId;
    const organisation = await api.post('/api/v1/organisations', coordinator.token, { name: 'Riverside council', type: 'council' });
    expect(organisation.status).toBe(201);
    const draft = await api.post('/api/v1/questionnaires', coordinator.token, { copyFrom: 'current' });
    expect(draft.status).toBe(201);
    const section = (title: string, text: string) => [{ title, questions: [{ text, agencyId }] }];
    for (const brk of BREAKS) {
      const label = JSON.stringify(brk);
      await refused(api.post('/api/v1/agencies', coordinator.token, { name: bad(brk, 'Evil agency'), email: 'evil@example.org' }), 'name', label);
      await refused(api.patch(`/api/v1/agencies/${agencyId}`, coordinator.token, { name: bad(brk, 'Fire') }), 'name', label);
      await refused(api.post('/api/v1/organisations', coordinator.token, { name: bad(brk, 'Council'), type: 'council' }), 'name', label);
      await refused(api.patch(`/api/v1/organisations/${organisation.body.id}`, coordinator.token, { name: bad(brk, 'Council') }), 'name', label);
      await refused(api.post('/api/v1/outcomes', coordinator.token, { code: 'new_code', label: bad(brk, 'Helped') }), 'label', label);
      await refused(api.patch('/api/v1/outcomes/advice_given', coordinator.token, { label: bad(brk, 'Advice') }), 'label', label);
      await refused(api.post('/api/v1/outcomes', coordinator.token, { code: 'new_code', label: 'Helped', snomedCode: '871731000000106', snomedTerm: bad(brk, 'Referral') }), 'snomedTerm', label);
      await refused(api.post('/api/v1/questionnaires', coordinator.token, { title: bad(brk, 'Checklist') }), 'title', label);
      await refused(api.patch(`/api/v1/questionnaires/${draft.body.id}`, coordinator.token, { title: bad(brk, 'Checklist') }), 'title', label);
      await refused(api.patch(`/api/v1/questionnaires/${draft.body.id}`, coordinator.token, { sections: section(bad(brk, 'Your home'), 'A question?') }), 'sections.0.title', label);
      await refused(api.patch(`/api/v1/questionnaires/${draft.body.id}`, coordinator.token, { sections: section('Your home', bad(brk, 'A question?')) }), 'sections.0.questions.0.text', label);
    }
    // nothing was changed
    const agency = await ctx.db.selectFrom('agencies').select('name').where('id', '=', agencyId).executeTakeFirstOrThrow();
    expect(agency.name).not.toContain('evil');
  });

  it('refuses a line break in a user’s name (the command line makes users through the same service)', async () => {
    for (const brk of BREAKS) {
      const err = await createUserWithToken(ctx, { role: 'coordinator', name: bad(brk, 'Sam'), email: `sam-${BREAKS.indexOf(brk)}@example.org` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ZodError);
      expect((err as ZodError).issues.map((i) => [i.path.join('.'), i.message])).toEqual([['name', 'must be on one line, without control characters']]);
    }
  });
});

/** The page answers 400 and its error summary links to the field with the reason. */
function expectFieldRefused(res: { status: number; text: string }, fieldId: string, what: string) {
  expect(res.status, what).toBe(400);
  const linked = new RegExp(`href="#${fieldId}"[^>]*>[^<]*must be on one line, without control characters`);
  expect(res.text, what).toMatch(linked);
}

describe('the forms', () => {
  it('the link worker’s checklist: the person’s names, language, a representative’s name and relationship', async () => {
    const u = await makeWebUser(ctx, 'link_worker');
    const c = new WebClient(ctx.baseUrl);
    await c.signIn(u.email, u.password);
    const page = await c.get('/checklist');
    const base: Record<string, string> = {
      _csrf: WebClient.csrfOf(page.text),
      questionnaireId: q.id,
      givenName: 'Winifred',
      familyName: 'Formcase',
      'dateOfBirth[day]': '3',
      'dateOfBirth[month]': '4',
      'dateOfBirth[year]': '1939',
      postcode: 'SE1 7PB',
      phone: '020 7946 0123',
      preferredContact: 'phone',
      consentBy: 'representative',
      representativeName: 'Jo Daughter',
      representativeRelationship: 'daughter',
      consentGiven: 'yes',
      sharingAgreed: 'yes',
      ...Object.fromEntries(q.sections.map((s, i) => [`s_${s.id}`, i === 0 ? q.questions[0]!.id : 'none'])),
    };
    for (const brk of BREAKS) {
      for (const field of ['givenName', 'familyName', 'language', 'representativeName', 'representativeRelationship']) {
        const res = await c.post('/checklist', { ...base, idempotencyKey: crypto.randomUUID(), [field]: bad(brk, base[field] ?? 'Welsh') });
        expectFieldRefused(res, field, `${field} ${JSON.stringify(brk)}`);
      }
    }
    // the same form with one-line names is sent
    const ok = await c.post('/checklist', { ...base, idempotencyKey: crypto.randomUUID(), addressLine: '1 High Street\r\nLondon' });
    expect(ok.status, ok.text.slice(0, 2000)).toBe(303);
  });

  it('the public self-referral form: the person’s names, and the name and relationship of whoever fills it in', async () => {
    for (const brk of BREAKS) {
      for (const field of ['givenName', 'familyName', 'fillerName', 'fillerRelationship']) {
        const res = await sendSelfReferral(ctx.baseUrl, selfReferralForm(q, [0], { [field]: bad(brk, 'Edna') }));
        expectFieldRefused(res, field, `${field} ${JSON.stringify(brk)}`);
      }
    }
    expect(await ctx.db.selectFrom('selfReferrals').select('id').execute()).toEqual([]);
    expect((await sendSelfReferral(ctx.baseUrl, selfReferralForm(q, [0]))).status).toBe(200);
  });

  it('the hub’s paper checklist: the referrer and their organisation', async () => {
    const user = await makeWebUser(ctx, 'coordinator');
    const c = new WebClient(ctx.baseUrl);
    await c.signIn(user.email, user.password);
    const page = await c.get('/hub/checklists/new');
    const base = {
      _csrf: WebClient.csrfOf(page.text),
      questionnaireId: q.id,
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
      'receivedOn[day]': '1',
      'receivedOn[month]': '1',
      'receivedOn[year]': '2026',
      receivedTime: '09:30',
      ...Object.fromEntries(q.sections.map((s, i) => [`s_${s.id}`, i === 0 ? q.questions[0]!.id : 'none'])),
    };
    for (const brk of BREAKS) {
      expectFieldRefused(await c.post('/hub/checklists/new', { ...base, referrerName: bad(brk, 'Duty officer') }), 'referrerName', JSON.stringify(brk));
      expectFieldRefused(await c.post('/hub/checklists/new', { ...base, referrerOrganisationText: bad(brk, 'GP surgery') }), 'referrerOrganisationText', JSON.stringify(brk));
    }
  });

  it('the hub’s pages: agencies, organisations, outcomes, a checklist draft, users', async () => {
    const admin = await makeWebUser(ctx, 'admin');
    const c = new WebClient(ctx.baseUrl);
    await c.signIn(admin.email, admin.password);
    const draft = await c.postWithCsrf('/hub/questionnaires', '/hub/questionnaires', {});
    expect(draft.status).toBe(303);
    const draftPath = draft.location!;
    const agencyId = q.questions[0]!.agencyId;
    for (const brk of BREAKS) {
      const what = JSON.stringify(brk);
      expectFieldRefused(await c.postWithCsrf('/hub/agencies', '/hub/agencies', { name: bad(brk, 'Evil agency'), email: 'evil@example.org' }), 'new-name', what);
      expectFieldRefused(await c.postWithCsrf('/hub/organisations', '/hub/organisations', { name: bad(brk, 'Council'), type: 'council' }), 'new-name', what);
      expectFieldRefused(await c.postWithCsrf('/hub/outcomes', '/hub/outcomes', { code: 'new_code', label: bad(brk, 'Helped') }), 'new-label', what);
      expectFieldRefused(await c.postWithCsrf('/hub/outcomes', '/hub/outcomes/advice_given', { label: bad(brk, 'Advice') }), 'advice_given-label', what);
      expectFieldRefused(await c.postWithCsrf(draftPath, draftPath, { title: bad(brk, 'Checklist'), s0_title: 'Your home', s0_q0_text: 'A question?', s0_q0_agency: agencyId }), 'q-title', what);
      expectFieldRefused(await c.postWithCsrf(draftPath, draftPath, { title: 'Checklist', s0_title: bad(brk, 'Your home'), s0_q0_text: 'A question?', s0_q0_agency: agencyId }), 'q-sections', what);
      expectFieldRefused(await c.postWithCsrf(draftPath, draftPath, { title: 'Checklist', s0_title: 'Your home', s0_q0_text: bad(brk, 'A question?'), s0_q0_agency: agencyId }), 'q-sections', what);
      expectFieldRefused(await c.postWithCsrf('/hub/users', '/hub/users', { role: 'coordinator', name: bad(brk, 'Sam'), email: 'sam.new@example.org', password: 'a long enough password' }), 'new-name', what);
    }
    expect(await ctx.db.selectFrom('users').select('id').where('email', '=', 'sam.new@example.org').executeTakeFirst()).toBeUndefined();
  });
});
