import type { Executor, Role } from './database.js';

export async function findPrincipalByTokenHash(db: Executor, tokenHash: Buffer) {
  return db
    .selectFrom('apiTokens as t')
    .innerJoin('users as u', 'u.id', 't.userId')
    .select(['u.id as userId', 'u.name', 'u.role', 'u.agencyId'])
    .where('t.tokenHash', '=', tokenHash)
    .where('t.revokedAt', 'is', null)
    .where('u.disabledAt', 'is', null)
    .executeTakeFirst();
}

export interface NewUserRow {
  id: string;
  name: string;
  email: string;
  role: Role;
  agencyId: string | null;
  passwordHash: string | null;
  createdAt: Date;
}

export async function insertUser(db: Executor, row: NewUserRow) {
  await db.insertInto('users').values(row).execute();
}

export async function findUserByEmail(db: Executor, email: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
}

export async function insertApiToken(db: Executor, row: { id: string; userId: string; tokenHash: Buffer; label: string; createdAt: Date }) {
  await db.insertInto('apiTokens').values(row).execute();
}

/** Revokes every live token of a user, or one token by id; returns how many were revoked. */
export async function revokeTokens(db: Executor, by: { userId?: string; tokenId?: string }, at: Date): Promise<number> {
  let q = db.updateTable('apiTokens').set({ revokedAt: at }).where('revokedAt', 'is', null);
  if (by.userId) q = q.where('userId', '=', by.userId);
  if (by.tokenId) q = q.where('id', '=', by.tokenId);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** The user's id when the user exists. */
export async function findUserId(db: Executor, id: string) {
  return db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst();
}

/** A user's role and email, for deciding who may manage the account. */
export async function findUserRoleAndEmail(db: Executor, id: string) {
  return db.selectFrom('users').select(['role', 'email']).where('id', '=', id).executeTakeFirst();
}

/** Where to mail a user (who must exist). */
export async function findUserMailContact(db: Executor, id: string) {
  return db.selectFrom('users').select(['email', 'name']).where('id', '=', id).executeTakeFirstOrThrow();
}
