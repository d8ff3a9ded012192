/**
 * Users, their API tokens, and the account rules of the hub's users page: who may create,
 * disable or set the password of whom (every such act audited).
 */
import { z } from 'zod';
import type { DB, Executor } from '../../platform/db/database.js';
import type { Role } from '../../kernel/principal.js';
import { deleteSessionsOfUser } from './session.repository.js';
import { disableUserRow, findUserId, findUserRoleAndEmail, insertApiToken, insertUser, listUserRows, revokeTokens } from './user.repository.js';
import { badRequest, forbidden, notFound } from '../../kernel/errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { newToken } from './auth.service.js';
import { type Principal } from '../../kernel/principal.js';
import { hashPassword, setPassword } from './password.service.js';
import { oneLineText } from '../../kernel/text-fields.js';
import { recordAudit } from '../audit/index.js';
import { stopCapacityLinksForStaff } from '../directory/index.js';
import { removeSecondFactor } from './second-factor.service.js';
import { deletePendingSignInsOfUser } from './pending-sign-in.repository.js';

export const newUserSchema = z
  .object({
    role: z.enum(['link_worker', 'agency', 'coordinator', 'admin']),
    name: oneLineText().trim().min(1, 'must not be empty').max(200),
    email: z.email().max(254),
    agencyId: z.uuid().optional().nullable(),
    /** a link worker's organisation (organisation.service.ts) */
    organisationId: z.uuid().optional().nullable(),
  })
  .superRefine((u, ctx) => {
    if (u.role === 'agency' && !u.agencyId) ctx.addIssue({ code: 'custom', path: ['agencyId'], message: 'is required for an agency user' });
    if (u.role !== 'agency' && u.agencyId) ctx.addIssue({ code: 'custom', path: ['agencyId'], message: 'only agency users belong to an agency' });
    if (u.role !== 'link_worker' && u.organisationId) ctx.addIssue({ code: 'custom', path: ['organisationId'], message: 'only link workers belong to a referrer organisation' });
  });
export type NewUser = z.infer<typeof newUserSchema> & { passwordHash?: string | null };

export interface UserDeps {
  db: DB;
  clock: Clock;
  ids: IdGenerator;
}

/** Creates a user and a first API token; the token is returned once and stored only as a hash. */
export async function createUserWithToken(deps: UserDeps, input: NewUser): Promise<{ id: string; role: Role; token: string }> {
  const u = newUserSchema.parse(input);
  const id = deps.ids.uuid();
  const { token, hash } = newToken();
  const now = deps.clock.now();
  try {
    await deps.db.transaction().execute(async (trx) => {
      await insertUser(trx, {
        id,
        name: u.name,
        email: u.email,
        role: u.role,
        agencyId: u.agencyId ?? null,
        organisationId: u.organisationId ?? null,
        passwordHash: input.passwordHash ?? null,
        createdAt: now,
      });
      await insertApiToken(trx, { id: deps.ids.uuid(), userId: id, tokenHash: hash, label: 'cli', createdAt: now });
      // an agency's staff now sign in: its emailed capacity links stop
      if (input.passwordHash) await stopCapacityLinksForStaff(trx, { role: u.role, agencyId: u.agencyId ?? null });
    });
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    if (e.code === '23505' && e.constraint === 'users_email_key') throw badRequest('invalid user', [{ path: 'email', message: 'a user with this email exists' }]);
    if (e.code === '23503' && e.constraint === 'users_organisation_id_fkey') throw badRequest('invalid user', [{ path: 'organisationId', message: 'no such organisation' }]);
    if (e.code === '23503') throw badRequest('invalid user', [{ path: 'agencyId', message: 'no such agency' }]);
    throw err;
  }
  return { id, role: u.role, token };
}

/** Issues another API token for an existing user. */
export async function issueToken(deps: UserDeps, userId: string, label = 'api'): Promise<string> {
  const user = await findUserId(deps.db, userId);
  if (!user) throw notFound('user');
  const { token, hash } = newToken();
  await insertApiToken(deps.db, { id: deps.ids.uuid(), userId, tokenHash: hash, label, createdAt: deps.clock.now() });
  return token;
}

export async function revokeUserTokens(deps: UserDeps, by: { userId?: string; tokenId?: string }): Promise<number> {
  return revokeTokens(deps.db, by, deps.clock.now());
}

