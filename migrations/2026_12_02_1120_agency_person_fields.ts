/**
 * Per-agency minimum data: the person's details each agency receives (its pages, API, emailed
 * link and full-content mail show only these, with the person's name and the questions that
 * flagged it). Every agency starts with every field, as before.
 */
import { sql, type Kysely } from 'kysely';

const FIELDS = ['dateOfBirth', 'address', 'postcode', 'phone', 'email', 'preferredContact', 'language', 'accessNeeds', 'nhsNumber'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const all = sql.raw(`ARRAY[${FIELDS.map((f) => `'${f}'`).join(', ')}]::text[]`);
  await sql`
    ALTER TABLE agencies ADD COLUMN person_fields text[] NOT NULL DEFAULT ${all}
      CONSTRAINT agencies_person_fields_known CHECK (person_fields <@ ${all});
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE agencies DROP COLUMN person_fields`.execute(db);
}
