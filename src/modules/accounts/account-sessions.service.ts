/**
 * Sessions a person can see and end: their own, from /account/sessions (one, or all but the one
 * they are using), and all of someone's, by an admin from /hub/users. Every end is audited on the
 * user account whose sessions ended (the session's id means nothing once it is gone). Disabling an
 * account and setting its password end its sessions too (user.service.ts, password.service.ts).
 */
import { z } from 'zod';
import type { DB } from '../../platform/db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { forbidden, notFound } from '../../kernel/errors.js';
import type { Principal, SessionUser } from '../../kernel/principal.js';
import { recordAudit } from '../audit/index.js';
import { deleteOtherSessionsOfUser, deleteSessionOfUser, deleteSessionsOfUser, listSessionsOfUser } from './session.repository.js';
import { findUserId } from './user.repository.js';
import { deletePendingSignInsOfUser } from './pending-sign-in.repository.js';

type Deps = { db: DB; clock: Clock };

const asPrincipal = (u: SessionUser): Principal => ({ userId: u.userId, name: u.name, role: u.role, agencyId: u.agencyId });

/** The signed-in person's live sessions, newest first, the one they are using marked. */
export async function listOwnSessions(deps: Deps, user: SessionUser) {
  const rows = await listSessionsOfUser(deps.db, user.userId, deps.clock.now());
  return rows.map((s) => ({ ...s, current: s.id === user.sessionId }));
}

/** Ends one of the person's own sessions (perhaps the one they are using); 404 when it is not theirs or gone. */
export async function endOwnSession(deps: Deps, user: SessionUser, sessionId: string): Promise<{ endedCurrent: boolean }> {
  if (!z.uuid().safeParse(sessionId).success) throw notFound('session');
  await deps.db.transaction().execute(async (trx) => {
    if (!(await deleteSessionOfUser(trx, user.userId, sessionId))) throw notFound('session');
    await recordAudit(trx, { principal: asPrincipal(user), action: 'session.end', entity: 'user', entityId: user.userId, at: deps.clock.now() });
  });
  return { endedCurrent: sessionId === user.sessionId };
}

/** "Sign out everywhere else": every session of the person but the one they are using. */
export async function endOtherOwnSessions(deps: Deps, user: SessionUser): Promise<number> {
  return deps.db.transaction().execute(async (trx) => {
    const ended = await deleteOtherSessionsOfUser(trx, user.userId, user.sessionId);
    // a sign-in past its password and waiting for its code elsewhere is not let in afterwards
    await deletePendingSignInsOfUser(trx, user.userId);
    await recordAudit(trx, { principal: asPrincipal(user), action: 'session.end_others', entity: 'user', entityId: user.userId, at: deps.clock.now() });
    return ended;
  });
}

/** An admin ends every session of a user (from /hub/users); returns how many ended. */
export async function endAllSessionsOfUser(deps: Deps, principal: Principal, userId: string): Promise<number> {
  if (principal.role !== 'admin') throw forbidden('only an admin ends the sessions of another user');
  if (!z.uuid().safeParse(userId).success) throw notFound('user');
  return deps.db.transaction().execute(async (trx) => {
    if (!(await findUserId(trx, userId))) throw notFound('user');
    const ended = await deleteSessionsOfUser(trx, userId);
    await deletePendingSignInsOfUser(trx, userId);
    await recordAudit(trx, { principal, action: 'session.end_all', entity: 'user', entityId: userId, at: deps.clock.now() });
    return ended;
  });
}
