/**
 * The "still accepting?" link in an agency's reminder mail. An agency with staff accounts gets
 * its signed-in page (/agency/capacity); one that works from emailed links gets a link of its
 * own, /capacity/<agencyId>/<expires>/<signature>: an HMAC (SESSION_SECRET) of the agency and
 * the expiry, valid for AGENCY_LINK_TTL_DAYS. It opens ONE agency's capacity and nothing else
 * (no person, no referral), so a stateless signature is enough; opening it changes nothing
 * (mail scanners fetch links), only its page's POST does, with a CSRF token derived from it.
 */
import { createHmac } from 'node:crypto';
import type { Env } from '../../config/env.js';
import { agencyHasAccounts } from '../db/capacity.repository.js';
import type { Executor } from '../db/database.js';
import { addDays, type Clock } from '../domain/clock.js';
import { findAgency } from '../db/agency.repository.js';
import { AGENCY_LINK_ACTOR } from '../db/audit.repository.js';
import type { CapacityActor } from './capacity.service.js';
import { csrfMatches } from './session.service.js';

const mac = (env: Pick<Env, 'SESSION_SECRET'>, label: string, text: string) => createHmac('sha256', env.SESSION_SECRET).update(`${label}:${text}`).digest('base64url');

/** The page the reminder mail links to for this agency. */
export async function capacityLinkFor(db: Executor, env: Env, agencyId: string, now: Date): Promise<string> {
  const base = env.PUBLIC_URL.replace(/\/+$/, '');
  if (await agencyHasAccounts(db, agencyId)) return `${base}/agency/capacity`;
  const expires = Math.floor(addDays(now, env.AGENCY_LINK_TTL_DAYS).getTime() / 1000);
  return `${base}/capacity/${agencyId}/${expires}/${mac(env, 'capacity-link', `${agencyId}:${expires}`)}`;
}

/** Whether a link's parts are genuine and unexpired. */
export function capacityLinkValid(env: Pick<Env, 'SESSION_SECRET'>, agencyId: string, expires: string, signature: string, now: Date): boolean {
  if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 <= now.getTime()) return false;
  return csrfMatches(mac(env, 'capacity-link', `${agencyId}:${expires}`), signature);
}

/** The CSRF token the link's page's forms carry. */
export function capacityLinkCsrf(env: Pick<Env, 'SESSION_SECRET'>, signature: string): string {
  return mac(env, 'capacity-link-csrf', signature);
}

/** What a genuine link lets its holder act as: its agency, with no user (the history says "agency link: <name>"). */
export async function capacityLinkScope(deps: { db: Executor; env: Env; clock: Clock }, agencyId: string, expires: string, signature: string) {
  if (!/^[0-9a-f-]{36}$/i.test(agencyId) || !capacityLinkValid(deps.env, agencyId, expires, signature, deps.clock.now())) return undefined;
  const agency = await findAgency(deps.db, agencyId);
  if (!agency) return undefined;
  const actor: CapacityActor = { userId: null, name: `${AGENCY_LINK_ACTOR}${agency.name}`, linkAgencyId: agency.id };
  return { agencyId: agency.id, actor, csrfToken: capacityLinkCsrf(deps.env, signature) };
}
