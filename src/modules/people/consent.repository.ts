/**
 * The consents and consent_withdrawals tables: consent as a record. Each checklist's consent is
 * written by the intake function; withdrawals, merges and erasure are written here.
 */
import type { Executor } from '../../platform/db/database.js';

export async function listConsents(db: Executor, personId: string) {
  return db
    .selectFrom('consents as c')
    .leftJoin('submissions as s', 's.id', 'c.submissionId')
    .innerJoin('users as u', 'u.id', 'c.recordedBy')
    .select([
      'c.id',
      'c.submissionId',
      's.reference as submissionReference',
      'c.givenBy',
      'c.representativeName',
      'c.representativeRelationship',
      'c.sharingAgreed',
      'c.agencyIds',
      'c.givenAt',
      'u.name as recordedByName',
      'c.createdAt',
    ])
    .where('c.personId', '=', personId)
    .orderBy('c.givenAt')
    .orderBy('c.id')
    .execute();
}

export async function listConsentWithdrawals(db: Executor, personId: string) {
  return db
    .selectFrom('consentWithdrawals as w')
    .innerJoin('users as u', 'u.id', 'w.recordedBy')
    .select(['w.id', 'w.agencyIds', 'w.reason', 'w.withdrawnAt', 'u.name as recordedByName', 'w.createdAt', 'w.cancelledReferralIds'])
    .where('w.personId', '=', personId)
    .orderBy('w.withdrawnAt')
    .orderBy('w.id')
    .execute();
}

export async function insertConsentWithdrawal(
  db: Executor,
  row: { id: string; personId: string; agencyIds: string[] | null; reason: string | null; withdrawnAt: Date; recordedBy: string; createdAt: Date; cancelledReferralIds: string[] },
): Promise<void> {
  await db.insertInto('consentWithdrawals').values(row).execute();
}

export async function moveConsentsOnMerge(trx: Executor, keepId: string, otherId: string): Promise<void> {
  await trx.updateTable('consents').set({ personId: keepId }).where('personId', '=', otherId).execute();
  await trx.updateTable('consentWithdrawals').set({ personId: keepId }).where('personId', '=', otherId).execute();
}

/** Erasure: a representative's name and relationship, and the words of a withdrawal, go. */
export async function eraseConsentText(trx: Executor, personId: string): Promise<void> {
  await trx.updateTable('consents').set({ representativeName: null, representativeRelationship: null }).where('personId', '=', personId).execute();
  await trx.updateTable('consentWithdrawals').set({ reason: null }).where('personId', '=', personId).execute();
}
