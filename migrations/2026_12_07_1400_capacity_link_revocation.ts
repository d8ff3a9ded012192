/**
 * The "still accepting?" link in an agency's reminder mail can be stopped. The link is an HMAC
 * of the agency, this counter and an expiry (src/modules/capacity/capacity-link.ts): raising the counter
 * stops every link made before, at once and on every process, since each use reads it here.
 * It is raised when a coordinator stops the links (capacity_links_revoked_at says when) and when
 * the agency gets a staff account (it signs in from then on). Links made before this migration
 * sign counter 0 the way they always did, and keep working until stopped or expired.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE agencies
      ADD COLUMN capacity_link_generation integer NOT NULL DEFAULT 0 CONSTRAINT agencies_capacity_link_generation_positive CHECK (capacity_link_generation >= 0),
      ADD COLUMN capacity_links_revoked_at timestamptz
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE agencies DROP COLUMN capacity_links_revoked_at, DROP COLUMN capacity_link_generation`.execute(db);
}
