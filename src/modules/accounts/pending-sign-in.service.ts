/**
 * A sign-in between its two factors: the first is done, the code is awaited. Like a session, a
 * 32-byte random cookie whose SHA-256 alone is kept, with its own CSRF token (there is no session
 * yet), where to go afterwards, and a short life (5 minutes). Ending one is atomic, so one code
 * completes one pending sign-in once.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../kernel/clock.js';
import type { DB } from '../../platform/db/database.js';
import { deletePendingSignIn, findPendingSignIn, insertPendingSignIn } from './pending-sign-in.repository.js';
import { sha256 } from './session.service.js';

export const PENDING_SIGN_IN_MS = 5 * 60_000;
type Deps = { db: DB; clock: Clock };

export async function startPendingSignIn(deps: Deps, userId: string, method: 'password' | 'oidc', next: string): Promise<string> {
  const cookieValue = randomBytes(32).toString('base64url');
  const now = deps.clock.now();
  await insertPendingSignIn(deps.db, {
    idHash: sha256(cookieValue),
    userId,
    method,
    next,
    csrfToken: randomBytes(32).toString('base64url'),
    createdAt: now,
    expiresAt: new Date(now.getTime() + PENDING_SIGN_IN_MS),
  });
  return cookieValue;
}

export async function loadPendingSignIn(deps: Deps, cookieValue: string | undefined) {
  if (!cookieValue || cookieValue.length > 100) return undefined;
  return findPendingSignIn(deps.db, sha256(cookieValue), deps.clock.now());
}

/** True when this call ended a pending sign-in that was there. */
export async function endPendingSignInRow(deps: Pick<Deps, 'db'>, cookieValue: string | undefined): Promise<boolean> {
  return cookieValue !== undefined && cookieValue.length <= 100 && (await deletePendingSignIn(deps.db, sha256(cookieValue)));
}
