/**
 * Passwords (argon2id) and sign-in with lock-out. After MAX_FAILURES wrong passwords in a row
 * an account is locked for LOCK_MINUTES, counted in Postgres so that every API replica agrees.
 * Each attempt is claimed (and numbered) in Postgres BEFORE its password is checked, so a burst
 * of concurrent guesses cannot slip past the limit: only the first MAX_FAILURES are ever
 * checked against the hash. What a caller learns is the same for an unknown email, a wrong
 * password and a locked account (one answer, 'invalid', after the same hash work), so sign-in
 * reveals neither which emails have accounts nor which are locked. Codes of a second factor
 * count towards the same limit (second-factor.service.ts).
 */
import argon2 from 'argon2';
import { z } from 'zod';
import type { DB } from '../../platform/db/database.js';
import type { Role } from '../../kernel/principal.js';
import { countPasskeys } from './passkey.repository.js';
import { claimSignInAttempt, findUserByEmail, lockAccount, releaseSignInAttempt, resetLoginFailures, setPasswordHash } from './user.repository.js';
import { hasConfirmedSecondFactor } from './second-factor.repository.js';
import { deleteSessionsOfUser } from './session.repository.js';
import { deletePendingSignInsOfUser } from './pending-sign-in.repository.js';
import type { Clock } from '../../kernel/clock.js';
import { notFound } from '../../kernel/errors.js';
import { stopCapacityLinksForStaff } from '../directory/index.js';

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

export type SignInResult = { ok: true; user: SignedInUser } | { ok: false; reason: 'invalid' };

/** The hash work a refusal costs, whatever its reason: a verify against a hash of the same cost. */
async function spendHashWork(password: string): Promise<void> {
  dummyHash ??= argon2.hash('not a real password', OPTIONS);
  await verifyPassword(await dummyHash, password);
}

export async function signIn(deps: { db: DB; clock: Clock }, email: string, password: string): Promise<SignInResult> {
  const now = deps.clock.now();
  const user = email.length <= 254 ? await findUserByEmail(deps.db, email.trim()) : undefined;
  if (!user || !user.passwordHash || user.disabledAt) {
    await spendHashWork(password);
    return { ok: false, reason: 'invalid' };
  }
  const attempt = await claimSignInAttempt(deps.db, user.id, now);
  const lockUntil = new Date(now.getTime() + LOCK_MINUTES * 60_000);
  if (attempt === undefined || attempt > MAX_FAILURES) {
    // locked, or past the limit in a burst: refused without looking at this password
    if (attempt !== undefined) await lockAccount(deps.db, user.id, lockUntil);
    await spendHashWork(password);
    return { ok: false, reason: 'invalid' };
  }
  if (!(await verifyPassword(user.passwordHash, password))) {
    if (attempt >= MAX_FAILURES) await lockAccount(deps.db, user.id, lockUntil);
    return { ok: false, reason: 'invalid' };
  }
  // with a second factor to come, this attempt's claim is given back and the failures stay: wrong
  // codes then count on from wrong passwords, and only a whole sign-in clears them
  if ((await hasConfirmedSecondFactor(deps.db, user.id)) || (await countPasskeys(deps.db, user.id)) > 0) await releaseSignInAttempt(deps.db, user.id);
  else await resetLoginFailures(deps.db, user.id);
  return { ok: true, user: { userId: user.id, name: user.name, role: user.role, agencyId: user.agencyId } };
}

/** A whole sign-in (the second factor too): the failures in a row start again from none. */
export async function signInCompleted(deps: { db: DB }, userId: string): Promise<void> {
  await resetLoginFailures(deps.db, userId);
}

/** Sets (or replaces) a password, clears any lock, and ends the user's existing web sessions (and sign-ins awaiting a code). */
export async function setPassword(deps: { db: DB }, userId: string, plain: string): Promise<void> {
  const hash = await hashPassword(plain);
  await deps.db.transaction().execute(async (trx) => {
    const user = await setPasswordHash(trx, userId, hash);
    if (!user) throw notFound('user');
    // an agency's staff now sign in: its emailed capacity links stop
    await stopCapacityLinksForStaff(trx, user);
    await deleteSessionsOfUser(trx, userId);
    // a sign-in that passed the old password and awaits its code ends too
    await deletePendingSignInsOfUser(trx, userId);
  });
}
