/**
 * Bad input never reaches Postgres as a 500: a NUL character (which Postgres text cannot hold)
 * anywhere in a JSON body is a 400 naming the field, on every endpoint that writes text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';
import { markForwarded, submit } from './helpers/referrals.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let linkWorker: TestUser;
let coordinator: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, linkWorker, coordinator } = await createWorld({ linkWorker: 'link_worker', coordinator: 'coordinator' }));
});
afterAll(async () => ctx?.close());

const NUL = 'Ann\u0000e';
const paths = (res: { body: { error: { details: { path: string }[] } } }) => res.body.error.details.map((d) => d.path);

describe('a NUL character in a JSON body', () => {
  it('is refused with 400 and the field path, and nothing is stored (submissions)', async () => {
    const before = await ctx.db.selectFrom('submissions').select(ctx.db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const res = await api.post('/api/v1/submissions', linkWorker.token, submissionBody(q, [q.questions[0]!.id], { person: { givenName: NUL, accessNeeds: NUL } }));
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['person.givenName', 'person.accessNeeds']);
    const after = await ctx.db.selectFrom('submissions').select(ctx.db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('is refused on agencies, questionnaire drafts, transitions and follow-ups', async () => {
    let res = await api.post('/api/v1/agencies', coordinator.token, { name: NUL, email: 'nul-test@example.org' });
    expect([res.status, paths(res)]).toEqual([400, ['name']]);

    const draft = await api.post('/api/v1/questionnaires', coordinator.token, {});
    expect(draft.status).toBe(201);
    res = await api.patch(`/api/v1/questionnaires/${draft.body.id}`, coordinator.token, { title: NUL });
    expect([res.status, paths(res)]).toEqual([400, ['title']]);

    const s = await submit(api, linkWorker, q, [q.questions[0]!.id]);
    const ref = s.referrals[0]!;
    await markForwarded(ctx, ref.id);
    res = await api.post(`/api/v1/referrals/${ref.id}/transitions`, coordinator.token, { to: 'acknowledged', note: NUL });
    expect([res.status, paths(res)]).toEqual([400, ['note']]);
    const row = await ctx.db.selectFrom('referrals').select('status').where('id', '=', ref.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('forwarded');

    res = await api.post(`/api/v1/follow-ups/${crypto.randomUUID()}`, coordinator.token, { contactMade: false, note: NUL });
    expect([res.status, paths(res)]).toEqual([400, ['note']]);
  });

  it('is still answered 401 without a token (nothing is read before authentication)', async () => {
    const res = await api.post('/api/v1/agencies', undefined, { name: NUL, email: 'nul-test@example.org' });
    expect(res.status).toBe(401);
  });
});
