/**
 * A bounded fuzz test: a few thousand malformed requests, generated from a fixed seed (so a
 * failure can be replayed), against every JSON endpoint and every form: deep nesting, lone
 * surrogates, NUL characters, huge and odd numbers, prototype keys, wrong types, oversized and
 * repeated fields, broken JSON and broken encodings; and the public self-referral form and the
 * triage release form, each sent a valid form with hostile changes (arrays for strings, deep
 * nesting, lone surrogates, huge values, prototype keys). Not one may answer 5xx, and afterwards the
 * server is healthy and still takes a valid checklist.
 * Every fuzzed form goes with a live session (or link) and the CSRF token its page gave, and
 * each form's answers are counted to show that most came from its handler, not from a guard
 * before it; a separate set of posts with missing or wrong tokens must get the expired-form answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { markForwarded, submit } from './helpers/referrals.js';
import { makeWebUser, type WebUser } from './helpers/browser.js';
import { WebClient } from './helpers/web-client.js';
import { AnswerTally, formAnswer } from './helpers/form-answers.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { referenceOf, releaseFields, selfReferralForm } from './helpers/self-referral.js';
import { answer, moveTo } from './helpers/fhir-client.js';
import { createAgencyLink } from '../src/modules/referrals/agency-link.service.js';
import { capacityLinkFor } from '../src/modules/capacity/capacity-link.js';
import { currentQuestionnaire } from '../src/modules/questionnaires/questionnaire.service.js';
import { submitSelfReferral } from '../src/modules/self-referral/self-referral.service.js';
import type { SubmissionBody } from '../src/modules/intake/submission.schema.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5150);
const JSON_CASES = Number(process.env.FUZZ_JSON_CASES ?? 2400);
const FORM_CASES = Number(process.env.FUZZ_FORM_CASES ?? 900);
const SELF_REFERRAL_CASES = Number(process.env.FUZZ_SELF_REFERRAL_CASES ?? 300);

/** mulberry32: a small, good-enough PRNG; the same seed gives the same requests. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof prng>;

/** encodeURIComponent throws on a lone surrogate: those go as the raw bytes %ED%A0%80 instead. */
const enc = (v: unknown) => encodeURIComponent((typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)).toWellFormed());

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const ODD_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  'x \ud800',
  '\udfff',
  '\ud83d',
  'é 👍 漢字',
  '\u202e\u2028\u2029',
  '<script>alert(1)</script>',
  "'; DROP TABLE referrals; --",
  '../../etc/passwd',
  '%00%ED%A0%80',
  '=HYPERLINK("http://x")',
  'SP-AAAA-AAAA',
  '00000000-0000-0000-0000-000000000000',
  '2026-02-30',
  '9999-12-31T23:59:59Z',
  'null',
  'true',
];
const ODD_NUMBERS = [0, -0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.1, 1e-320, 90, 91, 1e21];

function value(rng: Rng, depth = 0): unknown {
  const r = rng.int(12);
  if (depth > 3 && r < 8) return rng.pick(ODD_STRINGS);
  switch (r) {
    case 0:
      return rng.pick(ODD_STRINGS);
    case 1:
      return 'x'.repeat(rng.pick([1_000, 5_000, 60_000]));
    case 2:
      return rng.pick(ODD_NUMBERS);
    case 3:
      return rng.next() < 0.5;
    case 4:
      return null;
    case 5:
      return Array.from({ length: rng.int(4) }, () => value(rng, depth + 1));
    case 6:
      return Object.fromEntries(Array.from({ length: rng.int(4) }, () => [rng.pick([...PROTO_KEYS, 'a', 'to', 'status']), value(rng, depth + 1)]));
    case 7:
      return rng.pick(['[[[[[[[[[[[[', '{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}}}']);
    default:
      return rng.pick(ODD_STRINGS);
  }
}

/** Deep nesting as raw JSON text (the body parser builds it; the shape check must refuse it). */
const deepJson = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** A valid body with one to three of its fields replaced, removed, or given company. */
function mutate(rng: Rng, valid: Record<string, unknown>): unknown {
  const copy = structuredClone(valid) as Record<string, unknown>;
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
    let target: Record<string, unknown> = copy;
    const path: string[] = [];
    for (;;) {
      const keys = Object.keys(target);
      if (!keys.length) break;
      const k = rng.pick(keys);
      path.push(k);
      const child = target[k];
      if (child && typeof child === 'object' && !Array.isArray(child) && rng.next() < 0.6) target = child as Record<string, unknown>;
      else break;
    }
    const key = path.at(-1) ?? 'x';
    const op = rng.int(4);
    if (op === 0) delete target[key];
    else if (op === 1) Object.defineProperty(target, rng.pick(PROTO_KEYS), { value: value(rng), enumerable: true, configurable: true, writable: true });
    else target[key] = value(rng);
  }
  return copy;
}

/** Form keys that try the prototype: as a key, as the root of a nested key, inside a field. */
const PROTO_FORM_KEYS = ['__proto__', '__proto__%5Bpolluted%5D', 'constructor%5Bprototype%5D%5Bpolluted%5D', 'toString', 'hasOwnProperty', 'givenName%5B__proto__%5D%5Bpolluted%5D'];

