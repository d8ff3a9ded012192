/** The agency_links table: one row per signed link, keyed by the SHA-256 of the token in the email. */
import type { Executor } from '../../platform/db/database.js';

export async function insertAgencyLink(
  db: Executor,
  row: { id: string; tokenHash: Buffer; referralId: string; agencyId: string; createdAt: Date; expiresAt: Date },
) {
  await db.insertInto('agencyLinks').values(row).execute();
}

/** A usable link (not expired, not revoked) with what the page needs to know about its scope. */
export async function findLiveAgencyLink(db: Executor, tokenHash: Buffer, now: Date) {
  return db
    .selectFrom('agencyLinks as l')
    .innerJoin('agencies as a', 'a.id', 'l.agencyId')
    .innerJoin('referrals as r', 'r.id', 'l.referralId')
    .innerJoin('submissions as s', 's.id', 'r.submissionId')
    .select(['l.id', 'l.referralId', 'l.agencyId', 'a.name as agencyName', 'l.expiresAt', 's.personId'])
    .where('l.tokenHash', '=', tokenHash)
    .where('l.expiresAt', '>', now)
    .where('l.revokedAt', 'is', null)
    // a link follows its referral's agency: a rerouted referral's old link stops working
    .whereRef('r.agencyId', '=', 'l.agencyId')
    .executeTakeFirst();
}

export async function findReferralAgency(db: Executor, referralId: string) {
  return db.selectFrom('referrals').select(['id', 'agencyId']).where('id', '=', referralId).executeTakeFirst();
}

/** Counts a use of the link (the caller audits it in the same transaction). */
export async function recordAgencyLinkUse(db: Executor, linkId: string, at: Date) {
  await db
    .updateTable('agencyLinks')
    .set((eb) => ({ lastUsedAt: at, useCount: eb('useCount', '+', 1) }))
    .where('id', '=', linkId)
    .execute();
}

export async function revokeAgencyLinksOf(db: Executor, referralId: string, at: Date): Promise<number> {
  const r = await db
    .updateTable('agencyLinks')
    .set({ revokedAt: at })
    .where('referralId', '=', referralId)
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function listAgencyLinksOf(db: Executor, referralId: string) {
  return db
    .selectFrom('agencyLinks')
    .select(['id', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt', 'useCount'])
    .where('referralId', '=', referralId)
    .orderBy('createdAt', 'desc')
    .execute();
}

/** Erasure: every link to the person's referrals stops working. */
export async function revokeLinksOfReferrals(db: Executor, referralIds: string[], at: Date): Promise<void> {
  if (referralIds.length === 0) return;
  await db.updateTable('agencyLinks').set({ revokedAt: at }).where('referralId', 'in', referralIds).where('revokedAt', 'is', null).execute();
}
