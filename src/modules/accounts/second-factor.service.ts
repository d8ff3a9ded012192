/**
 * A second factor for staff sign-in: an authenticator app (TOTP, RFC 6238), passkeys
 * (passkey.service.ts), and ten single-use recovery codes, made when the first factor of either
 * kind is set up and kept while any factor is. The secret is stored sealed (totp.ts); a code is accepted at most once (the
 * last accepted time step is kept per user and moved forward atomically in Postgres); every
 * wrong or reused code (and every refused passkey) counts towards the same lock-out as a wrong password (MAX_FAILURES in a
 * row, password.service.ts). Every act is audited; the hub's own rules for who must have one
 * (MFA_REQUIRED_ROLES) are read in the sign-in flow and here.
 */
import type { Env } from '../../../config/env.js';
import type { Clock } from '../../kernel/clock.js';
import { forbidden } from '../../kernel/errors.js';
import type { Role } from '../../kernel/principal.js';
import type { DB, Executor } from '../../platform/db/database.js';
import { recordAudit } from '../audit/index.js';
import { LOCK_MINUTES, MAX_FAILURES } from './password.service.js';
import { countPasskeys, deletePasskeysOfUser, listPasskeys } from './passkey.repository.js';
import {
  acceptTimeStep,
  countRecoveryCodesLeft,
  deleteAppFactor,
  deleteRecoveryCodes,
  findSecondFactor,
  hasConfirmedSecondFactor,
  insertUnconfirmedFactor,
  replaceRecoveryCodes,
  useRecoveryCode,
} from './second-factor.repository.js';
import { endSessionsBeforeFirstFactor, sessionProvedSecondFactor } from './session.service.js';
import {
  RECOVERY_CODE_COUNT,
  groupSecret,
  matchTotp,
  newRecoveryCode,
  newTotpSecret,
  openSecret,
  otpauthUri,
  qrSvg,
  recoveryCodeHash,
  sealSecret,
  totpCode,
} from './totp.js';
import { claimSignInAttempt, findUserByEmail, lockAccount } from './user.repository.js';

type Deps = { db: DB; clock: Clock; env: Env };
/** who is acting: the person themselves (signing in, or on their own account page) */
export interface Person {
  userId: string;
  name: string;
  role: Role;
}

export type CodeEntry = { kind: 'totp' | 'recovery'; code: string };
export type CodeCheck = { ok: true; via: 'totp' | 'recovery' | 'passkey'; recoveryLeft?: number } | { ok: false; reason: 'wrong' | 'reused' | 'locked' };

const audit = (db: Executor, who: Person, action: string, at: Date, actor: { userId: string | null; name: string } = who) =>
  recordAudit(db, { principal: { userId: actor.userId, name: actor.name }, action, entity: 'user', entityId: who.userId, at });

export function secondFactorRequired(env: Env, role: Role): boolean {
  return env.MFA_REQUIRED_ROLES.includes(role);
}

/** A confirmed authenticator app or any passkey: the person is asked for one at sign-in. */
export async function hasSecondFactor(deps: Pick<Deps, 'db'>, userId: string): Promise<boolean> {
  return (await hasConfirmedSecondFactor(deps.db, userId)) || (await countPasskeys(deps.db, userId)) > 0;
}

export interface TwoFactorState {
  /** any factor is on (the app or a passkey) */
  on: boolean;
  appOn: boolean;
  since: Date | null;
  passkeys: { id: string; name: string; createdAt: Date; lastUsedAt: Date | null }[];
  recoveryLeft: number;
}

export async function twoFactorState(deps: Pick<Deps, 'db'>, userId: string): Promise<TwoFactorState> {
  const f = await findSecondFactor(deps.db, userId);
  const passkeys = (await listPasskeys(deps.db, userId)).map(({ id, name, createdAt, lastUsedAt }) => ({ id, name, createdAt, lastUsedAt }));
  const appOn = Boolean(f?.confirmedAt);
  const on = appOn || passkeys.length > 0;
  return { on, appOn, since: f?.confirmedAt ?? null, passkeys, recoveryLeft: on ? await countRecoveryCodesLeft(deps.db, userId) : 0 };
}

