/** The web_sessions table: written here only. */
import type { SessionUser } from '../../kernel/principal.js';
import type { Executor, SessionSecondFactor } from '../../platform/db/database.js';

export async function insertSession(
  db: Executor,
  row: { idHash: Buffer; id: string; browser: string; userId: string; csrfToken: string; createdAt: Date; lastSeenAt: Date; expiresAt: Date; secondFactor: SessionSecondFactor | null; mustEnrol: boolean },
) {
  await db.insertInto('webSessions').values(row).execute();
}

/** The live session's user; a disabled user or an expired session reads as none. */
export async function findSessionUser(db: Executor, idHash: Buffer, now: Date): Promise<SessionUser | undefined> {
  return db
    .selectFrom('webSessions as s')
    .innerJoin('users as u', 'u.id', 's.userId')
    .select(['u.id as userId', 'u.name', 'u.email', 'u.role', 'u.agencyId', 's.csrfToken', 's.createdAt', 's.lastSeenAt', 's.id as sessionId', 's.secondFactor', 's.mustEnrol'])
    .where('s.idHash', '=', idHash)
    .where('s.expiresAt', '>', now)
    .where('u.disabledAt', 'is', null)
    .executeTakeFirst();
}

export async function touchSession(db: Executor, idHash: Buffer, lastSeenAt: Date, expiresAt: Date) {
  await db.updateTable('webSessions').set({ lastSeenAt, expiresAt }).where('idHash', '=', idHash).execute();
}

/** The session's second factor is now proved (an enrolment confirmed in it): it may go anywhere its role may. */
export async function markSessionSecondFactor(db: Executor, idHash: Buffer, secondFactor: SessionSecondFactor) {
  await db.updateTable('webSessions').set({ secondFactor, mustEnrol: false }).where('idHash', '=', idHash).execute();
}

export async function deleteSession(db: Executor, idHash: Buffer) {
  await db.deleteFrom('webSessions').where('idHash', '=', idHash).execute();
}

/** Ends every session of the user; returns how many ended. */
export async function deleteSessionsOfUser(db: Executor, userId: string): Promise<number> {
  const r = await db.deleteFrom('webSessions').where('userId', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function deleteExpiredSessions(db: Executor, now: Date): Promise<number> {
  const r = await db.deleteFrom('webSessions').where('expiresAt', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}

// ---- sessions a person can see and end ----

/** A user's live sessions, newest first: what /account/sessions lists (never the cookie's hash). */
export async function listSessionsOfUser(db: Executor, userId: string, now: Date) {
  return db
    .selectFrom('webSessions')
    .select(['id', 'browser', 'createdAt', 'lastSeenAt'])
    .where('userId', '=', userId)
    .where('expiresAt', '>', now)
    .orderBy('createdAt', 'desc')
    .orderBy('id')
    .execute();
}

/** Ends one session of the user by its id; false when the user has no such session. */
export async function deleteSessionOfUser(db: Executor, userId: string, sessionId: string): Promise<boolean> {
  const r = await db.deleteFrom('webSessions').where('userId', '=', userId).where('id', '=', sessionId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Ends every session of the user but one ("Sign out everywhere else"); returns how many ended. */
export async function deleteOtherSessionsOfUser(db: Executor, userId: string, keepSessionId: string): Promise<number> {
  const r = await db.deleteFrom('webSessions').where('userId', '=', userId).where('id', '<>', keepSessionId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Ends every session of the user but the one whose cookie hashes to `keepIdHash`; returns how many ended. */
export async function deleteSessionsOfUserExcept(db: Executor, userId: string, keepIdHash: Buffer): Promise<number> {
  const r = await db.deleteFrom('webSessions').where('userId', '=', userId).where('idHash', '<>', keepIdHash).executeTakeFirst();
  return Number(r.numDeletedRows);
}
