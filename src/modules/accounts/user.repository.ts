/**
 * The users and api_tokens tables: accounts, their sign-in state (failed_logins, locked_until,
 * password_hash), their tokens, and the agencies' email-link users, written here only.
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { Role } from '../../kernel/principal.js';

/**
 * The token check's one statement, on a cache miss: the principal of a live token (not revoked,
 * not expired, its user not disabled) and its expiry, recording its last use in the same round
 * trip. An unknown, revoked or expired token updates nothing and reads as none.
 */
export async function useApiToken(db: Executor, tokenHash: Buffer, now: Date) {
  const r = await sql<{ userId: string; name: string; role: Role; agencyId: string | null; expiresAt: Date | null }>`
    UPDATE api_tokens t
    SET last_used_at = GREATEST(t.last_used_at, ${now}::timestamptz)
    FROM users u
    WHERE t.token_hash = ${tokenHash}
      AND t.revoked_at IS NULL
      AND (t.expires_at IS NULL OR t.expires_at > ${now}::timestamptz)
      AND u.id = t.user_id
      AND u.disabled_at IS NULL
    RETURNING u.id AS user_id, u.name, u.role, u.agency_id, t.expires_at
  `.execute(db);
  return r.rows[0];
}

export interface NewUserRow {
  id: string;
  name: string;
  email: string;
  role: Role;
  agencyId: string | null;
  organisationId?: string | null;
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

export async function insertApiToken(db: Executor, row: { id: string; userId: string; tokenHash: Buffer; label: string; createdAt: Date; expiresAt?: Date | null }) {
  await db.insertInto('apiTokens').values(row).execute();
}

/** API tokens with their owners, newest first: one user's, or everyone's (never the hash). */
export async function listApiTokens(db: Executor, by: { userId?: string | undefined; limit: number }) {
  let q = db
    .selectFrom('apiTokens as t')
    .innerJoin('users as u', 'u.id', 't.userId')
    .select(['t.id', 't.label', 't.userId', 'u.name as userName', 'u.email as userEmail', 't.createdAt', 't.expiresAt', 't.lastUsedAt', 't.revokedAt'])
    .orderBy('t.createdAt', 'desc')
    .orderBy('t.id')
    .limit(by.limit);
  if (by.userId) q = q.where('t.userId', '=', by.userId);
  return q.execute();
}

/** One token's owner and state, for deciding who may revoke it. */
export async function findApiToken(db: Executor, id: string) {
  return db.selectFrom('apiTokens').select(['id', 'userId', 'revokedAt']).where('id', '=', id).executeTakeFirst();
}

/** How many tokens of the user are live now (not revoked, not expired). */
export async function countLiveApiTokens(db: Executor, userId: string, now: Date): Promise<number> {
  const r = await db
    .selectFrom('apiTokens')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('userId', '=', userId)
    .where('revokedAt', 'is', null)
    .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)]))
    .executeTakeFirstOrThrow();
  return Number(r.n);
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

/** A user's id, email and state by id, for the token pages and the command line. */
export async function findUserForTokens(db: Executor, id: string) {
  return db.selectFrom('users').select(['id', 'email', 'disabledAt']).where('id', '=', id).executeTakeFirst();
}

/** Where to mail a user (who must exist). */
export async function findUserMailContact(db: Executor, id: string) {
  return db.selectFrom('users').select(['email', 'name']).where('id', '=', id).executeTakeFirstOrThrow();
}

/**
 * Claims one sign-in attempt for the user, in one statement under the row lock, BEFORE the
 * password is checked: the attempt's number (1 = the first since the last success or since a
 * lock ran out), or undefined while the account is locked. So concurrent guesses are numbered
 * one by one, and none can be checked against the hash once the limit is reached.
 */
export async function claimSignInAttempt(db: Executor, userId: string, now: Date): Promise<number | undefined> {
  const row = await sql<{ failedLogins: number }>`
    WITH cur AS (SELECT id, failed_logins, locked_until FROM users WHERE id = ${userId} FOR UPDATE)
    UPDATE users u
    SET failed_logins = CASE WHEN cur.locked_until IS NOT NULL THEN 1 ELSE cur.failed_logins + 1 END,
        locked_until = NULL
    FROM cur
    WHERE u.id = cur.id AND (cur.locked_until IS NULL OR cur.locked_until <= ${now}::timestamptz)
    RETURNING u.failed_logins
  `.execute(db);
  return row.rows[0]?.failedLogins;
}

/** Locks the account until `until` (a lock already running is kept). */
export async function lockAccount(db: Executor, userId: string, until: Date): Promise<void> {
  await db
    .updateTable('users')
    .set({ lockedUntil: sql<Date>`GREATEST(locked_until, ${until}::timestamptz)` })
    .where('id', '=', userId)
    .execute();
}

/** Gives back one claimed attempt (a right password, with a second factor still to come). */
export async function releaseSignInAttempt(db: Executor, userId: string) {
  await db.updateTable('users').set({ failedLogins: sql<number>`GREATEST(failed_logins - 1, 0)` }).where('id', '=', userId).execute();
}

export async function resetLoginFailures(db: Executor, userId: string) {
  await db.updateTable('users').set({ failedLogins: 0, lockedUntil: null }).where('id', '=', userId).execute();
}

/** Sets the password; returns who the user is (undefined: no such user). */
export async function setPasswordHash(db: Executor, userId: string, passwordHash: string) {
  return db
    .updateTable('users')
    .set({ passwordHash, failedLogins: 0, lockedUntil: null })
    .where('id', '=', userId)
    .returning(['role', 'agencyId', 'disabledAt'])
    .executeTakeFirst();
}

export async function listUserRows(db: Executor) {
  return db
    .selectFrom('users as u')
    .leftJoin('agencies as a', 'a.id', 'u.agencyId')
    .leftJoin('organisations as o', 'o.id', 'u.organisationId')
    .select(['u.id', 'u.name', 'u.email', 'u.role', 'a.name as agencyName', 'o.name as organisationName', 'u.disabledAt', 'u.lockedUntil', sql<boolean>`u.password_hash IS NOT NULL`.as('hasPassword'),
      // two-factor sign-in ([2/6]): whether a confirmed app or any passkey is on
      sql<boolean>`(EXISTS (SELECT 1 FROM user_second_factors f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL) OR EXISTS (SELECT 1 FROM user_passkeys p WHERE p.user_id = u.id))`.as('twoFactorOn')])
    // the per-agency email-link users are not people: they are listed on the referral pages
    .where('u.email', 'not like', 'agency-link+%@signpost.invalid')
    .orderBy('u.name')
    .execute();
}

export async function disableUserRow(db: Executor, id: string, at: Date): Promise<boolean> {
  const r = await db.updateTable('users').set({ disabledAt: at }).where('id', '=', id).where('disabledAt', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * The user a link's actions are recorded under: one per agency, with no password and no token
 * (it cannot sign in), so that events and audit rows name a real user row and the agency.
 */
export async function findOrCreateLinkUser(db: Executor, agency: { id: string; name: string }, newId: string, now: Date) {
  const email = `agency-link+${agency.id}@signpost.invalid`;
  const find = () =>
    db.selectFrom('users').select(['id', 'name', 'role', 'agencyId']).where('email', '=', email).executeTakeFirst();
  const found = await find();
  if (found) return found;
  await db
    .insertInto('users')
    .values({ id: newId, name: `${agency.name} (email link)`, email, role: 'agency', agencyId: agency.id, passwordHash: null, createdAt: now })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return (await find())!;
}
