/**
 * Web sessions: a 32-byte random id in an HttpOnly, SameSite=Lax cookie; Postgres keeps only
 * its SHA-256, the user, an expiry that slides with use (SESSION_IDLE_HOURS), and the CSRF
 * token that every form must echo back. A session also ends SESSION_ABSOLUTE_HOURS after sign-in,
 * however busy (config/env.ts refuses a lifetime shorter than the idle time). Each session also has
 * an id that a form may name, and the short name of the browser it was started in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Env } from '../../../config/env.js';
import type { DB } from '../../platform/db/database.js';
import { deleteExpiredSessions as deleteExpiredSessionRows, deleteSession, deleteSessionsOfUser, deleteSessionsOfUserExcept, findSessionUser, insertSession, markSessionSecondFactor, touchSession } from './session.repository.js';
import { deleteExpiredPendingSignIns } from './pending-sign-in.repository.js';
import { deleteExpiredChallenges } from './passkey.repository.js';
import type { Executor, SessionSecondFactor } from '../../platform/db/database.js';
import { type SessionUser } from '../../kernel/principal.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { browserName } from './browser-name.js';

export const SESSION_COOKIE = 'signpost_session';
// touching the row on every request would write on every page view; once a minute is enough
const TOUCH_EVERY_MS = 60_000;

type SessionDeps = { db: DB; clock: Clock; env: Env; ids: IdGenerator };

export const sha256 = (s: string) => createHash('sha256').update(s).digest();

function idleMs(env: Env): number {
  return env.SESSION_IDLE_HOURS * 3_600_000;
}

/** However busy, a session ends this long after sign-in (SESSION_ABSOLUTE_HOURS, default a working day). */
export function absoluteMs(env: Env): number {
  return env.SESSION_ABSOLUTE_HOURS * 3_600_000;
}

/** What the new session's second factor is: how it was proved, or that the person must enrol first. */
export interface SessionFactor {
  secondFactor: SessionSecondFactor | null;
  mustEnrol: boolean;
}

/** Starts a session; `userAgent` is read for the browser's short name only, and not kept. */
export async function createSession(deps: SessionDeps, userId: string, userAgent: string | undefined, factor: SessionFactor = { secondFactor: null, mustEnrol: false }): Promise<{ cookieValue: string; csrfToken: string }> {
  const cookieValue = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const now = deps.clock.now();
  await insertSession(deps.db, {
    idHash: sha256(cookieValue),
    id: deps.ids.uuid(),
    browser: browserName(userAgent),
    userId,
    csrfToken,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + idleMs(deps.env)),
    ...factor,
  });
  return { cookieValue, csrfToken };
}

export async function loadSession(deps: SessionDeps, cookieValue: string | undefined): Promise<SessionUser | null> {
  if (!cookieValue || cookieValue.length > 100) return null;
  const idHash = sha256(cookieValue);
  const now = deps.clock.now();
  const s = await findSessionUser(deps.db, idHash, now);
  if (!s) return null;
  if (now.getTime() - s.createdAt.getTime() >= absoluteMs(deps.env)) {
    await deleteSession(deps.db, idHash);
    return null;
  }
  if (now.getTime() - s.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await touchSession(deps.db, idHash, now, new Date(now.getTime() + idleMs(deps.env)));
  }
  return s;
}

export async function endSession(deps: { db: DB }, cookieValue: string | undefined): Promise<void> {
  if (cookieValue && cookieValue.length <= 100) await deleteSession(deps.db, sha256(cookieValue));
}

/**
 * A first second factor was just set up in the session in this cookie: every other session of
 * the person ends. They were opened with the password alone, before there was a factor to ask
 * for, and must not go on to manage the new factor (renew its recovery codes, add a passkey).
 */
export async function endSessionsBeforeFirstFactor(db: Executor, userId: string, cookieValue: string | undefined): Promise<void> {
  if (cookieValue && cookieValue.length <= 100) await deleteSessionsOfUserExcept(db, userId, sha256(cookieValue));
  else await deleteSessionsOfUser(db, userId);
}

/** The session in this cookie has proved a second factor (an enrolment confirmed in it). */
export async function sessionProvedSecondFactor(db: Executor, cookieValue: string | undefined, secondFactor: SessionSecondFactor): Promise<void> {
  if (cookieValue && cookieValue.length <= 100) await markSessionSecondFactor(db, sha256(cookieValue), secondFactor);
}

/** Expired sessions, pending sign-ins and passkey challenges (all are refused already; this keeps the tables small): the sessions deleted. */
export async function deleteExpiredSessions(db: Executor, now: Date): Promise<number> {
  await deleteExpiredPendingSignIns(db, now);
  await deleteExpiredChallenges(db, now);
  return deleteExpiredSessionRows(db, now);
}
