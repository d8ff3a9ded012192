/**
 * The coded outcomes the hub manages, against the real Postgres: the seeded list, a new code
 * with its SNOMED CT concept (the check digit and partition checked), a code retired (no longer
 * offered, still on the referrals that used it), the refusals, and the hub's page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETION_OUTCOMES } from '../src/kernel/referral-state.js';
import { snomedConceptProblem, verhoeffValid } from '../src/modules/directory/snomed.js';
import { makeWebUser } from './helpers/browser.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { markForwarded, moveThrough, submit } from './helpers/referrals.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;
let fireAgency: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator, fireAgency } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator', fireAgency: { agencyOf: 0 } }));
}, 60_000);
afterAll(async () => ctx?.close());

/** A fire service referral, forwarded and contacted: ready to be completed. */
async function contactedReferral() {
  const s = await submit(api, worker, q, [q.questions[0]!.id]);
  const id = s.referrals[0]!.id;
  await markForwarded(ctx, id);
  await moveThrough(api, fireAgency.token, id, [{ to: 'contacted' }]);
  return id;
}

describe('the outcome codes', () => {
  it('are seeded with the five Signpost had, in order, for everyone signed in', async () => {
    const res = await api.get('/api/v1/outcomes', fireAgency.token);
    expect(res.status).toBe(200);
    expect(res.body.items.map((o: { code: string }) => o.code)).toEqual([...COMPLETION_OUTCOMES]);
    expect(res.body.items[0]).toMatchObject({ code: 'service_provided', label: 'Service provided', active: true, snomedCode: null, snomedTerm: null });
  });

  it('take a new code with its SNOMED CT concept, which an agency can then complete with', async () => {
    const made = await api.post('/api/v1/outcomes', coordinator.token, { code: 'befriending_group', label: 'Joined a befriending group', snomedCode: '871731000000106', snomedTerm: 'Referral to social prescribing service' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.headers.get('location')).toBe('/api/v1/outcomes/befriending_group');
    const id = await contactedReferral();
    await moveThrough(api, fireAgency.token, id, [{ to: 'completed', outcome: 'befriending_group' }]);
    expect((await ctx.db.selectFrom('referrals').select('outcome').where('id', '=', id).executeTakeFirstOrThrow()).outcome).toBe('befriending_group');
  });

  it('once retired, are no longer offered or accepted, and stay on the referrals that used them', async () => {
    const before = await contactedReferral();
    await moveThrough(api, fireAgency.token, before, [{ to: 'completed', outcome: 'no_longer_needed' }]);
    const retired = await api.patch('/api/v1/outcomes/no_longer_needed', coordinator.token, { active: false });
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ code: 'no_longer_needed', active: false });
    // the agency is no longer offered it; the hub still sees it, marked
    expect((await api.get('/api/v1/outcomes', fireAgency.token)).body.items.map((o: { code: string }) => o.code)).not.toContain('no_longer_needed');
    expect((await api.get('/api/v1/outcomes', coordinator.token)).body.items).toContainEqual(expect.objectContaining({ code: 'no_longer_needed', active: false }));
    const after = await contactedReferral();
    const refused = await api.post(`/api/v1/referrals/${after}/transitions`, fireAgency.token, { to: 'completed', outcome: 'no_longer_needed' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0].allowed).not.toContain('no_longer_needed');
    expect(refused.body.error.details[0].allowed).toContain('befriending_group');
    expect((await api.get(`/api/v1/referrals/${before}`, coordinator.token)).body.outcome).toBe('no_longer_needed');
    // offered again
    expect((await api.patch('/api/v1/outcomes/no_longer_needed', coordinator.token, { active: true })).status).toBe(200);
  });

  it('refuse a bad code, label or SNOMED CT concept with the field and the reason, a duplicate with 409, and anyone but the hub', async () => {
    const post = (body: object) => api.post('/api/v1/outcomes', coordinator.token, body);
    const cases: [object, string, RegExp][] = [
      [{ code: 'Bad Code', label: 'Something' }, 'code', /lower-case/],
      [{ code: 'ok_code', label: 'x' }, 'label', /at least 2/],
      [{ code: 'ok_code', label: 'Something', snomedCode: '871731000000107', snomedTerm: 'A term' }, 'snomedCode', /check digit/],
      [{ code: 'ok_code', label: 'Something', snomedCode: '1234567892', snomedTerm: 'A term' }, 'snomedCode', /./],
      [{ code: 'ok_code', label: 'Something', snomedCode: '871731000000106' }, 'snomedTerm', /together/],
      [{ code: 'ok_code', label: 'Something', extra: 1 }, '(body)', /./],
    ];
    for (const [body, path, message] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const detail = res.body.error.details.find((d: { path: string }) => d.path === path);
      expect(detail, JSON.stringify(res.body)).toBeDefined();
      expect(detail.message).toMatch(message);
    }
    expect((await post({ code: 'service_provided', label: 'Another label' })).status).toBe(409);
    expect((await post({ code: 'another_code', label: 'SERVICE PROVIDED' })).status).toBe(409);
    expect((await api.patch('/api/v1/outcomes/no_such_code', coordinator.token, { active: false })).status).toBe(404);
    expect((await api.patch('/api/v1/outcomes/service_provided', coordinator.token, {})).status).toBe(400);
    for (const who of [worker, fireAgency]) expect((await api.post('/api/v1/outcomes', who.token, { code: 'mine', label: 'Mine' })).status).toBe(403);
    expect((await api.get('/api/v1/outcomes', coordinator.token)).body.items.map((o: { code: string }) => o.code)).not.toContain('ok_code');
  });

  it('are managed on the hub’s page, with the problems in words', async () => {
    const hub = await makeWebUser(ctx, 'coordinator');
    const web = new WebClient(ctx.baseUrl);
    await web.signIn(hub.email, hub.password);
    const bad = await web.postWithCsrf('/hub/outcomes', '/hub/outcomes', { code: 'garden_club', label: 'Joined a garden club', snomedCode: '871711000000104', snomedTerm: 'A term' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('SNOMED CT code: its check digit does not match');
    const ok = await web.postWithCsrf('/hub/outcomes', '/hub/outcomes', { code: 'garden_club', label: 'Joined a garden club', snomedCode: '', snomedTerm: '' });
    expect(ok.status).toBe(303);
    const retire = await web.postWithCsrf('/hub/outcomes', '/hub/outcomes/garden_club', { label: 'Joined a garden club', active: 'no', snomedCode: '', snomedTerm: '' });
    expect(retire.status).toBe(303);
    expect(await ctx.db.selectFrom('outcomeCodes').select(['active', 'position']).where('code', '=', 'garden_club').executeTakeFirstOrThrow()).toEqual({ active: false, position: 7 });
  });
});

describe('a SNOMED CT concept id', () => {
  it('has a Verhoeff check digit and a concept partition', () => {
    expect(verhoeffValid('2363')).toBe(true);
    expect(verhoeffValid('2364')).toBe(false);
    for (const id of ['22298006', '871731000000106', '871711000000103']) expect(snomedConceptProblem(id), id).toBeNull();
    expect(snomedConceptProblem('0123456')).toMatch(/6 to 18 digits/);
    expect(snomedConceptProblem('12345')).toMatch(/6 to 18 digits/);
    // a valid check digit on a description id (partition 01) is not a concept
    expect(snomedConceptProblem('1234567014')).toMatch(/check digit|partition/);
  });
});
