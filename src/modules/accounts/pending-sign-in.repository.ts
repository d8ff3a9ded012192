/** The pending_sign_ins table (a first factor done, the second awaited): written here only. */
import type { Executor } from '../../platform/db/database.js';

export async function insertPendingSignIn(
  db: Executor,
  row: { idHash: Buffer; userId: string; method: 'password' | 'oidc'; next: string; csrfToken: string; createdAt: Date; expiresAt: Date },
) {
  await db.insertInto('pendingSignIns').values(row).execute();
}

/** The live pending sign-in and its user; a disabled user or an expired row reads as none. */
export async function findPendingSignIn(db: Executor, idHash: Buffer, now: Date) {
  return db
    .selectFrom('pendingSignIns as p')
    .innerJoin('users as u', 'u.id', 'p.userId')
    .select(['p.userId', 'p.method', 'p.next', 'p.csrfToken', 'u.name', 'u.role', 'u.agencyId'])
    .where('p.idHash', '=', idHash)
    .where('p.expiresAt', '>', now)
    .where('u.disabledAt', 'is', null)
    .executeTakeFirst();
}

/** Ends a pending sign-in; true when this call ended it (so one code completes it once). */
export async function deletePendingSignIn(db: Executor, idHash: Buffer): Promise<boolean> {
  const r = await db.deleteFrom('pendingSignIns').where('idHash', '=', idHash).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function deletePendingSignInsOfUser(db: Executor, userId: string) {
  await db.deleteFrom('pendingSignIns').where('userId', '=', userId).execute();
}

export async function deleteExpiredPendingSignIns(db: Executor, now: Date): Promise<number> {
  const r = await db.deleteFrom('pendingSignIns').where('expiresAt', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
