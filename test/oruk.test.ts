/**
 * Open Referral UK ([4/6] point 3, docs/oruk.md): the public feed at /oruk, validated against
 * the UK profile's own JSON schemas (copied into test/fixtures/oruk/, with their source and
 * licence), and `signpost directory:import FILE [--dry-run]` on the real Postgres.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../migrations/index.js';
import { runCliCaptured } from './helpers/cli.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { makeWebUser } from './helpers/browser.js';
import type { TestContext } from './helpers/context.js';
import type { TestUser } from './helpers/factories.js';
import { WebClient } from './helpers/web-client.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

const DAY = 86_400_000;
const fixture = (name: string) => new URL(`./fixtures/oruk/${name}`, import.meta.url);
const readJson = async (name: string) => JSON.parse(await readFile(fixture(name), 'utf8'));

let ctx: TestContext;
let api: Api;
let q: Checklist;
let coordinator: TestUser;
let fireUser: TestUser;
let schemas: { servicesPage: ValidateFunction; organizationsPage: ValidateFunction; service: ValidateFunction; organization: ValidateFunction };
let dir: string;

beforeAll(async () => {
  ({ ctx, api, q, coordinator, fireUser } = await createWorld({ coordinator: 'coordinator', fireUser: { agencyOf: 0 } }));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const page = await readJson('page.schema.json');
  const pageOf = (items: object) => ({ ...page, required: ['total_items', 'total_pages', 'page_number', 'size', 'first_page', 'last_page', 'empty', 'contents'], properties: { ...page.properties, contents: { type: 'array', items } } });
  schemas = {
    servicesPage: ajv.compile(pageOf(await readJson('service_list.schema.json'))),
    organizationsPage: ajv.compile(pageOf(await readJson('organization_list.schema.json'))),
    service: ajv.compile(await readJson('service.schema.json')),
    organization: ajv.compile(await readJson('organization.schema.json')),
  };
  dir = await mkdtemp(join(tmpdir(), 'signpost-oruk-'));
});
afterAll(async () => ctx?.close());

/** A GET of the feed, with no token: its body checked against the schema named, when it is a 200. */
async function feed(path: string, schema?: keyof typeof schemas) {
  const res = await api.get(path);
  expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
  expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
  if (schema && res.status === 200) {
    const ok = schemas[schema](res.body);
    expect(schemas[schema].errors ?? [], `${path} against ${schema}`).toEqual([]);
    expect(ok).toBe(true);
  }
  return res;
}

/** Every key anywhere in a JSON value. */
const keysOf = (v: unknown): string[] =>
  Array.isArray(v) ? v.flatMap(keysOf) : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...keysOf(x)]) : [];

