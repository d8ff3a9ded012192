/** Row types for the web tables (migrations/2026_11_23_1200_web.ts), camelCased. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface WebSessionsTable {
  idHash: Buffer;
  userId: string;
  csrfToken: string;
  createdAt: Timestamp;
  lastSeenAt: Timestamp;
  expiresAt: Timestamp;
  // sessions a person can see and end (2026_12_07_2200)
  /** names the session in a form (the cookie's hash never leaves the server) */
  id: Generated<string>;
  /** "Firefox on Android", made from the User-Agent at sign-in; never the raw header */
  browser: Generated<string>;
  /** how the session's second factor was proved; null: none was asked (2026_12_07_2100) */
  secondFactor: Generated<SessionSecondFactor | null>;
  /** a session that may reach only the enrolment page until a factor is confirmed */
  mustEnrol: Generated<boolean>;
}

export type SessionSecondFactor = 'totp' | 'recovery' | 'idp' | 'passkey';

/** A user's authenticator app (TOTP); the secret is AES-256-GCM ciphertext (2026_12_07_2100). */
export interface UserSecondFactorsTable {
  userId: string;
  kind: Generated<'totp'>;
  secretEncrypted: Buffer;
  createdAt: Timestamp;
  confirmedAt: Timestamp | null;
  /** the last TOTP time step accepted: a code of this step or an earlier one is refused */
  lastTimeStep: ColumnType<string | null, number | string | null, number | string | null>;
}

/** Single-use recovery codes, as keyed hashes. */
export interface RecoveryCodesTable {
  userId: string;
  codeHash: Buffer;
  createdAt: Timestamp;
  usedAt: Timestamp | null;
}

/** A sign-in whose password (or identity provider) is done and whose second factor is awaited. */
export interface PendingSignInsTable {
  idHash: Buffer;
  userId: string;
  method: 'password' | 'oidc';
  next: Generated<string>;
  csrfToken: string;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

/** A user's passkey (WebAuthn credential): its public key only (2026_12_08_0900). */
export interface UserPasskeysTable {
  id: string;
  userId: string;
  /** base64url, as WebAuthn sends it */
  credentialId: string;
  publicKey: Buffer;
  /** the authenticator's signature counter (0 for authenticators that keep none) */
  counter: ColumnType<string, number | string | undefined, number | string>;
  transports: ColumnType<string[], string[] | undefined, string[]>;
  name: string;
  createdAt: Timestamp;
  lastUsedAt: Timestamp | null;
}

/** A WebAuthn challenge awaiting the browser's answer: one session's or one pending sign-in's, single use. */
export interface WebauthnChallengesTable {
  id: string;
  purpose: 'registration' | 'authentication';
  userId: string;
  sessionIdHash: Buffer | null;
  pendingIdHash: Buffer | null;
  challenge: string;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

export interface AgencyLinksTable {
  id: string;
  tokenHash: Buffer;
  referralId: string;
  agencyId: string;
  createdAt: Timestamp;
  expiresAt: Timestamp;
  revokedAt: Timestamp | null;
  lastUsedAt: Timestamp | null;
  useCount: Generated<number>;
}

/** A single sign-on waiting for the provider's answer (2026_12_07_2300): ten minutes, single use. */
export interface SsoSignInsTable {
  /** SHA-256 of the random value in the browser's cookie */
  idHash: Buffer;
  codeVerifier: string;
  state: string;
  nonce: string;
  /** where to go after sign-in (a path checked by safeNext), or '' */
  next: Generated<string>;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

export interface WebTables {
  webSessions: WebSessionsTable;
  agencyLinks: AgencyLinksTable;
  ssoSignIns: SsoSignInsTable;
  userSecondFactors: UserSecondFactorsTable;
  recoveryCodes: RecoveryCodesTable;
  pendingSignIns: PendingSignInsTable;
  userPasskeys: UserPasskeysTable;
  webauthnChallenges: WebauthnChallengesTable;
}
