/**
 * The usual world of an API test file in one call: its own TestContext, an API client on it, the
 * demo checklist published, and the named users, made one after another in the order given.
 * The caller still closes it: `afterAll(async () => ctx?.close())`.
 */
import type { Role } from '../../src/kernel/principal.js';
import { createTestContext, type TestContext } from './context.js';
import { apiClient } from './api.js';
import { makeUser, seedChecklist, type TestUser } from './factories.js';

export type Api = ReturnType<typeof apiClient>;
export type Checklist = Awaited<ReturnType<typeof seedChecklist>>;

/** A role, or `{ agencyOf: i }`: an agency user of the agency that the checklist's question i flags. */
export type UserSpec = Exclude<Role, 'agency'> | { agencyOf: number };

export interface WorldBase {
  ctx: TestContext;
  api: Api;
  q: Checklist;
}

export type World<K extends string> = WorldBase & Record<K, TestUser>;

export async function createWorld<K extends string>(
  users: Record<K, UserSpec>,
  overrides: Parameters<typeof createTestContext>[0] = {},
): Promise<World<K>> {
  const ctx = await createTestContext(overrides);
  const api = apiClient(ctx.baseUrl);
  const q = await seedChecklist(ctx);
  const made: Record<string, TestUser> = {};
  for (const [name, spec] of Object.entries(users) as [K, UserSpec][]) {
    if (name === 'ctx' || name === 'api' || name === 'q') throw new Error(`createWorld: "${name}" cannot name a user`);
    made[name] = typeof spec === 'string' ? await makeUser(ctx, spec) : await makeUser(ctx, 'agency', q.questions[spec.agencyOf]!.agencyId);
  }
  return { ...(made as Record<K, TestUser>), ctx, api, q };
}
