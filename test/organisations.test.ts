/**
 * Referrer organisations against the real Postgres: managed by the hub, a link worker belongs to
 * one, each checklist records it as it arrives (and keeps it when the worker moves), the CSV
 * export names it; the refusals; the hub's pages.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithToken } from '../src/modules/accounts/user.service.js';
import { makeWebUser } from './helpers/browser.js';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;
let coordinator: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker, coordinator } = await createWorld({ worker: 'link_worker', coordinator: 'coordinator' }));
}, 60_000);
afterAll(async () => ctx?.close());

const create = async (name: string, type: string) => {
  const res = await api.post('/api/v1/organisations', coordinator.token, { name, type });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string; type: string; active: boolean };
};

describe('referrer organisations', () => {
  it('are added and changed by the hub and read by everyone signed in', async () => {
    const fire = await create('North fire and rescue', 'fire_and_rescue');
    expect(fire).toMatchObject({ name: 'North fire and rescue', type: 'fire_and_rescue', active: true });
    const listed = await api.get('/api/v1/organisations', worker.token);
    expect(listed.body.items.map((o: { id: string }) => o.id)).toContain(fire.id);
    const renamed = await api.patch(`/api/v1/organisations/${fire.id}`, coordinator.token, { name: 'North fire service', active: false });
    expect(renamed.body).toMatchObject({ name: 'North fire service', active: false });
  });

  it('are recorded on each checklist as it arrives, kept when the worker moves, and named in the CSV', async () => {
    const council = await create('East council social care', 'council');
    const charity = await create('East befriending charity', 'voluntary_sector');
    const lw = await createUserWithToken(ctx, { role: 'link_worker', name: 'Council worker', email: 'council-worker@example.org', organisationId: council.id });
    ctx.clock.set('2026-06-01T09:00:00Z');
    const first = await api.post('/api/v1/submissions', lw.token, submissionBody(q, [q.questions[0]!.id]));
    expect(first.status).toBe(201);
    // the worker moves to the charity: later checklists are the charity's, the first stays the council's
    await ctx.db.updateTable('users').set({ organisationId: charity.id }).where('id', '=', lw.id).execute();
    const second = await api.post('/api/v1/submissions', lw.token, submissionBody(q, [q.questions[3]!.id]));
    const orgOf = async (id: string) => (await ctx.db.selectFrom('submissions').select('organisationId').where('id', '=', id).executeTakeFirstOrThrow()).organisationId;
    expect(await orgOf(first.body.id)).toBe(council.id);
    expect(await orgOf(second.body.id)).toBe(charity.id);
    // a link worker with no organisation: none recorded
    const none = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[5]!.id]));
    expect(await orgOf(none.body.id)).toBeNull();

    const csv = await fetch(`${ctx.baseUrl}/api/v1/reports/referrals.csv?from=2026-06-01&to=2026-06-01`, { headers: { authorization: `Bearer ${coordinator.token}` } });
    const rows = parse(await csv.text(), { bom: true, columns: true }) as Record<string, string>[];
    const byChecklist = new Map(rows.map((r) => [r.checklist_reference, r]));
    expect(byChecklist.get(first.body.reference)).toMatchObject({ organisation: 'East council social care', organisation_type: 'council' });
    expect(byChecklist.get(second.body.reference)).toMatchObject({ organisation: 'East befriending charity', organisation_type: 'voluntary_sector' });
    expect(byChecklist.get(none.body.reference)).toMatchObject({ organisation: '', organisation_type: '' });
  });

  it('refuse a bad name or type with the field and the reason, a duplicate name with 409, and anyone but the hub', async () => {
    const post = (body: object, token = coordinator.token) => api.post('/api/v1/organisations', token, body);
    for (const [body, path] of [
      [{ name: 'x', type: 'police' }, 'name'],
      [{ name: 'South police', type: 'army' }, 'type'],
      [{ name: 'South police' }, 'type'],
      [{ name: 'South police', type: 'police', extra: 1 }, '(body)'],
    ] as const) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    await create('South police', 'police');
    expect((await post({ name: 'SOUTH POLICE', type: 'police' })).status).toBe(409);
    expect((await post({ name: 'West police', type: 'police' }, worker.token)).status).toBe(403);
    expect((await api.patch(`/api/v1/organisations/${crypto.randomUUID()}`, coordinator.token, { active: false })).status).toBe(404);
    // only link workers belong to one, and it must exist
    await expect(createUserWithToken(ctx, { role: 'coordinator', name: 'C', email: 'c-org@example.org', organisationId: (await create('Some org', 'other')).id })).rejects.toMatchObject({ issues: [{ path: ['organisationId'], message: 'only link workers belong to a referrer organisation' }] });
    await expect(createUserWithToken(ctx, { role: 'link_worker', name: 'L', email: 'l-org@example.org', organisationId: crypto.randomUUID() })).rejects.toMatchObject({ status: 400, details: [{ path: 'organisationId', message: 'no such organisation' }] });
  });

  it('are managed on the hub’s page, and a new link worker on the users page names theirs', async () => {
    const hub = await makeWebUser(ctx, 'coordinator');
    const web = new WebClient(ctx.baseUrl);
    await web.signIn(hub.email, hub.password);
    const bad = await web.postWithCsrf('/hub/organisations', '/hub/organisations', { name: 'Valley housing', type: '' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Type: must be one of');
    expect((await web.postWithCsrf('/hub/organisations', '/hub/organisations', { name: 'Valley housing', type: 'housing' })).status).toBe(303);
    const valley = (await ctx.db.selectFrom('organisations').select('id').where('name', '=', 'Valley housing').executeTakeFirstOrThrow()).id;

    const admin = await makeWebUser(ctx, 'admin');
    const adm = new WebClient(ctx.baseUrl);
    await adm.signIn(admin.email, admin.password);
    const form = { role: 'link_worker', name: 'Valley worker', email: 'valley-worker@example.org', agencyId: '', password: 'a long enough password' };
    const missing = await adm.postWithCsrf('/hub/users', '/hub/users', { ...form, organisationId: '' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Organisation: choose the organisation this link worker works for');
    expect((await adm.postWithCsrf('/hub/users', '/hub/users', { ...form, organisationId: valley })).status).toBe(303);
    expect((await ctx.db.selectFrom('users').select('organisationId').where('email', '=', form.email).executeTakeFirstOrThrow()).organisationId).toBe(valley);
  });
});
