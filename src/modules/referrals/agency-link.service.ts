/**
 * Signed agency links: how an agency without an account acts on ONE referral from its
 * forwarding email. The token is 32 random bytes (unguessable, so no separate signature is
 * needed); Postgres keeps only its SHA-256, the referral and agency it is scoped to, an expiry
 * (AGENCY_LINK_TTL_DAYS), a revocation time, and use counts. Every use is audited.
 */
import { AGENCY_LINK_ACTOR } from '../../kernel/actors.js';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Env } from '../../../config/env.js';
import type { DB, Executor } from '../../platform/db/database.js';
import { findLiveAgencyLink, findReferralAgency, insertAgencyLink, listAgencyLinksOf, recordAgencyLinkUse, revokeAgencyLinksOf } from './agency-link.repository.js';
import { addDays, type Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { forbidden, notFound } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import { recordAudit } from '../audit/index.js';
import { findOrCreateLinkUser } from '../accounts/index.js';

export interface AgencyLinkScope {
  linkId: string;
  referralId: string;
  agencyId: string;
  agencyName: string;
  expiresAt: Date;
  /** the CSRF token forms on the link's pages carry (no session exists) */
  csrfToken: string;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Forms under a link carry an HMAC of the link's hash: only someone holding the page has it. */
export function linkCsrfToken(env: Env, tokenHash: Buffer): string {
  return createHmac('sha256', env.SESSION_SECRET).update('agency-link-csrf:').update(tokenHash).digest('base64url');
}

/**
 * Creates a link for the referral's current agency and returns its URL (built on PUBLIC_URL).
 * Takes an executor so that a caller may create it inside its own transaction.
 */
export async function createAgencyLink(db: Executor, deps: { env: Env; ids: IdGenerator }, referralId: string, now: Date): Promise<string> {
  const referral = await findReferralAgency(db, referralId);
  if (!referral) throw notFound('referral');
  const token = randomBytes(32).toString('base64url');
  await insertAgencyLink(db, {
    id: deps.ids.uuid(),
    tokenHash: sha256(token),
    referralId,
    agencyId: referral.agencyId,
    createdAt: now,
    expiresAt: addDays(now, deps.env.AGENCY_LINK_TTL_DAYS),
  });
  return `${deps.env.PUBLIC_URL.replace(/\/+$/, '')}/a/${token}`;
}

/**
 * The scope of a live link, recording the use (who: the link's agency; what: `action`) in the
 * audit log. Unknown, expired and revoked links all read as undefined: the page says the same.
 */
export async function useAgencyLink(
  deps: { db: DB; clock: Clock; env: Env },
  token: string,
  action: string,
  requestId?: string,
): Promise<AgencyLinkScope | undefined> {
  if (!TOKEN.test(token)) return undefined;
  const tokenHash = sha256(token);
  const now = deps.clock.now();
  const link = await findLiveAgencyLink(deps.db, tokenHash, now);
  if (!link) return undefined;
  await deps.db.transaction().execute(async (trx) => {
    await recordAgencyLinkUse(trx, link.id, now);
    await recordAudit(trx, { principal: { userId: null, name: `${AGENCY_LINK_ACTOR}${link.agencyName}` }, action, entity: 'referral', entityId: link.referralId, personId: link.personId, requestId, at: now });
  });
  return {
    linkId: link.id,
    referralId: link.referralId,
    agencyId: link.agencyId,
    agencyName: link.agencyName,
    expiresAt: link.expiresAt,
    csrfToken: linkCsrfToken(deps.env, tokenHash),
  };
}

/** Revokes every live link of a referral, audited as the coordinator's act. */
export async function revokeAgencyLinks(deps: { db: DB; clock: Clock }, principal: Principal, referralId: string, requestId?: string): Promise<number> {
  const at = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const n = await revokeAgencyLinksOf(trx, referralId, at);
    await recordAudit(trx, { principal, action: 'agency_link.revoke', entity: 'referral', entityId: referralId, requestId, at });
    return n;
  });
}

/** The principal a link acts as: its agency's link user (see findOrCreateLinkUser). */
export async function linkPrincipal(deps: { db: DB; clock: Clock; ids: IdGenerator }, scope: AgencyLinkScope): Promise<Principal> {
  const u = await findOrCreateLinkUser(deps.db, { id: scope.agencyId, name: scope.agencyName }, deps.ids.uuid(), deps.clock.now());
  return { userId: u.id, name: u.name, role: 'agency', agencyId: scope.agencyId };
}

/** A referral's links (when made, expiring, revoked, used), for the hub's referral page. */
export async function listAgencyLinks(deps: { db: DB }, principal: Principal, referralId: string) {
  if (!isHub(principal)) throw forbidden('only coordinators and admins see the links');
  return listAgencyLinksOf(deps.db, referralId);
}
