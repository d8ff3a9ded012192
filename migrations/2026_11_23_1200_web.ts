/**
 * Web sign-in and agency links. Sessions live in Postgres (any API replica can serve any
 * request; signing out or disabling a user ends them at once). Both tables store only a
 * SHA-256 of the secret the browser or the email holds: a copy of the database grants nothing.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE web_sessions (
      id_hash bytea PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id),
      csrf_token text NOT NULL,
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
    CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

    -- A link in a forwarding email: scoped to one referral, expiring, revocable; every use audited.
    CREATE TABLE agency_links (
      id uuid PRIMARY KEY,
      token_hash bytea NOT NULL UNIQUE,
      referral_id uuid NOT NULL REFERENCES referrals (id),
      agency_id uuid NOT NULL REFERENCES agencies (id),
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      last_used_at timestamptz,
      use_count integer NOT NULL DEFAULT 0
    );
    CREATE INDEX agency_links_referral_idx ON agency_links (referral_id);
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE agency_links, web_sessions;`.execute(db);
}
