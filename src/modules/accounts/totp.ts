/**
 * The second factor's cryptography, and nothing else: TOTP (RFC 6238) through otplib, the
 * secret sealed with AES-256-GCM under a key derived from MFA_KEY (bound to its user, so a
 * ciphertext moved to another row does not open), and the recovery codes' keyed hashes
 * (HMAC-SHA-256 under a second derived key: a copy of the database alone cannot test guesses).
 * Time comes in as the caller's clock reading; codes are the usual 6 digits every 30 seconds.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { generate, generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

export const TOTP_PERIOD_SECONDS = 30;
const ISSUER = 'Signpost';
const VERSION = 1;

const derive = (mfaKey: string, info: string) => Buffer.from(hkdfSync('sha256', mfaKey, 'signpost-mfa', info, 32));
const keys = new Map<string, { secret: Buffer; recovery: Buffer }>();
function keysFor(mfaKey: string) {
  let k = keys.get(mfaKey);
  if (!k) {
    k = { secret: derive(mfaKey, 'totp secret'), recovery: derive(mfaKey, 'recovery code') };
    keys.set(mfaKey, k);
  }
  return k;
}

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** version (1 byte) | IV (12) | tag (16) | ciphertext; the user id is the additional data. */
export function sealSecret(mfaKey: string, userId: string, secret: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keysFor(mfaKey).secret, iv);
  cipher.setAAD(Buffer.from(userId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

export function openSecret(mfaKey: string, userId: string, sealed: Buffer): string {
  if (sealed[0] !== VERSION) throw new Error('unknown second factor secret version');
  const decipher = createDecipheriv('aes-256-gcm', keysFor(mfaKey).secret, sealed.subarray(1, 13));
  decipher.setAAD(Buffer.from(userId));
  decipher.setAuthTag(sealed.subarray(13, 29));
  return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
}

/** The code an app shows at `at`. */
export function totpCode(secret: string, at: Date): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
}

/**
 * The time step a code belongs to, when it is right at `at` (one step of clock drift either
 * way) and later than `afterTimeStep`; undefined otherwise.
 */
export async function matchTotp(secret: string, code: string, at: Date, afterTimeStep: number | null): Promise<number | undefined> {
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(at.getTime() / 1000),
    epochTolerance: TOTP_PERIOD_SECONDS,
    ...(afterTimeStep === null ? {} : { afterTimeStep }),
  });
  // the TOTP strategy's result carries the time step that matched
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

export function timeStepAt(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

export function otpauthUri(secret: string, email: string): string {
  return generateURI({ issuer: ISSUER, label: email, secret });
}

/** The URI as an inline SVG QR code, drawn here: the page asks no other origin for it. */
export async function qrSvg(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
  return svg.trim().replace('<svg ', '<svg class="sp-qr" role="img" aria-label="QR code of your sign-in secret, for an authenticator app" width="200" height="200" ');
}

/** The secret as people copy it: groups of four. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

export const RECOVERY_CODE_COUNT = 10;

/** Ten digits, written 12345-67890: typed on the same numeric keyboard as the app's codes. */
export function newRecoveryCode(): string {
  const d = Array.from({ length: 10 }, () => randomInt(10)).join('');
  return `${d.slice(0, 5)}-${d.slice(5)}`;
}

export function recoveryCodeHash(mfaKey: string, userId: string, code: string): Buffer {
  return createHmac('sha256', keysFor(mfaKey).recovery).update(`${userId}:${code.replace(/\D/g, '')}`).digest();
}

/** What the person typed, as a TOTP code, a recovery code, or neither. */
export function readCode(raw: unknown): { kind: 'totp' | 'recovery'; code: string } | { kind: 'bad' } | { kind: 'missing' } {
  if (typeof raw !== 'string' || raw.length > 40) return { kind: 'bad' };
  const code = raw.replace(/[\s-]/g, '');
  if (code === '') return { kind: 'missing' };
  if (/^\d{6}$/.test(code)) return { kind: 'totp', code };
  if (/^\d{10}$/.test(code)) return { kind: 'recovery', code };
  return { kind: 'bad' };
}
