/** Users and their API tokens. */
import { z } from 'zod';
import type { DB, Role } from '../db/database.js';
import { findUserId, insertApiToken, insertUser, revokeTokens } from '../db/user.repository.js';
import { badRequest, notFound } from '../errors.js';
import type { Clock } from '../domain/clock.js';
import type { IdGenerator } from '../domain/ids.js';
import { newToken } from './auth.service.js';

export const newUserSchema = z
  .object({
    role: z.enum(['link_worker', 'agency', 'coordinator', 'admin']),
    name: z.string().trim().min(1).max(200),
    email: z.email().max(254),
    agencyId: z.uuid().optional().nullable(),
  })
  .superRefine((u, ctx) => {
    if (u.role === 'agency' && !u.agencyId) ctx.addIssue({ code: 'custom', path: ['agencyId'], message: 'is required for an agency user' });
    if (u.role !== 'agency' && u.agencyId) ctx.addIssue({ code: 'custom', path: ['agencyId'], message: 'only agency users belong to an agency' });
  });
export type NewUser = z.infer<typeof newUserSchema> & { passwordHash?: string | null };

export interface UserDeps {
  db: DB;
  clock: Clock;
  ids: IdGenerator;
}

/** Creates a user and a first API token; the token is returned once and stored only as a hash. */
export async function createUserWithToken(deps: UserDeps, input: NewUser): Promise<{ id: string; role: Role; token: string }> {
  const u = newUserSchema.parse(input);
  const id = deps.ids.uuid();
  const { token, hash } = newToken();
  const now = deps.clock.now();
  try {
    await deps.db.transaction().execute(async (trx) => {
      await insertUser(trx, {
        id,
        name: u.name,
        email: u.email,
        role: u.role,
        agencyId: u.agencyId ?? null,
        passwordHash: input.passwordHash ?? null,
        createdAt: now,
      });
      await insertApiToken(trx, { id: deps.ids.uuid(), userId: id, tokenHash: hash, label: 'cli', createdAt: now });
    });
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    if (e.code === '23505' && e.constraint === 'users_email_key') throw badRequest('invalid user', [{ path: 'email', message: 'a user with this email exists' }]);
    if (e.code === '23503') throw badRequest('invalid user', [{ path: 'agencyId', message: 'no such agency' }]);
    throw err;
  }
  return { id, role: u.role, token };
}

/** Issues another API token for an existing user. */
export async function issueToken(deps: UserDeps, userId: string, label = 'api'): Promise<string> {
  const user = await findUserId(deps.db, userId);
  if (!user) throw notFound('user');
  const { token, hash } = newToken();
  await insertApiToken(deps.db, { id: deps.ids.uuid(), userId, tokenHash: hash, label, createdAt: deps.clock.now() });
  return token;
}

export async function revokeUserTokens(deps: UserDeps, by: { userId?: string; tokenId?: string }): Promise<number> {
  return revokeTokens(deps.db, by, deps.clock.now());
}
