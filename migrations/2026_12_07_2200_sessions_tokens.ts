/**
 * Sessions a person can see and end, and API tokens with an expiry and a last use ([2/6]).
 * A web session gets an id that a form may name (its primary key is the hash of the cookie, which
 * must never leave the server) and a short description of the browser made at sign-in from the
 * User-Agent ("Firefox on Android"); the raw header is never stored. Sessions that exist when this
 * runs get an id of their own and read as "Unknown browser".
 * An API token gets an optional expiry and the last time it was used (to within AUTH_CACHE_TTL_MS:
 * the token check writes it only when it reads the token from Postgres, not on a cached verdict).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE web_sessions
      ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() CONSTRAINT web_sessions_id_key UNIQUE,
      ADD COLUMN browser text NOT NULL DEFAULT 'Unknown browser' CONSTRAINT web_sessions_browser_short CHECK (char_length(browser) <= 100)
  `.execute(db);
  await sql`
    ALTER TABLE api_tokens
      ADD COLUMN expires_at timestamptz,
      ADD COLUMN last_used_at timestamptz,
      ADD CONSTRAINT api_tokens_expires_after_created CHECK (expires_at IS NULL OR expires_at > created_at)
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_expires_after_created, DROP COLUMN last_used_at, DROP COLUMN expires_at`.execute(db);
  await sql`ALTER TABLE web_sessions DROP COLUMN browser, DROP COLUMN id`.execute(db);
}