/** What the enrolment page shows: the secret awaiting its first code (made once, kept until confirmed). */
export async function enrolmentFor(deps: Deps, user: { userId: string; email: string }) {
  let f = await findSecondFactor(deps.db, user.userId);
  if (f?.confirmedAt) return undefined;
  if (!f) {
    const secret = newTotpSecret();
    await insertUnconfirmedFactor(deps.db, { userId: user.userId, secretEncrypted: sealSecret(deps.env.MFA_KEY, user.userId, secret), createdAt: deps.clock.now() });
    f = await findSecondFactor(deps.db, user.userId);
    if (f?.confirmedAt || !f) return undefined;
  }
  const secret = openSecret(deps.env.MFA_KEY, user.userId, f.secretEncrypted);
  const uri = otpauthUri(secret, user.email);
  return { secretGroups: groupSecret(secret), uri, qrSvg: await qrSvg(uri) };
}

/** Ten new recovery codes for the user (the old ones stop working), returned to be shown once. */
export async function makeRecoveryCodes(deps: Deps, trx: Executor, userId: string, at: Date): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await replaceRecoveryCodes(trx, userId, codes.map((c) => recoveryCodeHash(deps.env.MFA_KEY, userId, c)), at);
  return codes;
}

/**
 * Confirms the enrolment with a first code: the factor is on, ten recovery codes are made (and
 * returned, to be shown once) unless a passkey came first and made them (then none: the person
 * keeps theirs), and the session it was done in counts as having proved it.
 */
export async function confirmEnrolment(deps: Deps, who: Person, code: string, sessionCookie: string | undefined): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false }> {
  const f = await findSecondFactor(deps.db, who.userId);
  if (!f || f.confirmedAt) return { ok: false };
  const now = deps.clock.now();
  const step = await matchTotp(openSecret(deps.env.MFA_KEY, who.userId, f.secretEncrypted), code, now, null);
  if (step === undefined) return { ok: false };
  const recoveryCodes = await deps.db.transaction().execute(async (trx) => {
    if (!(await acceptTimeStep(trx, who.userId, step, { confirmAt: now }))) return undefined;
    const first = (await countPasskeys(trx, who.userId)) === 0;
    const codes = first ? await makeRecoveryCodes(deps, trx, who.userId, now) : [];
    if (first) await endSessionsBeforeFirstFactor(trx, who.userId, sessionCookie);
    await sessionProvedSecondFactor(trx, sessionCookie, 'totp');
    await audit(trx, who, 'user.two_factor_enrolled', now);
    return codes;
  });
  return recoveryCodes ? { ok: true, recoveryCodes } : { ok: false };
}

/**
 * Checks a code (or a recovery code) of a confirmed factor, as one sign-in attempt: claimed
 * before it is checked (so a burst of guesses cannot pass the limit), refused while the account
 * is locked, and locking it at the MAX_FAILURES-th failure in a row. A success leaves the
 * failures for the caller to clear (a full sign-in clears them).
 */
export async function checkSecondFactor(deps: Deps, who: Person, entry: CodeEntry): Promise<CodeCheck> {
  return asSignInAttempt(deps, who, (now) => checkCode(deps, who, entry, now), (reason) => (reason === 'reused' ? 'user.two_factor_code_reused' : 'user.two_factor_code_refused'));
}

/**
 * Runs one check of a second factor (a code, a recovery code, a passkey) as one sign-in attempt,
 * with its refusal audited as `refusedAction` says; see checkSecondFactor.
 */
export async function asSignInAttempt(deps: Deps, who: Person, check: (now: Date) => Promise<CodeCheck>, refusedAction: (reason: 'wrong' | 'reused' | 'locked') => string): Promise<CodeCheck> {
  const now = deps.clock.now();
  const lockUntil = new Date(now.getTime() + LOCK_MINUTES * 60_000);
  const attempt = await claimSignInAttempt(deps.db, who.userId, now);
  if (attempt === undefined || attempt > MAX_FAILURES) {
    if (attempt !== undefined) await lockAccount(deps.db, who.userId, lockUntil);
    return { ok: false, reason: 'locked' };
  }
  const result = await check(now);
  if (!result.ok) {
    if (attempt >= MAX_FAILURES) await lockAccount(deps.db, who.userId, lockUntil);
    await audit(deps.db, who, refusedAction(result.reason), now);
    return attempt >= MAX_FAILURES ? { ok: false, reason: 'locked' } : result;
  }
  return result;
}