/** A hostile form value, already URL-encoded (lone surrogates as raw bytes, which encodeURIComponent refuses). */
const hostileValue = (rng: Rng) =>
  rng.pick(['%ED%A0%80', '%ED%B0%80', 'x%ED%A0%80y', '%00', '%', '%E0%A4%A', enc('a\u0000b'), 'a'.repeat(rng.pick([200, 5_000, 40_000])), enc(rng.pick(ODD_STRINGS)), enc(value(rng))]);

/**
 * A valid form (its fields URL-encoded) with one to three hostile changes: a value replaced, a
 * string field sent as an array or repeated, a field nested deep (`a[a][a]…`), a prototype key
 * added, a field left out.
 */
function hostileForm(rng: Rng, valid: string): string {
  const pairs = [...new URLSearchParams(valid)].map(([k, v]): [string, string] => [enc(k), enc(v)]);
  for (let j = 0, n = 1 + rng.int(3); j < n && pairs.length; j++) {
    const i = rng.int(pairs.length);
    const [k, v] = pairs[i]!;
    switch (rng.int(6)) {
      case 0:
        pairs[i] = [k, hostileValue(rng)];
        break;
      case 1:
        pairs.splice(i, 1, [`${k}%5B%5D`, v], [`${k}%5B%5D`, hostileValue(rng)]);
        break;
      case 2:
        pairs.push([k, hostileValue(rng)]);
        break;
      case 3:
        pairs[i] = [k + '%5Ba%5D'.repeat(1 + rng.int(40)), v];
        break;
      case 4:
        pairs.push([rng.pick(PROTO_FORM_KEYS), hostileValue(rng)]);
        break;
      default:
        pairs.splice(i, 1);
    }
  }
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Raw bodies a JSON parser must refuse or survive. */
const RAW_BODIES = [
  '',
  '{',
  '{"a":1,}',
  '\ufeff{}',
  '{"a":1e999999}',
  '{"a":-1e999999}',
  '[1,2,3]',
  '"just a string"',
  'null',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"a":1,"a":2}',
  deepJson(9),
  deepJson(5_000),
  '[' + '1,'.repeat(30_000) + '1]',
];

let ctx: TestContext;
let api: Api;
let q: Checklist;
let linkWorker: TestUser;
let coordinator: TestUser;
let agencyUser: TestUser;
let admin: TestUser;
let webCoordinator: WebUser;
let webAdmin: WebUser;
/** a person of their own for the people endpoints (which may cancel, merge and erase) */
let personId: string;
let otherPersonId: string;
let personSubmissionId: string;
let webAgency: WebUser;
let referralId: string;
let followUpId: string;
let agencyId: string;
let draftId: string;
/** the forwarding mail's link to a referral of its own (another person's, at another agency) */
let agencyLinkPath: string;
/** the capacity reminder's link of an agency without accounts */
let capacityLinkPath: string;
let organisationId: string;
/** an open self-referral in triage, for the close form */
let triageItemId: string;
/** a user for the admin's user form to change (never one the fuzz posts as) */
let throwawayUserId: string;
let throwawayTokenId: string;

