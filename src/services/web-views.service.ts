/**
 * Read models the web pages need beyond the API's services. Access rules are the API's: a
 * submitter sees their own submissions; the hub sees all (and reads are audited by the
 * services that return personal data).
 */
import { addDays } from '../domain/clock.js';
import { recordAudit } from '../db/audit.repository.js';
import { listFollowUps } from '../db/follow-up.repository.js';
import { deleteSessionsOfUser } from '../db/session.repository.js';
import { findUserRoleAndEmail, revokeTokens } from '../db/user.repository.js';
import {
  agencyContactDays,
  disableUserRow,
  listNotificationRows,
  listSubmissionsBy,
  listUserRows,
  slaCompliance,
  weeklyReferralVolume,
} from '../db/web-queries.repository.js';
import { forbidden, notFound } from '../errors.js';
import { isHub, type Principal } from './auth.service.js';
import type { ServiceDeps } from './deps.js';
import { hashPassword, setPassword } from './password.service.js';
import { listReferrals } from './referral.service.js';
import { getBreaches, getSlaSummary } from './sla-report.service.js';
import { getSubmission } from './submission.service.js';
import { createUserWithToken, revokeUserTokens, type NewUser } from './user.service.js';

const requireHub = (p: Principal) => {
  if (!isHub(p)) throw forbidden('only coordinators and admins see this');
};

// the users findOrCreateLinkUser makes for agency email links: they must never sign in
const LINK_USER_DOMAIN = '@signpost.invalid';

/**
 * A coordinator manages link workers and agency users; only an admin manages hub accounts
 * (otherwise one coordinator could take over another's account by setting its password).
 */
function mayManage(principal: Principal, target: { role: string }, what: string) {
  if ((target.role === 'admin' || target.role === 'coordinator') && principal.role !== 'admin') {
    throw forbidden(`only an admin can ${what} a ${target.role}`);
  }
}

export async function listMySubmissions(deps: Pick<ServiceDeps, 'db'>, principal: Principal) {
  return listSubmissionsBy(deps.db, principal.userId);
}

/**
 * A submission as its confirmation page shows it: for each referral, who will contact the
 * person and the latest date by which they promise to (the contact deadline once forwarded,
 * otherwise the forwarding deadline plus the agency's contact days).
 */
export async function submissionWithPromises(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  const s = await getSubmission(deps, principal, id, requestId);
  const agencies = await agencyContactDays(deps.db, s.referrals.map((r) => r.agencyId));
  const referrals = s.referrals.map((r) => {
    const a = agencies.get(r.agencyId);
    const contactBy = r.contactDueAt ?? addDays(r.forwardDueAt, a?.contactDays ?? deps.env.CONTACT_WITHIN_DAYS);
    return { ...r, contactBy, agencyPhone: a?.phone ?? null };
  });
  return { ...s, referrals };
}

/** What is at risk now, for the coordinators' dashboard. */
export async function hubDashboard(deps: ServiceDeps, principal: Principal) {
  requireHub(principal);
  const now = deps.clock.now();
  const [summary, breaches, failed, rejected, weekly, compliance, failedMail] = await Promise.all([
    getSlaSummary(deps),
    getBreaches(deps, { open: true, limit: 50 }),
    listReferrals(deps, principal, { status: ['forward_failed'], limit: 50 }),
    listReferrals(deps, principal, { status: ['rejected'], limit: 50 }),
    weeklyReferralVolume(deps.db, now, 8),
    slaCompliance(deps.db, new Date(now.getTime() - 30 * 86_400_000)),
    listNotificationRows(deps.db, { failedOnly: true, limit: 20 }),
  ]);
  const openByAgency = summary.agencies.filter((a) => a.openBreaches.forward + a.openBreaches.contact + a.openBreaches.follow_up > 0);
  const dueSoon = summary.agencies.filter((a) => a.dueNext24Hours.forward + a.dueNext24Hours.contact + a.dueNext24Hours.follow_up > 0);
  return { now, openByAgency, breaches, dueSoon, failedForwards: failed.items, rejected: rejected.items, weekly, compliance, failedMail };
}

/** One follow-up for the call script page (due or upcoming), audited as a read of the person's details. */
export async function followUpForCall(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  requireHub(principal);
  const now = deps.clock.now();
  const [hit] = await listFollowUps(deps.db, { id }, now, 1);
  if (!hit) throw notFound('follow-up');
  await recordAudit(deps.db, { principal, action: 'read', entity: 'submission', entityId: hit.submissionId, requestId, at: now });
  return hit;
}

export async function listMail(deps: ServiceDeps, principal: Principal, failedOnly: boolean) {
  requireHub(principal);
  return listNotificationRows(deps.db, { failedOnly, limit: 200 });
}

export async function listUsersForHub(deps: ServiceDeps, principal: Principal) {
  requireHub(principal);
  return listUserRows(deps.db);
}

/** Who managed which account, and when: every act on users is audited. */
async function auditUserAct(deps: ServiceDeps, principal: Principal, action: string, userId: string) {
  await recordAudit(deps.db, { principal, action, entity: 'user', entityId: userId, at: deps.clock.now() });
}

/** Creates a user with a password (their API token is revoked at once: web users sign in). */
export async function createUserWithPassword(deps: ServiceDeps, principal: Principal, input: NewUser, password: string) {
  requireHub(principal);
  if (input.role === 'admin' && principal.role !== 'admin') throw forbidden('only an admin creates admins');
  if (input.email.toLowerCase().endsWith(LINK_USER_DOMAIN)) throw forbidden('this email is kept for agency email links');
  const passwordHash = await hashPassword(password);
  const u = await createUserWithToken(deps, { ...input, passwordHash });
  await revokeUserTokens(deps, { userId: u.id });
  await auditUserAct(deps, principal, 'user.create', u.id);
  return u.id;
}

/** Disables a user: their sessions end and their API tokens are revoked at once. */
export async function disableUser(deps: ServiceDeps, principal: Principal, id: string) {
  requireHub(principal);
  if (id === principal.userId) throw forbidden('you cannot disable yourself');
  const target = await findUserRoleAndEmail(deps.db, id);
  if (target) mayManage(principal, target, 'disable');
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await disableUserRow(trx, id, now))) throw notFound('user');
    await deleteSessionsOfUser(trx, id);
    await revokeTokens(trx, { userId: id }, now);
    await recordAudit(trx, { principal, action: 'user.disable', entity: 'user', entityId: id, at: now });
  });
}

/** Sets a user's password from the hub's users page; only an admin may set an admin's. */
export async function setUserPassword(deps: ServiceDeps, principal: Principal, id: string, password: string) {
  requireHub(principal);
  const target = await findUserRoleAndEmail(deps.db, id);
  if (!target) throw notFound('user');
  mayManage(principal, target, 'set the password of');
  if (target.email.endsWith(LINK_USER_DOMAIN)) throw forbidden('an agency email link user cannot have a password');
  await setPassword(deps, id, password);
  await auditUserAct(deps, principal, 'user.password', id);
}
