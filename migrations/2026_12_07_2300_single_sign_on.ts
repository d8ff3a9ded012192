/**
 * Single sign-on (OpenID Connect): what a sign-in that went to the identity provider must find
 * when the person comes back. The browser holds only a random value in a cookie; this table keeps
 * its SHA-256 with the PKCE verifier, the state and the nonce, for ten minutes, and the callback
 * takes the row away as it reads it (single use).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE sso_sign_ins (
      id_hash bytea PRIMARY KEY,
      code_verifier text NOT NULL,
      state text NOT NULL,
      nonce text NOT NULL,
      next text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    )
  `.execute(db);
  await sql`CREATE INDEX sso_sign_ins_expires_at ON sso_sign_ins (expires_at)`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE sso_sign_ins`.execute(db);
}
