/** The user_second_factors and recovery_codes tables: written here only. */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';

export async function findSecondFactor(db: Executor, userId: string) {
  return db
    .selectFrom('userSecondFactors')
    .select(['userId', 'secretEncrypted', 'createdAt', 'confirmedAt', 'lastTimeStep'])
    .where('userId', '=', userId)
    .executeTakeFirst();
}

export async function hasConfirmedSecondFactor(db: Executor, userId: string): Promise<boolean> {
  const row = await db.selectFrom('userSecondFactors').select('userId').where('userId', '=', userId).where('confirmedAt', 'is not', null).executeTakeFirst();
  return row !== undefined;
}

/** A new secret awaiting its first code; an unconfirmed one is replaced, a confirmed one kept (false). */
export async function insertUnconfirmedFactor(db: Executor, row: { userId: string; secretEncrypted: Buffer; createdAt: Date }): Promise<boolean> {
  const r = await db
    .insertInto('userSecondFactors')
    .values({ ...row, confirmedAt: null, lastTimeStep: null })
    .onConflict((oc) =>
      oc.column('userId').doUpdateSet({ secretEncrypted: row.secretEncrypted, createdAt: row.createdAt, lastTimeStep: null }).where('userSecondFactors.confirmedAt', 'is', null),
    )
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * Accepts a code's time step, atomically: only when it is later than the last one accepted, so
 * that of two requests racing with the same code only one gets through. `confirm` also confirms
 * an enrolment (that first code); otherwise the factor must already be confirmed.
 */
export async function acceptTimeStep(db: Executor, userId: string, timeStep: number, opts: { confirmAt?: Date } = {}): Promise<boolean> {
  let q = db
    .updateTable('userSecondFactors')
    .set({ lastTimeStep: timeStep, ...(opts.confirmAt ? { confirmedAt: opts.confirmAt } : {}) })
    .where('userId', '=', userId)
    .where((eb) => eb.or([eb('lastTimeStep', 'is', null), eb('lastTimeStep', '<', String(timeStep))]));
  q = opts.confirmAt ? q.where('confirmedAt', 'is', null) : q.where('confirmedAt', 'is not', null);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The authenticator app's row (confirmed or not); true when there was one. */
export async function deleteAppFactor(db: Executor, userId: string): Promise<boolean> {
  const r = await db.deleteFrom('userSecondFactors').where('userId', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function deleteRecoveryCodes(db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('recoveryCodes').where('userId', '=', userId).execute();
}

/** Replaces every recovery code of the user with these (keyed hashes). */
export async function replaceRecoveryCodes(db: Executor, userId: string, hashes: Buffer[], at: Date): Promise<void> {
  await db.deleteFrom('recoveryCodes').where('userId', '=', userId).execute();
  await db
    .insertInto('recoveryCodes')
    .values(hashes.map((codeHash) => ({ userId, codeHash, createdAt: at, usedAt: null })))
    .execute();
}

/** Uses a recovery code once, atomically: how many are left, or undefined when it is not a live code. */
export async function useRecoveryCode(db: Executor, userId: string, codeHash: Buffer, at: Date): Promise<number | undefined> {
  const used = await db
    .updateTable('recoveryCodes')
    .set({ usedAt: at })
    .where('userId', '=', userId)
    .where('codeHash', '=', codeHash)
    .where('usedAt', 'is', null)
    .returning('userId')
    .executeTakeFirst();
  if (!used) return undefined;
  return countRecoveryCodesLeft(db, userId);
}

export async function countRecoveryCodesLeft(db: Executor, userId: string): Promise<number> {
  const row = await db
    .selectFrom('recoveryCodes')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('userId', '=', userId)
    .where('usedAt', 'is', null)
    .executeTakeFirstOrThrow();
  return row.n;
}
