import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let coordinator: TestUser;
let admin: TestUser;
let worker: TestUser;
let agencyUser: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, coordinator, admin, worker, agencyUser } = await createWorld({
    coordinator: 'coordinator',
    admin: 'admin',
    worker: 'link_worker',
    agencyUser: { agencyOf: 0 },
  }));
});
afterAll(async () => ctx?.close());

const fire = () => q.questions[0]!.agencyId;
const police = () => q.questions[1]!.agencyId;

describe('roles', () => {
  it('keeps questionnaire management to coordinators and admins', async () => {
    for (const user of [worker, agencyUser]) {
      expect((await api.get('/api/v1/questionnaires', user.token)).status).toBe(403);
      expect((await api.post('/api/v1/questionnaires', user.token, {})).status).toBe(403);
      expect((await api.get(`/api/v1/questionnaires/${q.id}`, user.token)).status).toBe(403);
      expect((await api.patch(`/api/v1/questionnaires/${q.id}`, user.token, { title: 'x' })).status).toBe(403);
      expect((await api.post(`/api/v1/questionnaires/${q.id}/publish`, user.token)).status).toBe(403);
    }
    expect((await api.get('/api/v1/questionnaires')).status).toBe(401);
    expect((await api.get('/api/v1/questionnaires', admin.token)).status).toBe(200);
  });
});

