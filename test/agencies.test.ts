import { PERSON_FIELDS } from '../src/kernel/person-fields.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { createWorld, type Api } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let coordinator: TestUser;
let admin: TestUser;
let worker: TestUser;
let agencyUser: TestUser;

beforeAll(async () => {
  ({ ctx, api, coordinator, admin, worker, agencyUser } = await createWorld({
    coordinator: 'coordinator',
    admin: 'admin',
    worker: 'link_worker',
    agencyUser: { agencyOf: 0 },
  }));
});
afterAll(async () => ctx?.close());

const newAgency = (over: Record<string, unknown> = {}) => ({
  name: `Test agency ${Math.random().toString(36).slice(2, 8)}`,
  email: 'referrals@agency.example.org',
  phone: '020 7946 0999',
  ...over,
});

describe('GET /api/v1/agencies', () => {
  it('lists every agency for any signed-in user, with its contact window', async () => {
    const res = await api.get('/api/v1/agencies', worker.token);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(17);
    const advice = res.body.items.find((a: any) => a.name.startsWith('Information and advice'));
    expect(advice).toEqual({
      id: expect.any(String),
      name: 'Information and advice (benefits and debt)',
      email: 'advice@hub.example.org',
      phone: '020 7946 0016',
      status: 'active',
      contactDays: 10,
      contactClock: 'calendar_days',
      // every detail of the person, until the hub says otherwise
      personFields: [...PERSON_FIELDS],
    });
  });

  it('answers 401 without a token', async () => {
    expect((await api.get('/api/v1/agencies')).status).toBe(401);
  });
});

describe('POST /api/v1/agencies', () => {
  it('creates an active agency with a 14-day contact window by default', async () => {
    const body = newAgency();
    const res = await api.post('/api/v1/agencies', coordinator.token, body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), ...body, status: 'active', contactDays: 14, contactClock: 'calendar_days', personFields: [...PERSON_FIELDS] });
    expect(res.headers.get('location')).toBe(`/api/v1/agencies/${res.body.id}`);
    const row = await ctx.db.selectFrom('agencies').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: body.name, status: 'active', contactDays: 14 });
    expect(row.createdAt).toEqual(ctx.clock.now());
  });

  it('takes its default contact window from CONTACT_WITHIN_DAYS', async () => {
    const { createAgency } = await import('../src/modules/directory/agency.service.js');
    const principal = { userId: coordinator.id, name: coordinator.name, role: 'coordinator' as const, agencyId: null };
    const a = await createAgency({ ...ctx, env: { ...ctx.env, CONTACT_WITHIN_DAYS: 21 } }, principal, { ...newAgency(), status: 'active' });
    expect(a.contactDays).toBe(21);
  });

  it('counts contact days as calendar days unless told working days (CONTACT_CLOCK, or per agency)', async () => {
    const { createAgency } = await import('../src/modules/directory/agency.service.js');
    const principal = { userId: coordinator.id, name: coordinator.name, role: 'coordinator' as const, agencyId: null };
    const a = await createAgency({ ...ctx, env: { ...ctx.env, CONTACT_CLOCK: 'working_days' } }, principal, { ...newAgency(), status: 'active' });
    expect(a.contactClock).toBe('working_days');
    const created = await api.post('/api/v1/agencies', coordinator.token, newAgency({ contactDays: 10, contactClock: 'working_days' }));
    expect(created.body).toMatchObject({ contactDays: 10, contactClock: 'working_days' });
    const back = await api.patch(`/api/v1/agencies/${created.body.id}`, coordinator.token, { contactClock: 'calendar_days' });
    expect(back.body).toMatchObject({ contactDays: 10, contactClock: 'calendar_days' });
    const bad = await api.patch(`/api/v1/agencies/${created.body.id}`, coordinator.token, { contactClock: 'weekdays' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'contactClock', message: 'must be one of: calendar_days, working_days' }]);
  });

  it('lets an admin create a paused agency with its own contact window', async () => {
    const res = await api.post('/api/v1/agencies', admin.token, newAgency({ status: 'paused', contactDays: 30, phone: undefined }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'paused', contactDays: 30, phone: null });
  });

  it('answers 403 for link workers and agency users, and stores nothing', async () => {
    const before = (await ctx.db.selectFrom('agencies').select('id').execute()).length;
    expect((await api.post('/api/v1/agencies', worker.token, newAgency())).status).toBe(403);
    expect((await api.post('/api/v1/agencies', agencyUser.token, newAgency())).status).toBe(403);
    expect((await ctx.db.selectFrom('agencies').select('id').execute()).length).toBe(before);
  });

  it('answers 400 naming every bad field', async () => {
    const res = await api.post('/api/v1/agencies', coordinator.token, { name: ' ', email: 'not-an-email', contactDays: 91, status: 'closed', colour: 'red' });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: any) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'email', 'contactDays', 'status']));
    const res2 = await api.post('/api/v1/agencies', coordinator.token, newAgency({ contactDays: 0 }));
    expect(res2.status).toBe(400);
    expect(res2.body.error.details.map((d: any) => d.path)).toEqual(['contactDays']);
    const res3 = await api.post('/api/v1/agencies', coordinator.token, newAgency({ colour: 'red' }));
    expect(res3.status).toBe(400);
  });

  it('answers 409 for a name already used, whatever its case', async () => {
    const res = await api.post('/api/v1/agencies', coordinator.token, newAgency({ name: 'BEFRIENDING SERVICE' }));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('duplicate_name');
  });
});

