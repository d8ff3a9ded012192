/**
 * The intake function writes the columns it names and nothing else: a column added to a table
 * later takes its DEFAULT (it used to be filled from the JSON with jsonb_populate_record, which
 * writes NULL into every column the JSON does not carry).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestContext } from './helpers/context.js';
import { submissionBody, type TestUser } from './helpers/factories.js';
import { createWorld, type Api, type Checklist } from './helpers/world.js';

let ctx: TestContext;
let api: Api;
let q: Checklist;
let worker: TestUser;

beforeAll(async () => {
  ({ ctx, api, q, worker } = await createWorld({ worker: 'link_worker' }));
});
afterAll(async () => ctx?.close());

it('leaves a column added later to its default, on people and on submissions', async () => {
  await sql`ALTER TABLE people ADD COLUMN added_later text NOT NULL DEFAULT 'the default'`.execute(ctx.db);
  await sql`ALTER TABLE submissions ADD COLUMN added_later integer NOT NULL DEFAULT 7`.execute(ctx.db);
  const res = await api.post('/api/v1/submissions', worker.token, submissionBody(q, [q.questions[0]!.id]));
  expect(res.status).toBe(201);
  const { rows } = await sql<{ p: string; s: number }>`
    SELECT p.added_later AS p, s.added_later AS s FROM submissions s JOIN people p ON p.id = s.person_id WHERE s.id = ${res.body.id}`.execute(ctx.db);
  expect(rows).toEqual([{ p: 'the default', s: 7 }]);
});
