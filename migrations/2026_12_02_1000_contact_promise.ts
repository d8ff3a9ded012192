/**
 * The date a person is told an agency will contact them by, kept on the referral
 * (contact_promised_on): the day, in London, on which the agency's contact days run out if the
 * hub forwards at the last moment of its 24 hours. Written once, when the checklist arrives, so
 * that the confirmation page and the printed record never show another date unless something
 * real changes it (a re-route makes a new referral, with its own promise). Existing referrals
 * get the date they were being shown. The intake function writes it (the agency's contact days
 * joined in the same statement).
 */
import { sql, type Kysely } from 'kysely';

/** The intake function as this migration leaves it (a later migration's down() restores it). */
export const INTAKE_FUNCTION_WITH_PROMISE = `
    CREATE OR REPLACE FUNCTION signpost_intake(p jsonb) RETURNS text LANGUAGE plpgsql AS $fn$
    DECLARE
      k text := p->>'idempotencyKey';
      uid uuid := (p->>'userId')::uuid;
      received timestamptz := (p->>'receivedAt')::timestamptz;
      sub jsonb := p->'submission';
      per jsonb := p->'person';
    BEGIN
      IF k IS NOT NULL AND NOT pg_try_advisory_xact_lock(hashtextextended(uid::text || ':' || k, 0)) THEN
        RETURN 'in_flight';
      END IF;
      PERFORM 1 FROM questionnaires WHERE id = (sub->>'questionnaire_id')::uuid AND is_current;
      IF NOT FOUND THEN
        RETURN 'not_current';
      END IF;
      IF k IS NOT NULL THEN
        INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_body, created_at, expires_at)
        VALUES (uid, k, p->>'fingerprint', 201, p->'responseBody', received, (p->>'expiresAt')::timestamptz)
        ON CONFLICT (user_id, key) DO NOTHING;
        IF NOT FOUND THEN
          RETURN 'key_exists';
        END IF;
      END IF;
      INSERT INTO people (id, given_name, family_name, date_of_birth, postcode, phone, email, address_line,
                          preferred_contact, language, access_needs, created_at)
      VALUES ((per->>'id')::uuid, per->>'given_name', per->>'family_name', (per->>'date_of_birth')::date,
              per->>'postcode', per->>'phone', per->>'email', per->>'address_line', per->>'preferred_contact',
              per->>'language', per->>'access_needs', received);
      INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status, received_at)
      VALUES ((sub->>'id')::uuid, sub->>'reference', (sub->>'questionnaire_id')::uuid, (per->>'id')::uuid, uid,
              sub->'answers', sub->'consent', sub->>'status', received);
      INSERT INTO referrals (id, reference, submission_id, agency_id, question_ids, status, received_at, forward_due_at,
                             contact_promised_on, updated_at)
        SELECT x.id, x.reference, (sub->>'id')::uuid, x.agency_id, x.question_ids, 'pending', received, x.forward_due_at,
               ((x.forward_due_at + make_interval(days => a.contact_days)) AT TIME ZONE 'Europe/London')::date, received
        FROM jsonb_to_recordset(p->'referrals') AS x(id uuid, reference text, agency_id uuid, question_ids uuid[], forward_due_at timestamptz)
        JOIN agencies a ON a.id = x.agency_id;
      INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status)
        SELECT x.id, received, uid, p->>'actorLabel', NULL, 'pending'
        FROM jsonb_to_recordset(p->'referrals') AS x(id uuid);
      RETURN 'inserted';
    END
    $fn$;
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE referrals ADD COLUMN contact_promised_on date;
    UPDATE referrals r SET contact_promised_on = ((COALESCE(r.contact_due_at, r.forward_due_at + make_interval(days => a.contact_days))) AT TIME ZONE 'Europe/London')::date
      FROM agencies a WHERE a.id = r.agency_id;
  `.execute(db);
  await sql.raw(INTAKE_FUNCTION_WITH_PROMISE).execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE referrals DROP COLUMN contact_promised_on`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION signpost_intake(p jsonb) RETURNS text LANGUAGE plpgsql AS $fn$
    DECLARE
      k text := p->>'idempotencyKey';
      uid uuid := (p->>'userId')::uuid;
      received timestamptz := (p->>'receivedAt')::timestamptz;
      sub jsonb := p->'submission';
      per jsonb := p->'person';
    BEGIN
      IF k IS NOT NULL AND NOT pg_try_advisory_xact_lock(hashtextextended(uid::text || ':' || k, 0)) THEN
        RETURN 'in_flight';
      END IF;
      PERFORM 1 FROM questionnaires WHERE id = (sub->>'questionnaire_id')::uuid AND is_current;
      IF NOT FOUND THEN
        RETURN 'not_current';
      END IF;
      IF k IS NOT NULL THEN
        INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_body, created_at, expires_at)
        VALUES (uid, k, p->>'fingerprint', 201, p->'responseBody', received, (p->>'expiresAt')::timestamptz)
        ON CONFLICT (user_id, key) DO NOTHING;
        IF NOT FOUND THEN
          RETURN 'key_exists';
        END IF;
      END IF;
      INSERT INTO people (id, given_name, family_name, date_of_birth, postcode, phone, email, address_line,
                          preferred_contact, language, access_needs, created_at)
      VALUES ((per->>'id')::uuid, per->>'given_name', per->>'family_name', (per->>'date_of_birth')::date,
              per->>'postcode', per->>'phone', per->>'email', per->>'address_line', per->>'preferred_contact',
              per->>'language', per->>'access_needs', received);
      INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status, received_at)
      VALUES ((sub->>'id')::uuid, sub->>'reference', (sub->>'questionnaire_id')::uuid, (per->>'id')::uuid, uid,
              sub->'answers', sub->'consent', sub->>'status', received);
      INSERT INTO referrals (id, reference, submission_id, agency_id, question_ids, status, received_at, forward_due_at, updated_at)
        SELECT x.id, x.reference, (sub->>'id')::uuid, x.agency_id, x.question_ids, 'pending', received, x.forward_due_at, received
        FROM jsonb_to_recordset(p->'referrals') AS x(id uuid, reference text, agency_id uuid, question_ids uuid[], forward_due_at timestamptz);
      INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status)
        SELECT x.id, received, uid, p->>'actorLabel', NULL, 'pending'
        FROM jsonb_to_recordset(p->'referrals') AS x(id uuid);
      RETURN 'inserted';
    END
    $fn$;
  `.execute(db);
}