describe('PATCH /api/v1/agencies/:id', () => {
  it('changes only the fields given and stamps updatedAt', async () => {
    const created = await api.post('/api/v1/agencies', coordinator.token, newAgency());
    ctx.clock.advance(60_000);
    const res = await api.patch(`/api/v1/agencies/${created.body.id}`, coordinator.token, { status: 'paused', contactDays: 21 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...created.body, status: 'paused', contactDays: 21 });
    const row = await ctx.db.selectFrom('agencies').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(row.updatedAt).toEqual(ctx.clock.now());
    expect(row.createdAt).not.toEqual(row.updatedAt);
    // and back, clearing the phone
    const back = await api.patch(`/api/v1/agencies/${created.body.id}`, admin.token, { status: 'active', phone: null });
    expect(back.body).toMatchObject({ status: 'active', phone: null, contactDays: 21 });
  });

  it('answers 404 for an unknown id, 400 for a malformed one or an empty change', async () => {
    expect((await api.patch('/api/v1/agencies/00000000-0000-4000-8000-000000000000', coordinator.token, { status: 'paused' })).status).toBe(404);
    const bad = await api.patch('/api/v1/agencies/nope', coordinator.token, { status: 'paused' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'id', message: 'must be a UUID' }]);
    const created = await api.post('/api/v1/agencies', coordinator.token, newAgency());
    expect((await api.patch(`/api/v1/agencies/${created.body.id}`, coordinator.token, {})).status).toBe(400);
    const res = await api.patch(`/api/v1/agencies/${created.body.id}`, coordinator.token, { contactDays: 'soon' });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('contactDays');
  });

  it('answers 409 when renaming onto another agency, and 403 for non-hub roles', async () => {
    const created = await api.post('/api/v1/agencies', coordinator.token, newAgency());
    const res = await api.patch(`/api/v1/agencies/${created.body.id}`, coordinator.token, { name: 'carers centre' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('duplicate_name');
    expect((await api.patch(`/api/v1/agencies/${created.body.id}`, agencyUser.token, { status: 'paused' })).status).toBe(403);
    expect((await api.patch(`/api/v1/agencies/${created.body.id}`, worker.token, { status: 'paused' })).status).toBe(403);
    const row = await ctx.db.selectFrom('agencies').select(['name', 'status']).where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ name: created.body.name, status: 'active' });
  });
});
