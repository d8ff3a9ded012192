/**
 * The "still accepting?" link in an agency's reminder mail. An agency with staff accounts gets
 * its signed-in page (/agency/capacity); one that works from emailed links gets a link of its
 * own, /capacity/<agencyId>/<expires>/<signature>: an HMAC (SESSION_SECRET) of the agency, the
 * agency's link counter and the expiry, valid for AGENCY_LINK_TTL_DAYS. It opens ONE agency's
 * capacity and nothing else (no person, no referral); opening it changes nothing (mail scanners
 * fetch links), only its page's POST does, with a CSRF token derived from it.
 *
 * Stopping the links: the counter lives in Postgres (agencies.capacity_link_generation) and is
 * read on every use, so raising it stops every link made before, at once, on every process. It
 * is raised when a coordinator stops them (audited) and when the agency gets a staff account
 * (user.service, password.service). While the agency has an active account no link works and
 * none is made: the reminder mail sends its staff to the page they sign in to.
 */
import { createHmac } from 'node:crypto';
import type { Env } from '../../../config/env.js';
import { AGENCY_LINK_ACTOR } from '../../kernel/actors.js';
import { agencyHasAccounts } from './capacity.repository.js';
import type { Executor } from '../../platform/db/database.js';
import { addDays, type Clock } from '../../kernel/clock.js';
import { AppError, forbidden, notFound } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { CapacityActor } from './capacity.service.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { csrfMatches } from '../../platform/pages/guards.js';
import { advanceCapacityLinkGeneration, findCapacityLinkState, lockCapacityLinkState } from '../directory/index.js';
import { recordAudit } from '../audit/index.js';

const mac = (env: Pick<Env, 'SESSION_SECRET'>, label: string, text: string) => createHmac('sha256', env.SESSION_SECRET).update(`${label}:${text}`).digest('base64url');

/** What a link signs; counter 0 signs what links signed before there was a counter, so those still work. */
const signed = (agencyId: string, generation: number, expires: string | number) => (generation === 0 ? `${agencyId}:${expires}` : `${agencyId}:${generation}:${expires}`);

/** The page the reminder mail links to for this agency (read in the reminder's transaction). */
export async function capacityLinkFor(db: Executor, env: Env, agencyId: string, now: Date): Promise<string> {
  const base = env.PUBLIC_URL.replace(/\/+$/, '');
  const state = await findCapacityLinkState(db, agencyId);
  if (!state || (await agencyHasAccounts(db, agencyId))) return `${base}/agency/capacity`;
  const expires = Math.floor(addDays(now, env.AGENCY_LINK_TTL_DAYS).getTime() / 1000);
  return `${base}/capacity/${agencyId}/${expires}/${mac(env, 'capacity-link', signed(agencyId, state.generation, expires))}`;
}

/** Whether a link's parts are genuine and unexpired, for the agency's current counter. */
export function capacityLinkValid(env: Pick<Env, 'SESSION_SECRET'>, agencyId: string, generation: number, expires: string, signature: string, now: Date): boolean {
  if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 <= now.getTime()) return false;
  return csrfMatches(mac(env, 'capacity-link', signed(agencyId, generation, expires)), signature);
}

/** The CSRF token the link's page's forms carry. */
export function capacityLinkCsrf(env: Pick<Env, 'SESSION_SECRET'>, signature: string): string {
  return mac(env, 'capacity-link-csrf', signature);
}

export type CapacityLinkScope =
  | { ok: true; agencyId: string; actor: CapacityActor; csrfToken: string }
  /** `invalid`: forged, expired or stopped (the page says the same for each); `signs_in`: genuine, but the agency now has staff accounts */
  | { ok: false; reason: 'invalid' | 'signs_in' };

/** What a link lets its holder act as: its agency, with no user (the history says "agency link: <name>"). */
export async function capacityLinkScope(deps: { db: Executor; env: Env; clock: Clock }, agencyId: string, expires: string, signature: string): Promise<CapacityLinkScope> {
  if (!/^[0-9a-f-]{36}$/i.test(agencyId)) return { ok: false, reason: 'invalid' };
  const state = await findCapacityLinkState(deps.db, agencyId);
  if (!state || !capacityLinkValid(deps.env, agencyId, state.generation, expires, signature, deps.clock.now())) return { ok: false, reason: 'invalid' };
  if (await agencyHasAccounts(deps.db, agencyId)) return { ok: false, reason: 'signs_in' };
  const actor: CapacityActor = { userId: null, name: `${AGENCY_LINK_ACTOR}${state.name}`, linkAgencyId: state.id, linkGeneration: state.generation };
  return { ok: true, agencyId: state.id, actor, csrfToken: capacityLinkCsrf(deps.env, signature) };
}

/** Thrown when a link was stopped while its request ran; the link's pages answer as for any stopped link. */
export const linkStopped = () => new AppError(404, 'link_stopped', 'this link no longer works');

/**
 * Inside the transaction that writes through a link: the link still holds (its counter is the
 * agency's, and the agency still has no staff account), with the agency's row locked so that a
 * stop waits for this write to commit. Throws linkStopped otherwise.
 */
export async function holdCapacityLink(trx: Executor, actor: CapacityActor): Promise<void> {
  if (actor.linkAgencyId === undefined) return;
  const state = await lockCapacityLinkState(trx, actor.linkAgencyId);
  if (!state || state.generation !== actor.linkGeneration || (await agencyHasAccounts(trx, actor.linkAgencyId))) throw linkStopped();
}

/** A coordinator stops every capacity link sent to the agency so far; audited. The next reminder brings a new one. */
export async function revokeCapacityLinks(deps: Pick<ServiceDeps, 'db' | 'clock' | 'logger'>, principal: Principal, agencyId: string, requestId?: string): Promise<Date> {
  if (!isHub(principal)) throw forbidden('only coordinators and admins stop an agency’s links');
  const at = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await advanceCapacityLinkGeneration(trx, agencyId, at))) throw notFound('agency');
    await recordAudit(trx, { principal, action: 'capacity_link.revoke', entity: 'agency', entityId: agencyId, requestId, at });
  });
  deps.logger.info({ agencyId }, 'capacity links stopped');
  return at;
}

/** For the coordinators' capacity page: whether the agency gets links at all, and when they were last stopped. */
export async function capacityLinkStatus(deps: Pick<ServiceDeps, 'db'>, principal: Principal, agencyId: string) {
  if (!isHub(principal)) throw forbidden('only coordinators and admins see an agency’s links');
  const state = await findCapacityLinkState(deps.db, agencyId);
  if (!state) throw notFound('agency');
  return { signsIn: await agencyHasAccounts(deps.db, agencyId), revokedAt: state.revokedAt };
}