// ---- accounts managed from the hub's users page ----

// Admins manage accounts; coordinators do casework (docs/security.md#the-persons-data, "Admins and
// coordinators apart").
const requireHub = (p: Principal) => {
  if (p.role !== 'admin') throw forbidden('only an admin manages users');
};

// the users findOrCreateLinkUser makes for agency email links: they must never sign in
const LINK_USER_DOMAIN = '@signpost.invalid';

/**
 * Only an admin manages accounts (requireHub above); this second check stays as a guard of its
 * own, so that hub accounts are never managed by anyone else even if the first rule is widened.
 */
function mayManage(principal: Principal, target: { role: string }, what: string) {
  if ((target.role === 'admin' || target.role === 'coordinator') && principal.role !== 'admin') {
    throw forbidden(`only an admin can ${what} a ${target.role}`);
  }
}

type AccountDeps = UserDeps;

/** Who managed which account, and when: every act on users is audited. */
async function auditUserAct(db: Executor, principal: Principal, action: string, userId: string, at: Date) {
  await recordAudit(db, { principal, action, entity: 'user', entityId: userId, at });
}

export async function listUsersForHub(deps: Pick<UserDeps, 'db'>, principal: Principal) {
  requireHub(principal);
  return listUserRows(deps.db);
}

/** Creates a user with a password (their API token is revoked at once: web users sign in). */
export async function createUserWithPassword(deps: AccountDeps, principal: Principal, input: NewUser, password: string) {
  requireHub(principal);
  if ((input.role === 'admin' || input.role === 'coordinator') && principal.role !== 'admin') {
    throw forbidden(`only an admin creates a ${input.role}`);
  }
  if (input.email.toLowerCase().endsWith(LINK_USER_DOMAIN)) throw forbidden('this email is kept for agency email links');
  const passwordHash = await hashPassword(password);
  const u = await createUserWithToken(deps, { ...input, passwordHash });
  await revokeUserTokens(deps, { userId: u.id });
  await auditUserAct(deps.db, principal, 'user.create', u.id, deps.clock.now());
  return u.id;
}

/** Disables a user: their sessions end and their API tokens are revoked at once. */
export async function disableUser(deps: AccountDeps, principal: Principal, id: string) {
  requireHub(principal);
  if (id === principal.userId) throw forbidden('you cannot disable yourself');
  const target = await findUserRoleAndEmail(deps.db, id);
  if (target) mayManage(principal, target, 'disable');
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await disableUserRow(trx, id, now))) throw notFound('user');
    await deleteSessionsOfUser(trx, id);
    await deletePendingSignInsOfUser(trx, id);
    await revokeTokens(trx, { userId: id }, now);
    await auditUserAct(trx, principal, 'user.disable', id, now);
  });
}

/** Sets a user's password from the hub's users page; only an admin may set a hub account's. */
export async function setUserPassword(deps: AccountDeps, principal: Principal, id: string, password: string) {
  requireHub(principal);
  const target = await findUserRoleAndEmail(deps.db, id);
  if (!target) throw notFound('user');
  mayManage(principal, target, 'set the password of');
  if (target.email.endsWith(LINK_USER_DOMAIN)) throw forbidden('an agency email link user cannot have a password');
  await setPassword(deps, id, password);
  await auditUserAct(deps.db, principal, 'user.password', id, deps.clock.now());
}

/**
 * Resets a person's second factor (a lost phone and lost recovery codes): the factor and its
 * codes go, their sessions and any sign-in awaiting a code end. At their next sign-in they enrol
 * again if their role must have one. Only an admin, audited under the admin's name.
 */
export async function resetUserSecondFactor(deps: AccountDeps, principal: Principal, id: string) {
  requireHub(principal);
  const target = await findUserRoleAndEmail(deps.db, id);
  if (!target) throw notFound('user');
  mayManage(principal, target, 'reset the two-factor sign-in of');
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await removeSecondFactor(trx, id))) throw badRequest('invalid action', [{ path: 'action', message: 'this user has no two-factor sign-in to reset' }]);
    await deletePendingSignInsOfUser(trx, id);
    await deleteSessionsOfUser(trx, id);
    await auditUserAct(trx, principal, 'user.two_factor_reset', id, now);
  });
}
