/** Signed agency links: one row per link, keyed by the SHA-256 of the token in the email. */
import type { Executor } from './database.js';

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
    .select(['l.id', 'l.referralId', 'l.agencyId', 'a.name as agencyName', 'l.expiresAt'])
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

/** Records a use of the link and appends the audit row, in one transaction chosen by the caller. */
export async function recordAgencyLinkUse(
  db: Executor,
  use: { linkId: string; referralId: string; agencyName: string; action: string; at: Date; requestId?: string | undefined },
) {
  await db
    .updateTable('agencyLinks')
    .set((eb) => ({ lastUsedAt: use.at, useCount: eb('useCount', '+', 1) }))
    .where('id', '=', use.linkId)
    .execute();
  await db
    .insertInto('auditLog')
    .values({
      at: use.at,
      actorUserId: null,
      actorLabel: `agency link: ${use.agencyName}`,
      action: use.action,
      entity: 'referral',
      entityId: use.referralId,
      requestId: use.requestId ?? null,
    })
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
