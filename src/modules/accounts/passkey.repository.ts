/** The user_passkeys and webauthn_challenges tables: written here only. */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';

export async function listPasskeys(db: Executor, userId: string) {
  return db
    .selectFrom('userPasskeys')
    .select(['id', 'credentialId', 'publicKey', 'counter', 'transports', 'name', 'createdAt', 'lastUsedAt'])
    .where('userId', '=', userId)
    .orderBy('createdAt')
    .orderBy('id')
    .execute();
}

export async function countPasskeys(db: Executor, userId: string): Promise<number> {
  const row = await db.selectFrom('userPasskeys').select(sql<number>`count(*)::int`.as('n')).where('userId', '=', userId).executeTakeFirstOrThrow();
  return row.n;
}

/** A new passkey; false when that credential is registered already (to anyone). */
export async function insertPasskey(
  db: Executor,
  row: { id: string; userId: string; credentialId: string; publicKey: Buffer; counter: number; transports: string[]; name: string; createdAt: Date },
): Promise<boolean> {
  const r = await db.insertInto('userPasskeys').values(row).onConflict((oc) => oc.column('credentialId').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * Records a use: the new counter and the time. Atomic against a replay racing it: the row moves
 * only from the counter the check was made against (a counter of 0 means the authenticator keeps none).
 */
export async function markPasskeyUsed(db: Executor, id: string, fromCounter: string, toCounter: number, at: Date): Promise<boolean> {
  const r = await db.updateTable('userPasskeys').set({ counter: toCounter, lastUsedAt: at }).where('id', '=', id).where('counter', '=', fromCounter).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Removes one of the user's passkeys: its name, or undefined when it was not theirs (or gone). */
export async function deletePasskey(db: Executor, userId: string, id: string): Promise<string | undefined> {
  const r = await db.deleteFrom('userPasskeys').where('userId', '=', userId).where('id', '=', id).returning('name').executeTakeFirst();
  return r?.name;
}

export async function deletePasskeysOfUser(db: Executor, userId: string): Promise<number> {
  const r = await db.deleteFrom('userPasskeys').where('userId', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

type ChallengeOwner = { purpose: 'registration'; sessionIdHash: Buffer } | { purpose: 'authentication'; pendingIdHash: Buffer };

/** Keeps a new challenge for the session or pending sign-in, replacing any earlier one of it (one statement: two tabs asking at once cannot clash). */
export async function saveChallenge(db: Executor, owner: ChallengeOwner, row: { id: string; userId: string; challenge: string; createdAt: Date; expiresAt: Date }) {
  const replace = { id: row.id, challenge: row.challenge, createdAt: row.createdAt, expiresAt: row.expiresAt, userId: row.userId };
  await db
    .insertInto('webauthnChallenges')
    .values({
      ...row,
      purpose: owner.purpose,
      sessionIdHash: owner.purpose === 'registration' ? owner.sessionIdHash : null,
      pendingIdHash: owner.purpose === 'authentication' ? owner.pendingIdHash : null,
    })
    .onConflict((oc) =>
      owner.purpose === 'registration'
        ? oc.column('sessionIdHash').where('sessionIdHash', 'is not', null).doUpdateSet(replace)
        : oc.column('pendingIdHash').where('pendingIdHash', 'is not', null).doUpdateSet(replace),
    )
    .execute();
}

/** Takes the session's or pending sign-in's challenge, once: it is deleted whether or not it is still live. */
export async function takeChallenge(db: Executor, owner: ChallengeOwner, now: Date): Promise<{ userId: string; challenge: string } | undefined> {
  let q = db.deleteFrom('webauthnChallenges').where('purpose', '=', owner.purpose);
  q = owner.purpose === 'registration' ? q.where('sessionIdHash', '=', owner.sessionIdHash) : q.where('pendingIdHash', '=', owner.pendingIdHash);
  const row = await q.returning(['userId', 'challenge', 'expiresAt']).executeTakeFirst();
  return row && row.expiresAt > now ? { userId: row.userId, challenge: row.challenge } : undefined;
}

export async function deleteExpiredChallenges(db: Executor, now: Date): Promise<number> {
  const r = await db.deleteFrom('webauthnChallenges').where('expiresAt', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