beforeAll(async () => {
  // the self-referral limits out of the way: the fuzz is about what the form does with what it is sent
  ({ ctx, api, q, linkWorker, coordinator, agencyUser, admin } = await createWorld(
    { linkWorker: 'link_worker', coordinator: 'coordinator', agencyUser: { agencyOf: 0 }, admin: 'admin' },
    { SELF_REFERRAL_PER_ADDRESS_PER_HOUR: '10000', SELF_REFERRAL_GLOBAL_PER_HOUR: '1000000' },
  ));
  const s = await submit(api, linkWorker, q, [q.questions[0]!.id]);
  referralId = s.referrals[0]!.id;
  followUpId = (await markForwarded(ctx, referralId)).followUpId;
  agencyId = q.questions[0]!.agencyId;
  draftId = (await api.post('/api/v1/questionnaires', coordinator.token, {})).body.id;
  const someone = async () => {
    const res = await api.post('/api/v1/submissions', linkWorker.token, submissionBody(q, [q.questions[0]!.id, q.questions[15]!.id]));
    expect(res.status).toBe(201);
    return res.body as { id: string; personId: string };
  };
  const [one, two] = [await someone(), await someone()];
  [personId, otherPersonId, personSubmissionId] = [one.personId, two.personId, one.id];
  webCoordinator = await makeWebUser(ctx, 'coordinator');
  webAdmin = await makeWebUser(ctx, 'admin');
  webAgency = await makeWebUser(ctx, 'agency', agencyId);
  throwawayUserId = (await makeWebUser(ctx, 'link_worker')).id;
  throwawayTokenId = (await ctx.db.selectFrom('apiTokens').select('id').where('userId', '=', throwawayUserId).executeTakeFirstOrThrow()).id;
  const linked = await submit(api, linkWorker, q, [q.questions[15]!.id]);
  await markForwarded(ctx, linked.referrals[0]!.id);
  agencyLinkPath = new URL(await createAgencyLink(ctx.db, ctx, linked.referrals[0]!.id, ctx.clock.now())).pathname;
  capacityLinkPath = new URL(await capacityLinkFor(ctx.db, ctx.env, q.questions[2]!.agencyId, ctx.clock.now())).pathname;
  expect(capacityLinkPath).toMatch(/^\/capacity\//);
  const org = await api.post('/api/v1/organisations', coordinator.token, { name: 'Fuzz surgery', type: 'nhs' });
  expect(org.status, JSON.stringify(org.body)).toBe(201);
  organisationId = org.body.id;
  const triaged = await submitSelfReferral(ctx, { body: submissionBody(q, [q.questions[0]!.id], { person: { email: 'fuzz@example.org' } }) as SubmissionBody, filledInBy: 'person', formKey: `fuzz-close-${crypto.randomUUID()}` });
  triageItemId = (await ctx.db.selectFrom('selfReferrals').select('id').where('reference', '=', triaged.reference).executeTakeFirstOrThrow()).id;
}, 120_000);
afterAll(async () => ctx?.close());

/** The checklist version published now, as the factories' Checklist. */
async function current(): Promise<Checklist> {
  const view = (await currentQuestionnaire(ctx))!;
  return { ...view, questions: view.sections.flatMap((x) => x.questions) };
}

/** Encoded text the body checks refuse before any route: NUL, and the bytes of a lone surrogate. */
const UNSTORABLE = /%00|%ED%[AB]/i;

/** Ordinary values a form field might hold: its options, dates, ids, names. */
const plainFormValues = (cur: Checklist) => [
  '', 'yes', 'no', 'none', 'all', 'on', 'true', '0', '1', '7', '14', '31', '12', '2026', '2027', '09:30', '2026-01-20',
  'calendar_days', 'working_days', 'accepting', 'waiting_list', 'closed', 'paused', 'active',
  'acknowledged', 'contacted', 'completed', 'rejected', 'on_hold', 'cancelled', 'rerouted', 'service_provided',
  'phone', 'email', 'person', 'representative', 'paper', 'agency', 'coordinator', 'link_worker', 'other', 'council',
  'merge', 'dismiss', 'disable', 'place', 'lift', 'publish', 'save', 'not_genuine',
  'Fuzz Name', 'A reason given', 'fuzz@example.org', '020 7946 0000', 'SE1 7PB', 'a long enough password 123',
  agencyId, referralId, personId, otherPersonId, cur.id, ...cur.questions.slice(0, 4).map((x) => x.id),
];

/** A form a signed-in user (or a link's holder, or a visitor signing in) posts. */
interface FormTarget {
  /** the path without its secrets, for messages */
  name: string;
  client: WebClient;
  path: string;
  fields: string[];
  /** fields its page always sends right (the checklist version): without them every case meets the same first check */
  always?: Record<string, string>;
  /** the token this client's form carries now (read from its page) */
  csrf: () => Promise<string>;
  /** a token valid for someone else: another session, another link, another visitor */
  foreign: string;
}

let targets: Promise<FormTarget[]> | undefined;
/** Every form of the web pages, each posted by a client that may post it. Built once, on first use. */
function formTargets(): Promise<FormTarget[]> {
  targets ??= (async () => {
    const signedIn = async (u: WebUser) => {
      const c = new WebClient(ctx.baseUrl);
      expect((await c.signIn(u.email, u.password)).status).toBe(303);
      return c;
    };
    const tokenOf = async (c: WebClient, page: string) => {
      const res = await c.get(page);
      expect(res.status, page).toBe(200);
      return WebClient.csrfOf(res.text);
    };
    const [coord, agency, adm] = [await signedIn(webCoordinator), await signedIn(webAgency), await signedIn(webAdmin)];
    const [coordCsrf, agencyCsrf, admCsrf] = [await tokenOf(coord, '/hub/agencies'), await tokenOf(agency, `/agency/referrals/${referralId}`), await tokenOf(adm, '/hub/users')];
    const session = (client: WebClient, csrf: string, foreign: string) => ({ client, csrf: async () => csrf, foreign });
    const [asCoord, asAgency, asAdmin] = [session(coord, coordCsrf, agencyCsrf), session(agency, agencyCsrf, coordCsrf), session(adm, admCsrf, coordCsrf)];
    // the mailed links' pages carry tokens of their own; the sign-in page a pre-session one, new on each page
    const linkVisitor = new WebClient(ctx.baseUrl);
    const linkCsrf = await tokenOf(linkVisitor, agencyLinkPath);
    const capacityVisitor = new WebClient(ctx.baseUrl);
    const capacityCsrf = await tokenOf(capacityVisitor, capacityLinkPath);
    const visitor = new WebClient(ctx.baseUrl);
    const otherVisitorCsrf = await tokenOf(new WebClient(ctx.baseUrl), '/sign-in');
    const referralFields = ['to', 'reason', 'outcome', 'note', 'onHoldUntil', 'targetAgencyId'];
    const withdrawFields = ['scope', 'reason', 'when[day]', 'when[month]', 'when[year]', 'whenTime'];
    const capacityFields = ['status', 'waitWeeks', 'closedUntil[day]', 'closedUntil[month]', 'closedUntil[year]'];
    // the JSON fuzz may have published a new checklist version: the forms are the current one's
    const cur = await current();
    const checklist = { questionnaireId: cur.id };
    const forms: (Omit<FormTarget, 'name'> & { name?: string })[] = [
      { ...asCoord, path: '/checklist', always: checklist, fields: ['questionnaireId', 'givenName', 'familyName', 'dateOfBirth[day]', 'dateOfBirth[month]', 'dateOfBirth[year]', 'postcode', 'preferredContact', 'consentGiven', 'consentBy', 'consentRecordedAt', 'idempotencyKey', 'wb_lifeSatisfaction', 'wb_anxious', ...cur.sections.map((x) => `s_${x.id}`)] },
      { ...asAgency, path: `/agency/referrals/${referralId}`, fields: referralFields },
      { ...asAgency, path: '/agency/capacity', fields: capacityFields },
      { ...asAgency, path: '/agency/capacity/confirm', fields: [] },
      { ...asCoord, path: `/hub/referrals/${referralId}`, fields: referralFields },
      { ...asCoord, path: `/hub/referrals/${referralId}/revoke-links`, fields: [] },
      { ...asCoord, path: `/hub/follow-ups/${followUpId}`, fields: ['contactMade', 'note', `needsMet_${referralId}`, 'wb_happy', 'wb_worthwhile'] },
      { ...asCoord, path: '/hub/agencies', fields: ['name', 'email', 'phone', 'contactDays', 'contactClock'] },
      { ...asCoord, path: `/hub/agencies/${agencyId}`, fields: ['email', 'phone', 'status', 'contactDays', 'contactClock'] },
      { ...asCoord, path: `/hub/agencies/${agencyId}/capacity`, fields: capacityFields },
      { ...asCoord, path: `/hub/agencies/${agencyId}/capacity/confirm`, fields: [] },
      { client: capacityVisitor, csrf: async () => capacityCsrf, foreign: linkCsrf, name: '/capacity/:agency/:expires/:signature', path: capacityLinkPath, fields: capacityFields },
      { client: capacityVisitor, csrf: async () => capacityCsrf, foreign: linkCsrf, name: '/capacity/:agency/:expires/:signature/confirm', path: `${capacityLinkPath}/confirm`, fields: [] },
      { ...asAdmin, path: '/hub/users', fields: ['role', 'name', 'email', 'agencyId', 'organisationId', 'password'] },
      // another user than the ones posting: a disabled account would end a session of the fuzz
      { ...asAdmin, path: `/hub/users/${throwawayUserId}`, fields: ['action', 'password'] },
      // sessions and API tokens ([2/6]); ending one's own sessions would end the fuzz's, so the admin ends another user's
      { ...asCoord, path: '/account/tokens', fields: ['label', 'expiresInDays'] },
      { ...asAdmin, path: `/hub/users/${throwawayUserId}/sessions/end`, fields: [] },
      { ...asAdmin, path: `/hub/tokens/${throwawayTokenId}/revoke`, fields: ['from'] },
      // the person's own two-factor page (no role here must have it: turning it on takes a right code)
      { ...asCoord, path: '/account/two-factor', fields: ['action', 'code'] },
      { ...asCoord, path: '/hub/people', fields: ['q'] },
      { ...asCoord, path: `/hub/people/matches/${personId}`, fields: ['action', 'keepId', 'otherId'] },
      { ...asCoord, path: `/hub/people/${personId}/withdraw-consent`, fields: withdrawFields },
      { ...asCoord, path: `/submissions/${personSubmissionId}/withdraw-consent`, fields: withdrawFields },
      { ...asAdmin, path: `/hub/people/${otherPersonId}/legal-hold`, fields: ['action', 'reason'] },
      { ...asAdmin, path: `/hub/people/${otherPersonId}/erase`, fields: ['reason'] },
      { ...asCoord, path: '/hub/organisations', fields: ['name', 'type'] },
      { ...asCoord, path: `/hub/organisations/${organisationId}`, fields: ['name', 'type', 'active'] },
      { ...asCoord, path: '/hub/outcomes', fields: ['code', 'label', 'snomedCode', 'snomedTerm'] },
      { ...asCoord, path: '/hub/outcomes/service_provided', fields: ['label', 'active', 'snomedCode', 'snomedTerm'] },
      { ...asCoord, path: '/hub/checklists/new', always: checklist, fields: ['questionnaireId', 'givenName', 'familyName', 'dateOfBirth[day]', 'postcode', 'preferredContact', 'consentGiven', 'consentBy', 'channel', 'receivedOn[day]', 'receivedOn[month]', 'receivedOn[year]', 'receivedTime', 'referrerOrganisationId', 'referrerOrganisationText', 'referrerName', ...cur.sections.map((x) => `s_${x.id}`)] },
      { ...asCoord, path: `/hub/triage/${triageItemId}/close`, fields: ['reason', 'note'] },
      { ...asAdmin, path: '/hub/agencies', name: '/hub/agencies (as an admin)', fields: ['name', 'email', 'phone', 'contactDays', 'contactClock', 'personFields', 'personFieldsShown'] },
      { ...asCoord, path: `/hub/questionnaires/${draftId}`, fields: ['action', 'title', 's0_title', 's0_q0_text', 's0_q0_agency', 's99999_title'] },
      // a new visitor each time (a case that signs in a user the fuzz made would leave a session)
      { client: visitor, csrf: async () => (visitor.cookies.clear(), tokenOf(visitor, '/sign-in')), foreign: otherVisitorCsrf, path: '/sign-in', fields: ['email', 'password', 'next'] },
      { client: linkVisitor, csrf: async () => linkCsrf, foreign: capacityCsrf, name: '/a/:token', path: agencyLinkPath, fields: ['to', 'reason', 'outcome', 'note', 'onHoldUntil'] },
    ];
    return forms.map((f) => ({ ...f, name: f.name ?? f.path }));
  })();
  return targets;
}

describe('fuzzing every JSON endpoint and every form', () => {
  // thousands of requests one after another: on a machine kept busy by other processes they took
  // five times their idle 12 s, so the safety net is sized for that (no speed is asserted)
  it(`answers ${JSON_CASES} malformed API requests without a 5xx`, { timeout: 180_000 }, async () => {
    const rng = prng(SEED);
    const validSubmission = submissionBody(q, [q.questions[0]!.id], { wellbeing: { lifeSatisfaction: 6, worthwhile: 7, happy: 5, anxious: 3 } }) as Record<string, unknown>;
    // the FHIR API's writes: a checklist as a QuestionnaireResponse, a JSON Patch on a referral's Task
    const fhirQuestionnaire = { id: q.id, item: q.sections.map((s) => ({ linkId: s.id, type: 'group', item: s.questions.map((x) => ({ linkId: x.id, type: 'boolean' })) })) };
    const endpoints: { method: string; path: () => string; token: () => string; valid: Record<string, unknown>; contentType?: string }[] = [
      { method: 'POST', path: () => '/fhir/QuestionnaireResponse', token: () => linkWorker.token, valid: answer(fhirQuestionnaire, [q.questions[0]!.id]), contentType: 'application/fhir+json' },
      { method: 'PATCH', path: () => `/fhir/Task/${rng.pick([referralId, enc(value(rng))])}`, token: () => rng.pick([agencyUser.token, coordinator.token]), valid: moveTo('acknowledged', { note: 'n' }) as unknown as Record<string, unknown>, contentType: 'application/json-patch+json' },
      { method: 'POST', path: () => '/api/v1/submissions', token: () => linkWorker.token, valid: validSubmission },
      // the hub keying in a phone checklist: channel, receipt and referrer beside the checklist
      { method: 'POST', path: () => '/api/v1/submissions', token: () => coordinator.token, valid: { ...validSubmission, channel: 'phone', receivedAt: new Date(ctx.clock.now().getTime() - 3_600_000).toISOString(), referrer: { organisationText: 'Fuzz surgery', name: 'Dr Fuzz' } } },
      { method: 'POST', path: () => `/api/v1/referrals/${referralId}/transitions`, token: () => rng.pick([agencyUser.token, coordinator.token]), valid: { to: 'acknowledged', note: 'n' } },
      { method: 'POST', path: () => `/api/v1/follow-ups/${followUpId}`, token: () => coordinator.token, valid: { contactMade: false, outcomes: [{ referralId, needsMet: 'yes' }], note: 'n', wellbeing: { happy: 5 } } },
      { method: 'POST', path: () => '/api/v1/agencies', token: () => coordinator.token, valid: { name: 'Fuzz agency', email: 'fuzz@example.org', phone: '020 7946 0000', status: 'active', contactDays: 14, contactClock: 'working_days' } },
      { method: 'PATCH', path: () => `/api/v1/agencies/${agencyId}`, token: () => coordinator.token, valid: { contactDays: 14, contactClock: 'calendar_days' } },
      { method: 'PUT', path: () => `/api/v1/agencies/${rng.pick([agencyId, enc(value(rng))])}/capacity`, token: () => coordinator.token, valid: { status: 'waiting_list', waitWeeks: 6 } },
      { method: 'POST', path: () => '/api/v1/questionnaires', token: () => coordinator.token, valid: { title: 'T', copyFrom: 'current' } },
      { method: 'PATCH', path: () => `/api/v1/questionnaires/${draftId}`, token: () => coordinator.token, valid: { title: 'T', sections: [{ title: 'S', questions: [{ text: 'Q', agencyId }] }] } },
      { method: 'POST', path: () => `/api/v1/questionnaires/${draftId}/publish`, token: () => coordinator.token, valid: {} },
      { method: 'POST', path: () => '/api/v1/organisations', token: () => coordinator.token, valid: { name: 'Fuzz organisation', type: 'other' } },
      { method: 'PATCH', path: () => `/api/v1/organisations/${rng.pick([crypto.randomUUID(), enc(value(rng))])}`, token: () => coordinator.token, valid: { name: 'Fuzz org', active: true } },
      { method: 'POST', path: () => '/api/v1/outcomes', token: () => coordinator.token, valid: { code: 'fuzz_code', label: 'Fuzz outcome', snomedCode: '871731000000106', snomedTerm: 'A term' } },
      { method: 'PATCH', path: () => `/api/v1/outcomes/${rng.pick(['service_provided', enc(value(rng))])}`, token: () => coordinator.token, valid: { label: 'Service provided', active: true } },
      { method: 'POST', path: () => `/api/v1/people/${personId}/merge`, token: () => coordinator.token, valid: { otherId: otherPersonId } },
      { method: 'POST', path: () => `/api/v1/people/${personId}/consent-withdrawals`, token: () => rng.pick([linkWorker.token, coordinator.token]), valid: { agencyIds: [agencyId], reason: 'r', recordedAt: '2026-01-05T09:00:00Z' } },
      { method: 'POST', path: () => `/api/v1/people/${otherPersonId}/erasure`, token: () => admin.token, valid: { reason: 'asked by letter' } },
      { method: 'PUT', path: () => `/api/v1/people/${otherPersonId}/legal-hold`, token: () => admin.token, valid: { reason: 'complaint' } },
      { method: 'POST', path: () => `/api/v1/people/matches/${enc(value(rng))}/dismiss`, token: () => coordinator.token, valid: {} },
      { method: 'POST', path: () => '/api/v1/people/search', token: () => coordinator.token, valid: { q: 'Margret Smith 2/3/1941', limit: 20 } },
      // webhooks: a private address is refused (WEBHOOK_ALLOW_PRIVATE is off here), so no request leaves the test
      { method: 'POST', path: () => '/api/v1/webhook-endpoints', token: () => admin.token, valid: { url: 'http://127.0.0.1:9/hook', events: ['referral.forwarded', 'capacity.changed'] } },
      { method: 'POST', path: () => `/api/v1/webhook-endpoints/${enc(value(rng))}/deliveries/${enc(value(rng))}/retry`, token: () => admin.token, valid: {} },
    ];
    const getters = [
      () => `/fhir/Task?${rng.pick(['owner', 'status', 'business-status', '_lastUpdated', '_count', '_cursor', '__proto__'])}=${enc(value(rng))}`,
      () => `/fhir/${rng.pick(['Task', 'ServiceRequest', 'Patient', 'Questionnaire'])}/${enc(value(rng))}`,
      () => `/api/v1/referrals?${rng.pick(['status', 'agencyId', 'cursor', 'limit', '__proto__'])}=${enc(value(rng))}`,
      () => `/api/v1/referrals/${enc(value(rng))}`,
      () => `/api/v1/submissions/${enc(value(rng))}`,
      () => `/api/v1/sla/breaches?${rng.pick(['open', 'clock', 'agencyId', 'limit'])}=${enc(value(rng))}`,
      () => `/api/v1/follow-ups?state=${enc(value(rng))}&limit=${enc(value(rng))}`,
      () => `/api/v1/questionnaires/${enc(value(rng))}`,
      () => `/api/v1/webhook-endpoints/${enc(value(rng))}/deliveries`,
      () => `/api/v1/people?q=${enc(value(rng))}`,
      () => `/api/v1/people/${rng.pick([personId, enc(value(rng))])}${rng.pick(['', '/export'])}`,
      () => `/api/v1/audit?${rng.pick(['personId', 'userId', 'from', 'to', 'cursor', 'limit', '__proto__'])}=${enc(value(rng))}`,
      () => `/api/v1/reports/referrals.csv?from=${rng.pick(['2026-01-01', enc(value(rng))])}&to=${rng.pick(['2026-01-31', enc(value(rng))])}&${rng.pick(['x', '__proto__', 'from'])}=${enc(value(rng))}`,
    ];
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    /** refusals naming a field of the body: the endpoint's own checks, past the parser and the shape check */
    let fieldRefusals = 0;
    for (let i = 0; i < JSON_CASES; i++) {
      const kind = rng.int(10);
      let method = 'GET';
      let path: string;
      let body: string | undefined;
      let token = coordinator.token;
      const headers: Record<string, string> = {};
      if (kind < 2) {
        path = rng.pick(getters)();
        if (path.startsWith('/api/v1/audit') || path.startsWith('/api/v1/webhook-endpoints')) token = admin.token;
      } else {
        const e = rng.pick(endpoints);
        method = e.method;
        path = e.path();
        token = e.token();
        body = kind < 4 ? rng.pick(RAW_BODIES) : kind < 6 ? JSON.stringify(value(rng)) : JSON.stringify(mutate(rng, e.valid));
        headers['content-type'] = rng.next() < 0.9 ? (e.contentType ?? 'application/json') : rng.pick(['text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded']);
        if (rng.next() < 0.1) headers['idempotency-key'] = String(rng.pick(ODD_STRINGS)).replace(/[^\x20-\x7e]/g, '') || 'k';
      }
      const res = await fetch(ctx.baseUrl + path, { method, headers: { ...headers, authorization: `Bearer ${token}` }, body });
      const text = await res.text();
      // the JSON API names a field as a path, the FHIR API as an OperationOutcome's expression
      if (res.status === 400 && (/"path":"(?!\(body\)")[^"]+"/.test(text) || /"expression":\["[^"]+"/.test(text))) fieldRefusals++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) failures.push(`#${i} ${method} ${path} -> ${res.status} (${(body ?? '').slice(0, 120)})`);
    }
    expect(failures).toEqual([]);
    // the cases reached the handlers: many refusals of a field (not of unreadable JSON, which
    // the parser refuses before any route), and some requests that were fine
    const counts = JSON.stringify(Object.fromEntries(statuses));
    expect(fieldRefusals, counts).toBeGreaterThan(JSON_CASES / 4);
    expect([...statuses].filter(([s]) => s >= 200 && s < 300).reduce((n, [, c]) => n + c, 0), counts).toBeGreaterThan(JSON_CASES / 50);
  });

  it(`answers ${FORM_CASES} malformed form posts, signed in and with the session's CSRF token, without a 5xx, most of them from the forms' own handlers`, { timeout: 180_000 }, async () => {
    const rng = prng(SEED + 1);
    const forms = await formTargets();
    const plainValues = plainFormValues(await current());
    /** a hostile value (already URL-encoded); in a 'deep' case one the body checks let through to the handler */
    const rawValue = (deep: boolean): string => {
      for (;;) {
        const v = rng.pick([enc(value(rng)), '%00', '%ED%A0%80', '%E0%A4%A', '%', '%%%', 'a'.repeat(rng.pick([10, 5_000, 90_000])), enc(rng.pick(ODD_STRINGS))]);
        if (!deep || !UNSTORABLE.test(v)) return v;
      }
    };
    const failures: string[] = [];
    const tallies = new Map(forms.map((f) => [f.name, new AnswerTally()]));
    for (let i = 0; i < FORM_CASES; i++) {
      const f = rng.pick(forms);
      // most cases are 'deep': plain or storable hostile values, which reach the handler's own
      // checks; the rest send only hostile values, which the body checks mostly refuse first
      const deep = rng.next() < 0.75;
      const parts = [`_csrf=${enc(await f.csrf())}`, ...(deep ? Object.entries(f.always ?? {}).map(([k, v]) => `${enc(k)}=${enc(v)}`) : [])];
      for (let j = 0, n = rng.int(f.fields.length + 3); j < n; j++) {
        const key = f.fields.length && rng.next() < 0.8 ? rng.pick(f.fields) : rng.pick(deep ? [...PROTO_KEYS, 'a[b][c]', 'a[]'] : [...PROTO_KEYS, 'a[b][c]', 'a[]', '%00', '%ED%A0%80']);
        const v = deep && rng.next() < 0.6 ? enc(rng.pick(plainValues)) : rawValue(deep);
        parts.push(`${key.startsWith('%') ? key : enc(key)}=${v}`);
      }
      const res = await f.client.post(f.path, parts.join('&'));
      const answer = formAnswer(res);
      tallies.get(f.name)!.add(answer);
      if (res.status >= 500) failures.push(`#${i} POST ${f.name} -> ${res.status} (${parts.slice(1).join('&').slice(0, 160)})`);
      // the token was the session's (or the link's) own: never refused as expired, and no session or link was lost
      else if (['csrf', 'signed-out', 'role', 'link-expired'].includes(answer)) failures.push(`#${i} POST ${f.name} -> ${res.status}: ${answer}`);
    }
    expect(failures).toEqual([]);
    // the cases got past the guards: for every form, most answers are its handler's own (its
    // error page, a redirect, a 404 or 409 of its own), not a refusal before it
    const reached = Object.fromEntries([...tallies].map(([name, t]) => [name, `${t.get('handler')} of ${t.total}`]));
    for (const [name, t] of tallies) {
      expect(t.total, `${name}: ${reached[name]}`).toBeGreaterThanOrEqual(FORM_CASES / forms.length / 2);
      expect(t.get('handler') / t.total, `${name}: ${reached[name]} reached the handler`).toBeGreaterThanOrEqual(0.5);
    }
  });

  it("refuses each form posted with a missing, made-up, altered or someone else's CSRF token with the expired-form answer", async () => {
    const forms = await formTargets();
    const plainValues = plainFormValues(await current());
    const failures: string[] = [];
    let sent = 0;
    for (const [n, f] of forms.entries()) {
      const good = await f.csrf();
      const fields = [...Object.entries(f.always ?? {}), ...f.fields.map((k, j) => [k, plainValues[(n + j) % plainValues.length]!])].map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
      const changed = good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A');
      for (const [what, csrf] of [
        ['no token', ''],
        ['an empty token', '_csrf='],
        ["'x'", '_csrf=x'],
        ['the token with one character changed', `_csrf=${enc(changed)}`],
        ['two wrong tokens', `_csrf=x&_csrf=${enc(f.foreign)}`],
        ["someone else's token", `_csrf=${enc(f.foreign)}`],
      ] as const) {
        const res = await f.client.post(f.path, [csrf, fields].filter(Boolean).join('&'));
        sent++;
        if (formAnswer(res) !== 'csrf') failures.push(`POST ${f.name} with ${what} -> ${res.status} ${formAnswer(res)}`);
      }
      // and the same form with its own token is let through (the refusals above are the token's)
      const ok = await f.client.post(f.path, `_csrf=${enc(await f.csrf())}&${fields}`);
      if (formAnswer(ok) !== 'handler') failures.push(`POST ${f.name} with its own token -> ${ok.status} ${formAnswer(ok)}`);
    }
    expect(failures).toEqual([]);
    expect(sent).toBe(forms.length * 6);
  });

  it(`answers ${SELF_REFERRAL_CASES} hostile public self-referral forms with the form's errors or a 4xx, never a 5xx`, { timeout: 180_000 }, async () => {
    const rng = prng(SEED + 2);
    // the fuzzing above may have published a new checklist version: the form is the current one's
    const cur = await current();
    const failures: string[] = [];
    const answers = new AnswerTally();
    let formErrors = 0;
    for (let i = 0; i < SELF_REFERRAL_CASES; i++) {
      // each case a visitor of its own: the page's CSRF cookie and form key
      const visitor = new WebClient(ctx.baseUrl);
      const page = await visitor.get('/self-referral');
      const csrf = WebClient.csrfOf(page.text);
      const formKey = /name="formKey" value="([^"]+)"/.exec(page.text)![1]!;
      const body = `${hostileForm(rng, selfReferralForm(cur, [rng.int(cur.questions.length)]))}&_csrf=${enc(csrf)}&formKey=${rng.next() < 0.9 ? formKey : hostileValue(rng)}`;
      const res = await visitor.post('/self-referral', body);
      const answer = formAnswer(res);
      answers.add(answer);
      if (answer === 'handler' && res.status === 400 && res.text.includes('nhsuk-error-summary')) formErrors++;
      // a change that left the form valid is a thank-you with a reference; anything else is refused
      // (never as an expired form: the token sent was the page's own)
      const ok = res.status === 200 ? referenceOf(res.text) !== undefined : res.status >= 400 && res.status < 500 && answer !== 'csrf';
      if (!ok) failures.push(`#${i} POST /self-referral -> ${res.status} ${answer} (${body.slice(0, 160)})`);
    }
    expect(failures).toEqual([]);
    // the cases reached the form's checks: the page with its own errors, often (not a refusal of the body before it)
    expect(formErrors, JSON.stringify(Object.fromEntries(answers.counts))).toBeGreaterThan(SELF_REFERRAL_CASES / 4);
  });

  it(`answers ${SELF_REFERRAL_CASES} hostile triage releases without a 5xx, each release making one checklist`, { timeout: 180_000 }, async () => {
    const rng = prng(SEED + 3);
    const cur = await current();
    const coord = new WebClient(ctx.baseUrl);
    await coord.signIn(webCoordinator.email, webCoordinator.password);
    /** an open self-referral and its release form as its page shows it */
    const item = async () => {
      const sent = await submitSelfReferral(ctx, { body: submissionBody(cur, [cur.questions[rng.int(cur.questions.length)]!.id], { person: { email: 'fuzz@example.org' } }) as SubmissionBody, filledInBy: 'person', formKey: `fuzz-${crypto.randomUUID()}` });
      const { id } = await ctx.db.selectFrom('selfReferrals').select('id').where('reference', '=', sent.reference).executeTakeFirstOrThrow();
      const form = await releaseFields(coord, id);
      // the token goes with every case as the page sent it: the hostile changes are to the release's fields
      const csrf = form.get('_csrf')!;
      form.delete('_csrf');
      return { id, form: form.toString(), csrf };
    };
    const pool = [await item(), await item(), await item()];
    const failures: string[] = [];
    const answers = new AnswerTally();
    let formErrors = 0;
    for (let i = 0; i < SELF_REFERRAL_CASES; i++) {
      const slot = rng.int(pool.length);
      const cur = pool[slot]!;
      const body = `${hostileForm(rng, cur.form)}&_csrf=${enc(cur.csrf)}`;
      const res = await coord.post(`/hub/triage/${cur.id}/release`, body);
      const answer = formAnswer(res);
      answers.add(answer);
      if (answer === 'handler' && res.status === 400 && res.text.includes('nhsuk-error-summary')) formErrors++;
      if (res.status >= 500) failures.push(`#${i} POST /hub/triage/${cur.id}/release -> ${res.status} (${body.slice(0, 160)})`);
      // the page's own token went with every case: never refused as expired
      else if (answer !== 'handler' && answer !== 'body-check') failures.push(`#${i} POST /hub/triage/${cur.id}/release -> ${res.status}: ${answer}`);
      // released: a fresh item takes its place
      if (res.status === 303 && res.location === `/hub/triage?released=${cur.id}`) pool[slot] = await item();
    }
    expect(failures).toEqual([]);
    // the form's own error page, often: the cases reached the release's checks
    expect(formErrors, JSON.stringify(Object.fromEntries(answers.counts))).toBeGreaterThan(SELF_REFERRAL_CASES / 4);
    // every release made a checklist of its own, and nothing came through the prototype
    const released = await ctx.db.selectFrom('selfReferrals').select(['submissionId']).where('status', '=', 'released').execute();
    expect(new Set(released.map((r) => r.submissionId)).size).toBe(released.length);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves the server healthy: ready, and a valid checklist still goes through', async () => {
    expect((await fetch(`${ctx.baseUrl}/readyz`)).status).toBe(200);
    // the fuzzing may have published a new checklist version: answer the current one
    const current = (await api.get('/api/v1/questionnaire', linkWorker.token)).body;
    const questions = current.sections.flatMap((s: { questions: { id: string }[] }) => s.questions);
    const res = await api.post('/api/v1/submissions', linkWorker.token, submissionBody({ id: current.id, questions }, [questions[0].id]));
    expect(res.status).toBe(201);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