async function checkCode(deps: Deps, who: Person, entry: CodeEntry, now: Date): Promise<CodeCheck> {
  const f = await findSecondFactor(deps.db, who.userId);
  if (entry.kind === 'recovery') {
    // recovery codes stand in for whichever factor the person has (the app or a passkey)
    if (!(await hasSecondFactor(deps, who.userId))) return { ok: false, reason: 'wrong' };
    const left = await useRecoveryCode(deps.db, who.userId, recoveryCodeHash(deps.env.MFA_KEY, who.userId, entry.code), now);
    if (left === undefined) return { ok: false, reason: 'wrong' };
    await audit(deps.db, who, `user.two_factor_recovery_used:${left}`, now);
    return { ok: true, via: 'recovery', recoveryLeft: left };
  }
  if (!f?.confirmedAt) return { ok: false, reason: 'wrong' };
  const secret = openSecret(deps.env.MFA_KEY, who.userId, f.secretEncrypted);
  const last = f.lastTimeStep === null ? null : Number(f.lastTimeStep);
  const step = await matchTotp(secret, entry.code, now, last);
  if (step === undefined) {
    // right, but of a time step already used: a replay (told apart only for the audit and the hint)
    const anyStep = last === null ? undefined : await matchTotp(secret, entry.code, now, null);
    return { ok: false, reason: anyStep === undefined ? 'wrong' : 'reused' };
  }
  // two requests with the same code: only one moves the step forward
  if (!(await acceptTimeStep(deps.db, who.userId, step))) return { ok: false, reason: 'reused' };
  return { ok: true, via: 'totp' };
}

/** New recovery codes (the old ones stop working), shown once. */
export async function renewRecoveryCodes(deps: Deps, who: Person): Promise<string[]> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    if (!(await hasSecondFactor({ db: trx }, who.userId))) throw forbidden('turn on two-factor sign-in first');
    const codes = await makeRecoveryCodes(deps, trx, who.userId, now);
    await audit(trx, who, 'user.two_factor_recovery_codes_renewed', now);
    return codes;
  });
}

/**
 * Turns the person's own authenticator app off, with a current code; not for a role that must
 * have a second factor unless a passkey stays. The recovery codes go with the last factor.
 */
export async function turnOffSecondFactor(deps: Deps, who: Person, entry: CodeEntry): Promise<CodeCheck> {
  if (secondFactorRequired(deps.env, who.role) && (await countPasskeys(deps.db, who.userId)) === 0) throw forbidden('your role must sign in with a second factor');
  const check = await checkSecondFactor(deps, who, entry);
  if (!check.ok) return check;
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await deleteAppFactor(trx, who.userId);
    if ((await countPasskeys(trx, who.userId)) === 0) await deleteRecoveryCodes(trx, who.userId);
    await audit(trx, who, 'user.two_factor_turned_off', now);
  });
  return check;
}

/** An admin's reset (users page): the app, every passkey and the recovery codes go; the caller ends the sessions. */
export async function removeSecondFactor(trx: Executor, userId: string): Promise<boolean> {
  const app = await deleteAppFactor(trx, userId);
  const passkeys = await deletePasskeysOfUser(trx, userId);
  await deleteRecoveryCodes(trx, userId);
  return app || passkeys > 0;
}

// ---- the demo and the CLI (never reached from a page) ----

/** Enrols a user with a known secret at once (the demo's fixed secret), replacing any factor. */
export async function enrolWithKnownSecret(deps: Deps, who: Person, secret: string): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await deleteAppFactor(trx, who.userId);
    await insertUnconfirmedFactor(trx, { userId: who.userId, secretEncrypted: sealSecret(deps.env.MFA_KEY, who.userId, secret), createdAt: now });
    await acceptTimeStep(trx, who.userId, 0, { confirmAt: now });
    await audit(trx, who, 'user.two_factor_enrolled', now, { userId: null, name: 'The demo set-up' });
  });
}

/** The code a user's app shows now (the CLI's totp-code, for the demo and development only). */
export async function currentCodeFor(deps: Deps, email: string): Promise<string | undefined> {
  const user = await findUserByEmail(deps.db, email);
  const f = user && (await findSecondFactor(deps.db, user.id));
  if (!user || !f?.confirmedAt) return undefined;
  return totpCode(openSecret(deps.env.MFA_KEY, user.id, f.secretEncrypted), deps.clock.now());
}
