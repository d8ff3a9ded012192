/**
 * Coded outcomes the hub manages: what an agency chooses when it completes a referral. Each has
 * a label people read, an order, whether it is offered now (a retired code stays valid on the
 * referrals that used it), and optionally the SNOMED CT concept a GP practice would record it
 * as. Seeded with the five codes Signpost had; referrals.outcome keeps the code.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE outcome_codes (
      code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
      label text NOT NULL CHECK (length(label) BETWEEN 2 AND 80),
      position integer NOT NULL,
      active boolean NOT NULL DEFAULT true,
      snomed_code text CHECK (snomed_code ~ '^[1-9][0-9]{5,17}$'),
      snomed_term text CHECK (length(snomed_term) <= 255),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((snomed_code IS NULL) = (snomed_term IS NULL))
    );
    CREATE UNIQUE INDEX outcome_codes_label_idx ON outcome_codes (lower(label));
    INSERT INTO outcome_codes (code, label, position) VALUES
      ('service_provided', 'Service provided', 1),
      ('advice_given', 'Advice given', 2),
      ('signposted_elsewhere', 'Signposted elsewhere', 3),
      ('need_met_by_other_service', 'Need met by another service', 4),
      ('no_longer_needed', 'No longer needed', 5);
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE outcome_codes`.execute(db);
}