const agencyCount = async () => Number((await ctx.db.selectFrom('agencies').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

describe('the schemas the feed is checked against', () => {
  it('accept the profile\'s own example page and refuse a service without a name or with an unknown status', async () => {
    const example = await readJson('services-page.example.json');
    expect(schemas.servicesPage(example)).toBe(true);
    const item = example.contents[0];
    const { name: _name, ...nameless } = item;
    expect(schemas.servicesPage({ ...example, contents: [nameless] })).toBe(false);
    expect(schemas.servicesPage({ ...example, contents: [{ ...item, status: 'open' }] })).toBe(false);
    expect(schemas.servicesPage({ ...example, contents: [{ ...item, id: 'not-a-uuid' }] })).toBe(false);
  });
});

describe('GET /oruk/services', () => {
  it('lists every agency as a service on one page by default, with public fields only', async () => {
    const res = await feed('/oruk/services', 'servicesPage');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total_items: 17, total_pages: 1, page_number: 1, size: 17, first_page: true, last_page: true, empty: false });
    const fire = res.body.contents.find((s: any) => s.id === q.questions[0]!.agencyId);
    expect(fire).toEqual({
      id: q.questions[0]!.agencyId,
      organization_id: q.questions[0]!.agencyId,
      name: 'Fire & rescue: home fire safety visits',
      status: 'active',
      last_modified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      organization: { id: q.questions[0]!.agencyId, name: 'Fire & rescue: home fire safety visits', description: 'Fire & rescue: home fire safety visits' },
    });
    // no inbox, phone, contact clock or person's fields, by key or by value
    const keys = new Set(keysOf(res.body));
    for (const k of ['email', 'phone', 'contactDays', 'contact_days', 'contactClock', 'personFields', 'waitWeeks', 'closedUntil']) expect(keys.has(k), k).toBe(false);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('@');
    expect(text).not.toContain('020 7946');
  });

  it('pages through every agency once, in order, and answers an empty page past the last', async () => {
    const all = (await feed('/oruk/services?per_page=200', 'servicesPage')).body.contents.map((s: any) => s.id);
    expect(all).toHaveLength(17);
    const seen: string[] = [];
    for (let page = 1; page <= 4; page++) {
      const res = await feed(`/oruk/services?page=${page}&per_page=5`, 'servicesPage');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total_items: 17, total_pages: 4, page_number: page, size: page < 4 ? 5 : 2, first_page: page === 1, last_page: page === 4, empty: false });
      seen.push(...res.body.contents.map((s: any) => s.id));
    }
    expect(seen).toEqual(all);
    const past = await feed('/oruk/services?page=5&per_page=5', 'servicesPage');
    expect(past.status).toBe(200);
    expect(past.body).toEqual({ total_items: 17, total_pages: 4, page_number: 5, size: 0, first_page: false, last_page: true, empty: true, contents: [] });
    const one = await feed('/oruk/services?per_page=1', 'servicesPage');
    expect(one.body).toMatchObject({ total_pages: 17, size: 1, first_page: true, last_page: false });
  });

  it('answers 400 naming the parameter for a bad page or per_page', async () => {
    const cases: [string, string, RegExp][] = [
      ['page=0', 'page', /1 or more/],
      ['page=-1', 'page', /whole number/],
      ['page=1.5', 'page', /whole number/],
      ['page=abc', 'page', /whole number/],
      ['page=', 'page', /whole number/],
      ['page=1&page=2', 'page', /given once/],
      ['per_page=0', 'per_page', /1 or more/],
      ['per_page=201', 'per_page', /at most 200/],
      ['per_page=1e3', 'per_page', /whole number/],
      ['page=99999999999', 'page', /whole number/],
    ];
    for (const [query, path, message] of cases) {
      const res = await feed(`/oruk/services?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.details, query).toEqual([{ path, message: expect.stringMatching(message) }]);
    }
    expect((await feed('/oruk/organizations?per_page=201')).status).toBe(400);
  });
});

describe('GET /oruk/services/:id and the organizations', () => {
  it('answers one service and one organization, each valid against the profile\'s full record', async () => {
    const id = q.questions[0]!.agencyId;
    const service = await feed(`/oruk/services/${id}`, 'service');
    expect(service.status).toBe(200);
    expect(service.body).toMatchObject({ id, name: 'Fire & rescue: home fire safety visits', status: 'active', organization: { id } });
    const org = await feed(`/oruk/organizations/${id}`, 'organization');
    expect(org.status).toBe(200);
    expect(org.body).toMatchObject({ id, name: 'Fire & rescue: home fire safety visits', services: [{ id, status: 'active' }] });
    const orgs = await feed('/oruk/organizations?per_page=10&page=2', 'organizationsPage');
    expect(orgs.body).toMatchObject({ total_items: 17, total_pages: 2, page_number: 2, size: 7, first_page: false, last_page: true });
    for (const body of [service.body, org.body, orgs.body]) expect(JSON.stringify(body)).not.toContain('@');
  });

  it('answers 404 for an id no agency has and 400 for one that is not a UUID, as JSON that any origin may read', async () => {
    const unknown = '0194f0a4-6a3e-7c1b-9d2e-3f4a5b6c7d8e';
    for (const path of [`/oruk/services/${unknown}`, `/oruk/organizations/${unknown}`, '/oruk/taxonomies', '/oruk/']) {
      const res = await feed(path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe('not_found');
    }
    for (const path of ['/oruk/services/not-a-uuid', '/oruk/organizations/1']) {
      const res = await feed(path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.details, path).toEqual([{ path: 'id', message: 'must be a UUID' }]);
    }
  });

  it('answers hostile ids and queries with a 4xx or a page, never a 5xx', async () => {
    const paths = [
      '/oruk/services/%00', '/oruk/services/%ED%A0%80', `/oruk/services/${'a'.repeat(5000)}`, '/oruk/services/..%2F..%2Fapi%2Fv1%2Fagencies',
      '/oruk/organizations/%E2%80%AE', '/oruk/services/00000000-0000-0000-0000-000000000000%00',
      '/oruk/services?page[]=1', '/oruk/services?page[a]=2', '/oruk/services?per_page=%00', '/oruk/services?page=%ED%A0%80',
      '/oruk/services?page=1%00', '/oruk/services?page=0x10', '/oruk/services?page=%201', '/oruk/services?__proto__=1&constructor=2',
      `/oruk/services?per_page=${'9'.repeat(400)}`, '/oruk/organizations?page=Infinity', '/oruk/organizations?page=NaN',
    ];
    for (const path of paths) {
      const res = await feed(path);
      expect(res.status, path).toBeLessThan(500);
      expect([200, 400, 404], path).toContain(res.status);
    }
  });

  it('says open or closed and nothing more of capacity, and a paused agency is inactive', async () => {
    const fire = q.questions[0]!.agencyId;
    const capacity = (body: object) => api.put(`/api/v1/agencies/${fire}/capacity`, fireUser.token, body);
    const reopening = new Date(ctx.clock.now().getTime() + 30 * DAY).toISOString().slice(0, 10);
    try {
      expect((await capacity({ status: 'waiting_list', waitWeeks: 7 })).status).toBe(200);
      let res = await feed(`/oruk/services/${fire}`, 'service');
      expect(res.body.status).toBe('active');
      expect(JSON.stringify(res.body)).not.toMatch(/7 weeks|waiting|wait/i);

      expect((await capacity({ status: 'closed', closedUntil: reopening })).status).toBe(200);
      res = await feed(`/oruk/services/${fire}`, 'service');
      expect(res.body.status).toBe('temporarily closed');
      expect(JSON.stringify(res.body)).not.toContain(reopening);
      const listed = await feed('/oruk/services', 'servicesPage');
      expect(listed.body.contents.find((s: any) => s.id === fire).status).toBe('temporarily closed');
      expect(JSON.stringify(listed.body)).not.toContain(reopening);
    } finally {
      expect((await capacity({ status: 'accepting' })).status).toBe(200);
    }
    expect((await feed(`/oruk/services/${fire}`, 'service')).body.status).toBe('active');

    const other = q.questions[1]!.agencyId;
    expect((await api.patch(`/api/v1/agencies/${other}`, coordinator.token, { status: 'paused' })).status).toBe(200);
    expect((await feed(`/oruk/organizations/${other}`, 'organization')).body.services[0].status).toBe('inactive');
    expect((await api.patch(`/api/v1/agencies/${other}`, coordinator.token, { status: 'active' })).status).toBe(200);
  });
});

describe('signpost directory:import FILE [--dry-run]', () => {
  const cli = (args: string[]) => runCliCaptured(args, ctx.env);
  const fileWith = async (name: string, content: unknown) => {
    const path = join(dir, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const agencyRows = () => ctx.db.selectFrom('agencies').selectAll().orderBy('id').execute();
  const EXAMPLE_ID = 'ac148810-d857-441c-9679-408f346de14b';
  const byOrukId = (orukId: string) => ctx.db.selectFrom('agencies').selectAll().where('orukId', '=', orukId).executeTakeFirst();

  it('with --dry-run says what it would do and changes nothing', async () => {
    const before = await agencyRows();
    const r = await cli(['directory:import', fixture('services-page.example.json').pathname, '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      dryRun: true, created: 1, updated: 0, unchanged: 0, skipped: 0,
      services: [{ orukId: EXAMPLE_ID, name: 'Community Counselling', action: 'created' }],
    });
    expect(await agencyRows()).toEqual(before);
  });

  it('creates the agency paused with no inbox; the feed shows it; again it is unchanged, then updated, and never deleted', async () => {
    const before = await agencyCount();
    const r = await cli(['directory:import', fixture('services-page.example.json').pathname]);
    expect(r.code).toBe(0);
    const made = JSON.parse(r.stdout);
    expect(made).toMatchObject({ dryRun: false, created: 1, updated: 0, unchanged: 0, skipped: 0, services: [{ orukId: EXAMPLE_ID, name: 'Community Counselling', action: 'created', agencyId: expect.any(String) }] });
    const agencyId = made.services[0].agencyId;
    expect(await agencyCount()).toBe(before + 1);
    const row = await byOrukId(EXAMPLE_ID);
    expect(row).toMatchObject({ id: agencyId, name: 'Community Counselling', status: 'paused', email: 'inbox-not-set@signpost.invalid', phone: null, contactDays: 14 });
    expect(row!.description).toMatch(/^Counselling Services provided by trained professionals\./);

    // the feed shows it, inactive until the hub sets its inbox, with the description
    const service = await feed(`/oruk/services/${agencyId}`, 'service');
    expect(service.body).toMatchObject({ id: agencyId, name: 'Community Counselling', status: 'inactive', description: row!.description });
    expect(JSON.stringify(service.body)).not.toContain('signpost.invalid');
    const page = await feed('/oruk/services', 'servicesPage');
    expect(page.body.total_items).toBe(before + 1);

    // it cannot be made active without an inbox; with one it can
    const activate = await api.patch(`/api/v1/agencies/${agencyId}`, coordinator.token, { status: 'active' });
    expect(activate.status).toBe(400);
    expect(activate.body.error.details).toEqual([{ path: 'email', message: 'must be set before the agency is active' }]);
    expect((await byOrukId(EXAMPLE_ID))!.status).toBe('paused');
    // the hub's pages say the inbox is not set (never show the placeholder), and refuse too
    const hub = await makeWebUser(ctx, 'coordinator');
    const web = new WebClient(ctx.baseUrl);
    await web.signIn(hub.email, hub.password);
    const list = await web.get('/hub/agencies');
    expect(list.status).toBe(200);
    expect(list.text).toContain('Not set yet');
    const one = await web.get(`/hub/agencies/${agencyId}`);
    expect(one.text).toContain('no email for referrals yet: it stays paused until you set one');
    for (const text of [list.text, one.text]) expect(text).not.toContain('inbox-not-set@signpost.invalid');
    const refused = await web.postWithCsrf(`/hub/agencies/${agencyId}`, `/hub/agencies/${agencyId}`, { email: '', status: 'active', contactDays: '14', contactClock: 'calendar_days' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('must be set before the agency is active');
    expect((await byOrukId(EXAMPLE_ID))!.status).toBe('paused');

    // the same file again: unchanged
    const again = await cli(['directory:import', fixture('services-page.example.json').pathname]);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 1, skipped: 0, services: [{ action: 'unchanged', agencyId }] });

    // renamed in the source: updated, its inbox and status left as the hub set them
    expect((await api.patch(`/api/v1/agencies/${agencyId}`, coordinator.token, { email: 'counselling@vcf.example.org', status: 'active' })).status).toBe(200);
    const example = await readJson('services-page.example.json');
    const renamed = { ...example, contents: [{ ...example.contents[0], name: 'Community Counselling Service', description: 'Counselling for adults.' }] };
    const updated = await cli(['directory:import', await fileWith('renamed.json', renamed)]);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ created: 0, updated: 1, services: [{ action: 'updated', agencyId, changed: ['name', 'description'] }] });
    expect(await byOrukId(EXAMPLE_ID)).toMatchObject({ id: agencyId, name: 'Community Counselling Service', description: 'Counselling for adults.', status: 'active', email: 'counselling@vcf.example.org' });
    expect((await feed(`/oruk/services/${agencyId}`, 'service')).body).toMatchObject({ name: 'Community Counselling Service', status: 'active', description: 'Counselling for adults.' });

    // a page without it deletes nothing; a known name and a defunct new service are skipped
    const other = { ...example.contents[0], id: '5b0f3a3e-2f0e-4f51-9d0a-6a1f2b7c8d90', name: 'Befriending service' };
    const gone = { ...example.contents[0], id: '7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', name: 'Old lunch club', status: 'defunct' };
    const fresh = { ...example.contents[0], id: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', name: 'Men in sheds', description: undefined };
    const before2 = await agencyCount();
    const r2 = await cli(['directory:import', await fileWith('others.json', { ...example, total_items: 3, contents: [other, gone, fresh] })]);
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout)).toMatchObject({
      created: 1, updated: 0, unchanged: 0, skipped: 2,
      services: [
        { orukId: other.id, action: 'skipped', reason: 'an agency of this name is already in the hub without this ORUK id' },
        { orukId: gone.id, action: 'skipped', reason: 'the service is defunct and not in the hub' },
        { orukId: fresh.id, name: 'Men in sheds', action: 'created' },
      ],
    });
    expect(await agencyCount()).toBe(before2 + 1);
    expect(await byOrukId(EXAMPLE_ID)).toMatchObject({ id: agencyId, name: 'Community Counselling Service' });
    expect(await byOrukId(fresh.id)).toMatchObject({ name: 'Men in sheds', description: null, status: 'paused' });
    expect(await byOrukId(other.id)).toBeUndefined();
  });

  it('refuses a bad file with the field and the reason, exits non-zero, and imports none of it', async () => {
    const before = await agencyRows();
    const example = await readJson('services-page.example.json');
    const item = example.contents[0];
    const { name: _name, ...nameless } = item;
    const good = { ...item, id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', name: 'A good new service' };
    const cases: [string, unknown, RegExp][] = [
      ['not-json.json', '{"contents": [', /the file is not JSON/],
      ['list.json', [item], /\(file\): must be an object/],
      ['no-contents.json', { total_items: 0 }, /contents: must be a list of services/],
      ['bad-id.json', { contents: [good, { ...item, id: '42' }] }, /contents\.1\.id: must be a UUID/],
      ['no-name.json', { contents: [good, nameless] }, /contents\.1\.name: /],
      ['two-lines.json', { contents: [{ ...item, name: 'Counselling\nand more' }] }, /contents\.0\.name: must be on one line/],
      ['bad-status.json', { contents: [{ ...item, status: 'open' }] }, /contents\.0\.status: must be one of: active, inactive, defunct, temporarily closed/],
      ['twice.json', { contents: [item, good, item] }, /contents\.2\.id: repeats the id of contents\.0/],
      ['bad-page.json', { ...example, total_items: 'ten' }, /total_items: must be a number/],
      ['nul.json', { contents: [{ ...item, description: 'Counselling\u0000' }] }, /contents\.0\.description: must not hold control characters/],
      ['long.json', { contents: [{ ...item, description: 'x'.repeat(2001) }] }, /contents\.0\.description: must be at most 2000 characters/],
      ['bad-org.json', { contents: [{ ...item, organization: { ...item.organization, id: 'x' } }] }, /contents\.0\.organization\.id: must be a UUID/],
    ];
    for (const [name, content, reason] of cases) {
      const r = await cli(['directory:import', await fileWith(name, content)]);
      expect(r.code, name).toBe(1);
      expect(r.stdout, name).toBe('');
      expect(r.stderr, name).toMatch(reason);
    }
    const missing = await cli(['directory:import', join(dir, 'no-such-file.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ENOENT');
    const usage = await cli(['directory:import']);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('usage: signpost directory:import FILE [--dry-run]');
    expect(await agencyRows()).toEqual(before);
  });
});

describe('the migration of agencies.oruk_id and description', () => {
  it('goes down keeping every agency, and up again', async () => {
    const NAME = '2026_12_08_1300_agency_oruk';
    const names = Object.keys(migrations);
    const before = await agencyCount();
    const columns = async () =>
      (await sql<{ c: string }>`SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'agencies' AND column_name IN ('oruk_id', 'description')`.execute(ctx.db)).rows.map((r) => r.c).sort();
    expect(await columns()).toEqual(['description', 'oruk_id']);
    const down = await new Migrator({ db: ctx.db, provider: { getMigrations: async () => migrations } }).migrateTo(names[names.indexOf(NAME) - 1]!);
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName)).toContain(NAME);
    expect(await columns()).toEqual([]);
    expect(await agencyCount()).toBe(before);
    await migrateToLatest(ctx.db);
    expect(await columns()).toEqual(['description', 'oruk_id']);
    expect(await agencyCount()).toBe(before);
    // the feed reads again, every agency without a description now
    const res = await feed('/oruk/services?per_page=200', 'servicesPage');
    expect(res.body.total_items).toBe(before);
    expect(res.body.contents.every((s: any) => s.description === undefined)).toBe(true);
  });
});
