/**
 * A second factor for staff sign-in ([2/6]): an authenticator app's TOTP secret per user
 * (encrypted by the app, AES-256-GCM under MFA_KEY: the database alone cannot make a code), the
 * last time step accepted (a code is never accepted twice), single-use recovery codes (keyed
 * hashes only), the sign-ins waiting for their code after the password, and what each web
 * session's second factor was.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE user_second_factors (
      user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      kind text NOT NULL DEFAULT 'totp' CHECK (kind = 'totp'),
      secret_encrypted bytea NOT NULL,
      created_at timestamptz NOT NULL,
      -- null while the person has scanned it but not yet confirmed it with a first code
      confirmed_at timestamptz,
      last_time_step bigint CHECK (last_time_step >= 0)
    );

    CREATE TABLE recovery_codes (
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      code_hash bytea NOT NULL,
      created_at timestamptz NOT NULL,
      used_at timestamptz,
      PRIMARY KEY (user_id, code_hash)
    );

    CREATE TABLE pending_sign_ins (
      id_hash bytea PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      method text NOT NULL CHECK (method IN ('password', 'oidc')),
      next text NOT NULL DEFAULT '',
      csrf_token text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX pending_sign_ins_user_idx ON pending_sign_ins (user_id);
    CREATE INDEX pending_sign_ins_expires_idx ON pending_sign_ins (expires_at);

    -- how this session's second factor was proved (null: none was asked), and whether it may
    -- reach only the enrolment page until a factor is confirmed
    ALTER TABLE web_sessions
      ADD COLUMN second_factor text CHECK (second_factor IN ('totp', 'recovery', 'idp')),
      ADD COLUMN must_enrol boolean NOT NULL DEFAULT false;
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE web_sessions DROP COLUMN must_enrol, DROP COLUMN second_factor;
    DROP TABLE pending_sign_ins, recovery_codes, user_second_factors;
  `.execute(db);
}