describe('drafts', () => {
  it('makes an empty draft with the next version number', async () => {
    const res = await api.post('/api/v1/questionnaires', coordinator.token, { title: 'Winter checklist' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ version: 2, title: 'Winter checklist', status: 'draft', isCurrent: false, sections: [] });
    const list = await api.get('/api/v1/questionnaires', coordinator.token);
    expect(list.body.items.map((x: any) => [x.version, x.status, x.isCurrent])).toEqual([
      [2, 'draft', false],
      [1, 'published', true],
    ]);
    expect(list.body.items[0]).toMatchObject({ id: res.body.id, title: 'Winter checklist' });
  });

  it('copies the current version with new ids when asked', async () => {
    const res = await api.post('/api/v1/questionnaires', coordinator.token, { copyFrom: 'current' });
    expect(res.status).toBe(201);
    expect(res.body.title).toBe(q.title);
    expect(res.body.version).toBe(3);
    const copied = res.body.sections.flatMap((s: any) => s.questions);
    expect(copied.map((x: any) => [x.text, x.agencyId])).toEqual(q.questions.map((x) => [x.text, x.agencyId]));
    expect(res.body.sections.map((s: any) => s.title)).toEqual(q.sections.map((s) => s.title));
    const oldIds = new Set([...q.questions.map((x) => x.id), ...q.sections.map((s) => s.id)]);
    expect(copied.some((x: any) => oldIds.has(x.id)) || res.body.sections.some((s: any) => oldIds.has(s.id))).toBe(false);
    // the published original is untouched
    const original = await api.get(`/api/v1/questionnaires/${q.id}`, coordinator.token);
    expect(original.body.sections.flatMap((s: any) => s.questions.map((x: any) => x.id))).toEqual(q.questions.map((x) => x.id));
  });

  it('answers 400 for a bad body and 404 for an unknown id', async () => {
    expect((await api.post('/api/v1/questionnaires', coordinator.token, { copyFrom: 'v1' })).status).toBe(400);
    expect((await api.get('/api/v1/questionnaires/00000000-0000-4000-8000-000000000000', coordinator.token)).status).toBe(404);
    expect((await api.patch('/api/v1/questionnaires/00000000-0000-4000-8000-000000000000', coordinator.token, { title: 'x' })).status).toBe(404);
    expect((await api.post('/api/v1/questionnaires/00000000-0000-4000-8000-000000000000/publish', coordinator.token)).status).toBe(404);
  });

  it("replaces a draft's content wholesale", async () => {
    const draft = (await api.post('/api/v1/questionnaires', coordinator.token, { copyFrom: 'current' })).body;
    const res = await api.patch(`/api/v1/questionnaires/${draft.id}`, coordinator.token, {
      title: 'Short checklist',
      sections: [
        { title: 'Safety', questions: [{ text: 'Smoke alarms?', agencyId: fire() }, { text: 'Scams?', agencyId: police() }] },
        { title: 'More', questions: [{ text: 'Doorstep callers?', agencyId: police() }] },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.title).toBe('Short checklist');
    expect(res.body.sections.map((s: any) => [s.title, s.position, s.questions.map((x: any) => [x.text, x.position, x.agencyId])])).toEqual([
      ['Safety', 1, [['Smoke alarms?', 1, fire()], ['Scams?', 2, police()]]],
      ['More', 1 + 1, [['Doorstep callers?', 1, police()]]],
    ]);
    const n = await ctx.db.selectFrom('questions').select((eb) => eb.fn.countAll<string>().as('n')).where('questionnaireId', '=', draft.id).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(3);
    // a title-only change keeps the content
    const retitled = await api.patch(`/api/v1/questionnaires/${draft.id}`, coordinator.token, { title: 'Shorter' });
    expect(retitled.body.sections.flatMap((s: any) => s.questions.map((x: any) => x.id))).toEqual(res.body.sections.flatMap((s: any) => s.questions.map((x: any) => x.id)));
  });

  it('answers 400 naming each question with an unknown agency, and changes nothing', async () => {
    const draft = (await api.post('/api/v1/questionnaires', coordinator.token, { copyFrom: 'current' })).body;
    const res = await api.patch(`/api/v1/questionnaires/${draft.id}`, coordinator.token, {
      sections: [{ title: 'S', questions: [{ text: 'ok', agencyId: fire() }, { text: 'bad', agencyId: '00000000-0000-4000-8000-000000000000' }] }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'sections.0.questions.1.agencyId', message: 'no agency has this id' }]);
    const shape = await api.patch(`/api/v1/questionnaires/${draft.id}`, coordinator.token, { sections: [{ title: '', questions: [{ text: 'x' }] }] });
    expect(shape.status).toBe(400);
    expect(shape.body.error.details.map((d: any) => d.path)).toEqual(expect.arrayContaining(['sections.0.title', 'sections.0.questions.0.agencyId']));
    const after = await api.get(`/api/v1/questionnaires/${draft.id}`, coordinator.token);
    expect(after.body.sections.flatMap((s: any) => s.questions)).toHaveLength(q.questions.length);
  });
});

describe('publishing', () => {
  it('refuses an empty questionnaire, listing why', async () => {
    const draft = (await api.post('/api/v1/questionnaires', coordinator.token, {})).body;
    const res = await api.post(`/api/v1/questionnaires/${draft.id}/publish`, coordinator.token);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('not_publishable');
    expect(res.body.error.details).toEqual([{ path: 'sections', message: 'the questionnaire has no questions' }]);
  });

  it('refuses, listing every question whose agency is paused', async () => {
    const paused = await api.post('/api/v1/agencies', coordinator.token, { name: 'Paused partner', email: 'p@example.org', status: 'paused' });
    const draft = (await api.post('/api/v1/questionnaires', coordinator.token, {})).body;
    const edited = await api.patch(`/api/v1/questionnaires/${draft.id}`, coordinator.token, {
      sections: [
        { title: 'A', questions: [{ text: 'fine', agencyId: fire() }, { text: 'paused one', agencyId: paused.body.id }] },
        { title: 'B', questions: [{ text: 'paused two', agencyId: paused.body.id }] },
        { title: 'Empty', questions: [] },
      ],
    });
    expect(edited.status).toBe(200);
    const ids = edited.body.sections.flatMap((s: any) => s.questions.map((x: any) => x.id));
    const res = await api.post(`/api/v1/questionnaires/${draft.id}/publish`, coordinator.token);
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([
      { path: 'sections.2', message: 'the section "Empty" has no questions' },
      { path: 'sections.0.questions.1.agencyId', questionId: ids[1], message: '"paused one" names a paused agency (Paused partner)' },
      { path: 'sections.1.questions.0.agencyId', questionId: ids[2], message: '"paused two" names a paused agency (Paused partner)' },
    ]);
    const row = await ctx.db.selectFrom('questionnaires').select(['status', 'isCurrent']).where('id', '=', draft.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'draft', isCurrent: false });
  });

  it('retires the current version and makes the draft current, in one step', async () => {
    const draft = (await api.post('/api/v1/questionnaires', coordinator.token, { copyFrom: 'current', title: 'Checklist v-next' })).body;
    ctx.clock.advance(3_600_000);
    const res = await api.post(`/api/v1/questionnaires/${draft.id}/publish`, admin.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: draft.id, status: 'published', isCurrent: true, publishedAt: ctx.clock.now().toISOString() });
    const rows = await ctx.db.selectFrom('questionnaires').select(['id', 'status', 'isCurrent']).where('status', '!=', 'draft').orderBy('version').execute();
    expect(rows).toEqual([
      { id: q.id, status: 'retired', isCurrent: false },
      { id: draft.id, status: 'published', isCurrent: true },
    ]);
    // link workers now fill in the new version; the old one is refused
    const current = await api.get('/api/v1/questionnaire', worker.token);
    expect(current.body.id).toBe(draft.id);
    const old = await api.post('/api/v1/submissions', worker.token, submissionBody(q, []));
    expect(old.status).toBe(400);
    const questions = current.body.sections.flatMap((s: any) => s.questions);
    const fresh = await api.post('/api/v1/submissions', worker.token, submissionBody({ id: draft.id, questions }, [questions[0].id]));
    expect(fresh.status).toBe(201);

    // published and retired versions are immutable, through the API and in the database
    for (const id of [draft.id, q.id]) {
      const patch = await api.patch(`/api/v1/questionnaires/${id}`, coordinator.token, { title: 'changed' });
      expect(patch.status).toBe(409);
      expect(patch.body.error.code).toBe('not_draft');
      expect((await api.post(`/api/v1/questionnaires/${id}/publish`, coordinator.token)).body.error.code).toBe('not_draft');
    }
    await expect(sql`UPDATE questions SET text = 'tampered' WHERE questionnaire_id = ${draft.id}`.execute(ctx.db)).rejects.toThrow(/immutable/);
    const still = await api.get(`/api/v1/questionnaires/${draft.id}`, coordinator.token);
    expect(still.body.title).toBe('Checklist v-next');
  });

  it('keeps exactly one current version when two drafts are published at once', async () => {
    const a = (await api.post('/api/v1/questionnaires', coordinator.token, { copyFrom: 'current' })).body;
    const b = (await api.post('/api/v1/questionnaires', coordinator.token, { copyFrom: 'current' })).body;
    const [ra, rb] = await Promise.all([
      api.post(`/api/v1/questionnaires/${a.id}/publish`, coordinator.token),
      api.post(`/api/v1/questionnaires/${b.id}/publish`, coordinator.token),
    ]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    const current = await ctx.db.selectFrom('questionnaires').select('id').where('isCurrent', '=', true).execute();
    expect(current).toHaveLength(1);
    const statuses = await ctx.db.selectFrom('questionnaires').select(['id', 'status']).where('id', 'in', [a.id, b.id]).execute();
    expect(statuses.map((s) => s.status).sort()).toEqual(['published', 'retired']);
  });
});
