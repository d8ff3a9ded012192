/**
 * Passkeys (WebAuthn) as a second factor beside the authenticator app ([2/6]): each user's
 * registered credentials (the public key only: a passkey's private key never leaves the
 * person's device), and the challenges awaiting the browser's answer. A challenge belongs to one
 * web session (registration) or one pending sign-in (authentication), goes with it, lives two
 * minutes and is used once. A session may now say its second factor was a passkey.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE user_passkeys (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      -- the authenticator's credential id, base64url as WebAuthn sends it
      credential_id text NOT NULL CONSTRAINT user_passkeys_credential_key UNIQUE CHECK (char_length(credential_id) BETWEEN 1 AND 1400),
      public_key bytea NOT NULL,
      counter bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
      transports text[] NOT NULL DEFAULT '{}',
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
      created_at timestamptz NOT NULL,
      last_used_at timestamptz
    );
    CREATE INDEX user_passkeys_user_idx ON user_passkeys (user_id);

    CREATE TABLE webauthn_challenges (
      id uuid PRIMARY KEY,
      purpose text NOT NULL CHECK (purpose IN ('registration', 'authentication')),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      session_id_hash bytea REFERENCES web_sessions (id_hash) ON DELETE CASCADE,
      pending_id_hash bytea REFERENCES pending_sign_ins (id_hash) ON DELETE CASCADE,
      challenge text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      CHECK ((purpose = 'registration') = (session_id_hash IS NOT NULL AND pending_id_hash IS NULL)),
      CHECK ((purpose = 'authentication') = (pending_id_hash IS NOT NULL AND session_id_hash IS NULL))
    );
    -- one live challenge per session and per pending sign-in: asking again replaces it
    CREATE UNIQUE INDEX webauthn_challenges_session_key ON webauthn_challenges (session_id_hash) WHERE session_id_hash IS NOT NULL;
    CREATE UNIQUE INDEX webauthn_challenges_pending_key ON webauthn_challenges (pending_id_hash) WHERE pending_id_hash IS NOT NULL;
    CREATE INDEX webauthn_challenges_expires_idx ON webauthn_challenges (expires_at);

    ALTER TABLE web_sessions DROP CONSTRAINT web_sessions_second_factor_check;
    ALTER TABLE web_sessions ADD CONSTRAINT web_sessions_second_factor_check CHECK (second_factor IN ('totp', 'recovery', 'idp', 'passkey'));
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DELETE FROM web_sessions WHERE second_factor = 'passkey';
    ALTER TABLE web_sessions DROP CONSTRAINT web_sessions_second_factor_check;
    ALTER TABLE web_sessions ADD CONSTRAINT web_sessions_second_factor_check CHECK (second_factor IN ('totp', 'recovery', 'idp'));
    DROP TABLE webauthn_challenges, user_passkeys;
  `.execute(db);
}
