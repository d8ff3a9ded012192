/**
 * Open Referral UK ([4/6] point 3, docs/oruk.md): an agency may carry the id of the service it is
 * in a council's ORUK directory (`oruk_id`, unique when set), by which `directory:import` finds it
 * again, and the public description that directory gave it (`description`, published in the hub's
 * own feed at /oruk). An agency the import makes has no inbox yet: its email is the placeholder
 * `inbox-not-set@signpost.invalid` (the .invalid top-level domain is never delivered, RFC 2606),
 * and the check below keeps such an agency paused until the hub sets its inbox.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE agencies
      ADD COLUMN oruk_id uuid CONSTRAINT agencies_oruk_id_key UNIQUE,
      ADD COLUMN description text CONSTRAINT agencies_description_length CHECK (char_length(description) <= 2000),
      ADD CONSTRAINT agencies_inbox_set_when_active CHECK (status = 'paused' OR email <> 'inbox-not-set@signpost.invalid');
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE agencies
      DROP CONSTRAINT agencies_inbox_set_when_active,
      DROP COLUMN description,
      DROP COLUMN oruk_id;
  `.execute(db);
}
