/**
 * Passkeys (WebAuthn, @simplewebauthn/server) as a second factor beside the authenticator app.
 * The relying party is PUBLIC_URL: its host is the RP ID and its origin the only origin
 * accepted. Each ceremony's challenge is kept in Postgres (passkey.repository.ts), two minutes,
 * taken once, and belongs to the web session that adds the passkey or to the pending sign-in
 * that uses one: a challenge made for one browser cannot complete another's ceremony. A use is
 * one sign-in attempt (asSignInAttempt): a refused passkey counts towards the same lock-out as a
 * wrong code. Only the public key is kept; a passkey needs no secret on the server.
 */
import type * as SimpleWebAuthn from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  WebAuthnCredential,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import type { Env } from '../../../config/env.js';
import type { Clock } from '../../kernel/clock.js';
import { forbidden } from '../../kernel/errors.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { DB, Executor } from '../../platform/db/database.js';
import { recordAudit } from '../audit/index.js';
import { countPasskeys, deletePasskey, insertPasskey, listPasskeys, markPasskeyUsed, saveChallenge, takeChallenge } from './passkey.repository.js';
import { deleteRecoveryCodes, hasConfirmedSecondFactor } from './second-factor.repository.js';
import { asSignInAttempt, hasSecondFactor, makeRecoveryCodes, secondFactorRequired, type CodeCheck, type Person } from './second-factor.service.js';
import { endSessionsBeforeFirstFactor, sessionProvedSecondFactor, sha256 } from './session.service.js';

/**
 * @simplewebauthn/server, loaded at the first passkey request: some megabytes of heap that a
 * process serving none would carry. Loaded outside the checks' try blocks, so that a library that
 * cannot load is an error of the hub's (a 500, logged), never a passkey refused; and not kept when
 * it failed, so that the next request tries again.
 */
let library: Promise<typeof SimpleWebAuthn> | undefined;
function webAuthn(): Promise<typeof SimpleWebAuthn> {
  library ??= import('@simplewebauthn/server').catch((err: unknown) => {
    library = undefined;
    throw err;
  });
  return library;
}

/** The transports WebAuthn names (a browser's list is not signed: nothing else is kept). */
const TRANSPORTS: readonly string[] = ['usb', 'nfc', 'ble', 'internal', 'hybrid', 'smart-card', 'cable'];

/** The browser's list of transports as it may be stored: only names WebAuthn defines, each once. */
export function knownTransports(raw: unknown): string[] {
  return Array.isArray(raw) ? [...new Set(raw.filter((t): t is string => typeof t === 'string' && TRANSPORTS.includes(t)))] : [];
}

/** A credential id (base64url, from the authenticator data) the column takes: 1 to 1,400 characters. */
export function credentialIdFits(id: unknown): id is string {
  return typeof id === 'string' && id.length >= 1 && id.length <= 1400;
}

type Deps = { db: DB; clock: Clock; env: Env; ids: IdGenerator };

export const CHALLENGE_MS = 2 * 60_000;
export const PASSKEY_NAME_MAX = 60;

const audit = (db: Executor, who: Person, action: string, at: Date) =>
  recordAudit(db, { principal: { userId: who.userId, name: who.name }, action, entity: 'user', entityId: who.userId, at });

export function relyingParty(env: Pick<Env, 'PUBLIC_URL'>): { rpID: string; origin: string } {
  const url = new URL(env.PUBLIC_URL);
  return { rpID: url.hostname, origin: url.origin };
}

/** What a browser posts back: the JSON of a PublicKeyCredential, checked for shape before the library reads it. */
const credentialShape = z
  .object({ id: z.string().min(1).max(1400), rawId: z.string().min(1).max(1400), type: z.literal('public-key'), response: z.object({ clientDataJSON: z.string().max(10_000) }).loose() })
  .loose();

