/**
 * Passwords (argon2id) and sign-in with lock-out. After MAX_FAILURES wrong passwords in a row
 * an account is locked for LOCK_MINUTES, counted in Postgres so that every API replica agrees.
 * An unknown email costs the same hash work as a wrong password, so response time does not
 * reveal which emails have accounts.
 */
import argon2 from 'argon2';
import { z } from 'zod';
import type { DB, Role } from '../db/database.js';
import { findUserByEmail, recordLoginFailure, resetLoginFailures, setPasswordHash } from '../db/user.repository.js';
import { deleteSessionsOfUser } from '../db/session.repository.js';
import type { Clock } from '../domain/clock.js';
import { notFound } from '../errors.js';

export const MAX_FAILURES = 5;
export const LOCK_MINUTES = 15;

/** NCSC guidance: length over composition rules. */
export const passwordSchema = z.string().min(10, 'must be at least 10 characters').max(200, 'must be at most 200 characters');

// OWASP's argon2id baseline (19 MiB, 2 passes) keeps a sign-in well under a second on a small VM.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
let dummyHash: Promise<string> | undefined;

export function hashPassword(plain: string): Promise<string> {
  return argon2.hash(passwordSchema.parse(plain), OPTIONS);
}

export async function verifyPassword(hash: string, plain: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, plain);
  } catch {
    return false;
  }
}

export interface SignedInUser {
  userId: string;
  name: string;
  role: Role;
  agencyId: string | null;
}

export type SignInResult = { ok: true; user: SignedInUser } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'locked'; until: Date };

export async function signIn(deps: { db: DB; clock: Clock }, email: string, password: string): Promise<SignInResult> {
  const now = deps.clock.now();
  const user = email.length <= 254 ? await findUserByEmail(deps.db, email.trim()) : undefined;
  if (!user || !user.passwordHash || user.disabledAt) {
    dummyHash ??= argon2.hash('not a real password', OPTIONS);
    await verifyPassword(await dummyHash, password);
    return { ok: false, reason: 'invalid' };
  }
  if (user.lockedUntil && user.lockedUntil > now) return { ok: false, reason: 'locked', until: user.lockedUntil };
  if (!(await verifyPassword(user.passwordHash, password))) {
    const lockUntil = new Date(now.getTime() + LOCK_MINUTES * 60_000);
    // a lock that has run out starts a fresh count
    if (user.lockedUntil && user.lockedUntil <= now) await resetLoginFailures(deps.db, user.id);
    const after = await recordLoginFailure(deps.db, user.id, now, MAX_FAILURES, lockUntil);
    if (after?.lockedUntil && after.lockedUntil > now) return { ok: false, reason: 'locked', until: after.lockedUntil };
    return { ok: false, reason: 'invalid' };
  }
  if (user.failedLogins > 0 || user.lockedUntil) await resetLoginFailures(deps.db, user.id);
  return { ok: true, user: { userId: user.id, name: user.name, role: user.role, agencyId: user.agencyId } };
}

/** Sets (or replaces) a password, clears any lock, and ends the user's existing web sessions. */
export async function setPassword(deps: { db: DB }, userId: string, plain: string): Promise<void> {
  const hash = await hashPassword(plain);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await setPasswordHash(trx, userId, hash))) throw notFound('user');
    await deleteSessionsOfUser(trx, userId);
  });
}
