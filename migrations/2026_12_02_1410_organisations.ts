/**
 * Referrer organisations: who the people who fill in checklists work for (fire and rescue,
 * police, council, NHS, housing, voluntary sector, other), managed by the hub. A link worker
 * belongs to one (users.organisation_id), and each checklist records the submitter's
 * organisation at the time it arrived (submissions.organisation_id, set by a trigger from the
 * submitter's account, so the intake function is unchanged and a later move of the worker to
 * another organisation does not rewrite history).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE organisations (
      id uuid PRIMARY KEY,
      name text NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
      type text NOT NULL CHECK (type IN ('fire_and_rescue', 'police', 'council', 'nhs', 'housing', 'voluntary_sector', 'other')),
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE UNIQUE INDEX organisations_name_idx ON organisations (lower(name));
    ALTER TABLE users ADD COLUMN organisation_id uuid REFERENCES organisations (id);
    ALTER TABLE submissions ADD COLUMN organisation_id uuid REFERENCES organisations (id);

    CREATE FUNCTION submissions_organisation() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.organisation_id IS NULL THEN
        SELECT organisation_id INTO NEW.organisation_id FROM users WHERE id = NEW.submitted_by;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER submissions_organisation BEFORE INSERT ON submissions
      FOR EACH ROW EXECUTE FUNCTION submissions_organisation();
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER submissions_organisation ON submissions;
    DROP FUNCTION submissions_organisation();
    ALTER TABLE submissions DROP COLUMN organisation_id;
    ALTER TABLE users DROP COLUMN organisation_id;
    DROP TABLE organisations;
  `.execute(db);
}