function readCredential(text: string | undefined): unknown {
  if (!text || text.length > 60_000) return undefined;
  try {
    const parsed = credentialShape.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const transportsOf = (t: string[]) => t as WebAuthnCredential['transports'];

/** The options for adding a passkey, in the session `sessionCookie` names (its challenge kept for it). */
export async function registrationOptions(deps: Deps, who: Person & { email: string }, sessionCookie: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { rpID } = relyingParty(deps.env);
  const existing = await listPasskeys(deps.db, who.userId);
  const options = await (await webAuthn()).generateRegistrationOptions({
    rpName: 'Signpost',
    rpID,
    userName: who.email,
    userDisplayName: who.name,
    // the same user handle every time, so an authenticator keeps one passkey per account
    userID: new Uint8Array(Buffer.from(who.userId, 'utf8')),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    timeout: CHALLENGE_MS,
  });
  const now = deps.clock.now();
  await saveChallenge(deps.db, { purpose: 'registration', sessionIdHash: sha256(sessionCookie) }, { id: deps.ids.uuid(), userId: who.userId, challenge: options.challenge, createdAt: now, expiresAt: new Date(now.getTime() + CHALLENGE_MS) });
  return options;
}

export type AddPasskey = { ok: true; recoveryCodes: string[] } | { ok: false; reason: 'expired' | 'refused' | 'duplicate' };

/**
 * Adds the passkey the browser made for the session's challenge. The first factor of any kind
 * makes the recovery codes (returned, to be shown once) and counts as proved by the session.
 */
export async function addPasskey(deps: Deps, who: Person, name: string, credentialText: string | undefined, sessionCookie: string): Promise<AddPasskey> {
  const now = deps.clock.now();
  const challenge = await takeChallenge(deps.db, { purpose: 'registration', sessionIdHash: sha256(sessionCookie) }, now);
  if (!challenge || challenge.userId !== who.userId) return { ok: false, reason: 'expired' };
  const response = readCredential(credentialText) as RegistrationResponseJSON | undefined;
  if (!response) return { ok: false, reason: 'refused' };
  const { rpID, origin } = relyingParty(deps.env);
  const { verifyRegistrationResponse } = await webAuthn();
  let credential;
  try {
    const v = await verifyRegistrationResponse({ response, expectedChallenge: challenge.challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: false });
    if (!v.verified) return { ok: false, reason: 'refused' };
    credential = v.registrationInfo.credential;
  } catch {
    return { ok: false, reason: 'refused' };
  }
  // the transports are the browser's word, not signed: only the names WebAuthn defines are kept;
  // the id comes from the authenticator data (not the form's id): a length the column takes
  const transports = knownTransports(credential.transports);
  if (!credentialIdFits(credential.id)) return { ok: false, reason: 'refused' };
  return deps.db.transaction().execute(async (trx): Promise<AddPasskey> => {
    const first = !(await hasConfirmedSecondFactor(trx, who.userId)) && (await countPasskeys(trx, who.userId)) === 0;
    const added = await insertPasskey(trx, {
      id: deps.ids.uuid(),
      userId: who.userId,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey),
      counter: credential.counter,
      transports,
      name,
      createdAt: now,
    });
    if (!added) return { ok: false, reason: 'duplicate' };
    const recoveryCodes = first ? await makeRecoveryCodes(deps, trx, who.userId, now) : [];
    if (first) await endSessionsBeforeFirstFactor(trx, who.userId, sessionCookie);
    if (first) await sessionProvedSecondFactor(trx, sessionCookie, 'passkey');
    await audit(trx, who, 'user.passkey_added', now);
    return { ok: true, recoveryCodes };
  });
}

/** Removes one of the person's own passkeys; not the last factor of a role that must have one. True when it was theirs. */
export async function removePasskey(deps: Deps, who: Person, passkeyId: string): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const name = await deletePasskey(trx, who.userId, passkeyId);
    if (name === undefined) return false;
    if (!(await hasSecondFactor({ db: trx }, who.userId))) {
      if (secondFactorRequired(deps.env, who.role)) throw forbidden('your role must sign in with a second factor: keep this passkey, or turn on the authenticator app first');
      await deleteRecoveryCodes(trx, who.userId);
    }
    await audit(trx, who, 'user.passkey_removed', now);
    return true;
  });
}

/** The options for using a passkey in the pending sign-in `pendingCookie` names; undefined when the person has none. */
export async function authenticationOptions(deps: Deps, userId: string, pendingCookie: string): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
  const passkeys = await listPasskeys(deps.db, userId);
  if (passkeys.length === 0) return undefined;
  const options = await (await webAuthn()).generateAuthenticationOptions({
    rpID: relyingParty(deps.env).rpID,
    allowCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: p.transports })),
    userVerification: 'preferred',
    timeout: CHALLENGE_MS,
  });
  const now = deps.clock.now();
  await saveChallenge(deps.db, { purpose: 'authentication', pendingIdHash: sha256(pendingCookie) }, { id: deps.ids.uuid(), userId, challenge: options.challenge, createdAt: now, expiresAt: new Date(now.getTime() + CHALLENGE_MS) });
  return options;
}

/** Checks a passkey's answer to the pending sign-in's challenge, as one sign-in attempt. */
export async function checkPasskey(deps: Deps, who: Person, credentialText: string | undefined, pendingCookie: string): Promise<CodeCheck> {
  return asSignInAttempt(deps, who, (now) => verifyPasskey(deps, who, credentialText, pendingCookie, now), () => 'user.passkey_refused');
}

async function verifyPasskey(deps: Deps, who: Person, credentialText: string | undefined, pendingCookie: string, now: Date): Promise<CodeCheck> {
  const refused = { ok: false, reason: 'wrong' } as const;
  const challenge = await takeChallenge(deps.db, { purpose: 'authentication', pendingIdHash: sha256(pendingCookie) }, now);
  if (!challenge || challenge.userId !== who.userId) return refused;
  const response = readCredential(credentialText) as AuthenticationResponseJSON | undefined;
  // a passkey removed (or another person's) is not among theirs: refused
  const passkey = response && (await listPasskeys(deps.db, who.userId)).find((p) => p.credentialId === response.id);
  if (!response || !passkey) return refused;
  const { rpID, origin } = relyingParty(deps.env);
  const { verifyAuthenticationResponse } = await webAuthn();
  let newCounter: number;
  try {
    const v = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: Number(passkey.counter), transports: transportsOf(passkey.transports) },
      requireUserVerification: false,
    });
    if (!v.verified) return refused;
    newCounter = v.authenticationInfo.newCounter;
  } catch {
    // a signature that does not verify, a counter gone backwards (a cloned authenticator), a wrong origin
    return refused;
  }
  if (!(await markPasskeyUsed(deps.db, passkey.id, passkey.counter, newCounter, now))) return refused;
  await audit(deps.db, who, 'user.passkey_used', now);
  return { ok: true, via: 'passkey' };
}
