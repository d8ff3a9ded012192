/**
 * Core schema: agencies, questionnaires, people, submissions, referrals and their events,
 * users, API tokens, idempotency keys, audit log.
 * Migrations never import app code: they are a frozen history.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE agencies (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      email text NOT NULL,
      phone text,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
      contact_days integer NOT NULL DEFAULT 14 CHECK (contact_days BETWEEN 1 AND 90),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE UNIQUE INDEX agencies_name_key ON agencies (lower(name));

    CREATE TABLE users (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      email text NOT NULL,
      role text NOT NULL CHECK (role IN ('link_worker', 'agency', 'coordinator', 'admin')),
      agency_id uuid REFERENCES agencies (id),
      password_hash text,
      failed_logins integer NOT NULL DEFAULT 0,
      locked_until timestamptz,
      disabled_at timestamptz,
      created_at timestamptz NOT NULL,
      CONSTRAINT users_agency_role CHECK ((role = 'agency') = (agency_id IS NOT NULL))
    );
    CREATE UNIQUE INDEX users_email_key ON users (lower(email));

    CREATE TABLE api_tokens (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id),
      token_hash bytea NOT NULL UNIQUE,
      label text NOT NULL DEFAULT 'api',
      created_at timestamptz NOT NULL,
      revoked_at timestamptz
    );
    CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

    CREATE TABLE questionnaires (
      id uuid PRIMARY KEY,
      version integer NOT NULL UNIQUE,
      title text NOT NULL,
      status text NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
      is_current boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      published_at timestamptz,
      CONSTRAINT questionnaires_current_is_published CHECK (NOT is_current OR status = 'published')
    );
    -- exactly one current version at a time
    CREATE UNIQUE INDEX questionnaires_one_current ON questionnaires (is_current) WHERE is_current;

    CREATE TABLE questionnaire_sections (
      id uuid PRIMARY KEY,
      questionnaire_id uuid NOT NULL REFERENCES questionnaires (id) ON DELETE CASCADE,
      position integer NOT NULL,
      title text NOT NULL,
      UNIQUE (questionnaire_id, position)
    );

    CREATE TABLE questions (
      id uuid PRIMARY KEY,
      questionnaire_id uuid NOT NULL REFERENCES questionnaires (id) ON DELETE CASCADE,
      section_id uuid NOT NULL REFERENCES questionnaire_sections (id) ON DELETE CASCADE,
      position integer NOT NULL,
      text text NOT NULL,
      agency_id uuid NOT NULL REFERENCES agencies (id),
      UNIQUE (section_id, position)
    );
    CREATE INDEX questions_questionnaire_idx ON questions (questionnaire_id);
    CREATE INDEX questions_agency_idx ON questions (agency_id);

    -- A published questionnaire is immutable: its sections and questions cannot change.
    CREATE FUNCTION forbid_published_questionnaire_change() RETURNS trigger AS $$
    DECLARE qid uuid;
    BEGIN
      qid := CASE WHEN TG_OP = 'DELETE' THEN OLD.questionnaire_id ELSE NEW.questionnaire_id END;
      IF EXISTS (SELECT 1 FROM questionnaires WHERE id = qid AND status <> 'draft') THEN
        RAISE EXCEPTION 'questionnaire % is published and immutable', qid USING ERRCODE = 'check_violation';
      END IF;
      RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER questions_immutable BEFORE INSERT OR UPDATE OR DELETE ON questions
      FOR EACH ROW EXECUTE FUNCTION forbid_published_questionnaire_change();
    CREATE TRIGGER sections_immutable BEFORE INSERT OR UPDATE OR DELETE ON questionnaire_sections
      FOR EACH ROW EXECUTE FUNCTION forbid_published_questionnaire_change();

    CREATE TABLE people (
      id uuid PRIMARY KEY,
      given_name text NOT NULL,
      family_name text NOT NULL,
      date_of_birth date NOT NULL,
      postcode text NOT NULL,
      phone text,
      email text,
      address_line text,
      preferred_contact text NOT NULL CHECK (preferred_contact IN ('phone', 'email', 'post', 'visit')),
      language text,
      access_needs text,
      created_at timestamptz NOT NULL
    );

    CREATE TABLE submissions (
      id uuid PRIMARY KEY,
      reference text NOT NULL UNIQUE,
      questionnaire_id uuid NOT NULL REFERENCES questionnaires (id),
      person_id uuid NOT NULL REFERENCES people (id),
      submitted_by uuid NOT NULL REFERENCES users (id),
      answers jsonb NOT NULL,
      consent jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('open', 'no_needs_identified', 'closed')),
      received_at timestamptz NOT NULL,
      closed_at timestamptz
    );
    CREATE INDEX submissions_submitter_idx ON submissions (submitted_by, received_at DESC);
    CREATE INDEX submissions_received_idx ON submissions (received_at DESC);

    CREATE TABLE referrals (
      id uuid PRIMARY KEY,
      reference text NOT NULL UNIQUE,
      submission_id uuid NOT NULL REFERENCES submissions (id),
      agency_id uuid NOT NULL REFERENCES agencies (id),
      question_ids uuid[] NOT NULL CHECK (cardinality(question_ids) > 0),
      status text NOT NULL,
      received_at timestamptz NOT NULL,
      forward_due_at timestamptz NOT NULL,
      forwarded_at timestamptz,
      contact_due_at timestamptz,
      contacted_at timestamptz,
      follow_up_due_at timestamptz,
      followed_up_at timestamptz,
      closed_at timestamptz,
      outcome text,
      on_hold_until date,
      forward_attempts integer NOT NULL DEFAULT 0,
      forward_message_id text,
      last_forward_error text,
      rerouted_from_id uuid REFERENCES referrals (id),
      rerouted_to_id uuid REFERENCES referrals (id),
      updated_at timestamptz NOT NULL,
      CONSTRAINT referrals_status_check CHECK (status IN (
        'pending', 'forward_failed', 'forwarded', 'acknowledged', 'accepted', 'contacted', 'on_hold',
        'completed', 'unable_to_contact', 'declined', 'rejected', 'rerouted', 'cancelled'))
    );
    -- one original referral per agency per submission (re-routes add linked ones)
    CREATE UNIQUE INDEX referrals_one_per_agency ON referrals (submission_id, agency_id)
      WHERE rerouted_from_id IS NULL;
    CREATE INDEX referrals_submission_idx ON referrals (submission_id);
    -- agency inbox and coordinator lists: keyset pagination on (received_at, id)
    CREATE INDEX referrals_agency_list_idx ON referrals (agency_id, received_at DESC, id DESC);
    CREATE INDEX referrals_list_idx ON referrals (received_at DESC, id DESC);
    CREATE INDEX referrals_status_list_idx ON referrals (status, received_at DESC, id DESC);

    CREATE TABLE referral_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      referral_id uuid NOT NULL REFERENCES referrals (id),
      at timestamptz NOT NULL,
      actor_user_id uuid REFERENCES users (id),
      actor_label text NOT NULL,
      from_status text,
      to_status text NOT NULL,
      reason text,
      outcome text,
      note text
    );
    CREATE INDEX referral_events_referral_idx ON referral_events (referral_id, id);

    -- The history is append-only: no UPDATE, no DELETE, ever.
    CREATE FUNCTION forbid_change() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER referral_events_append_only BEFORE UPDATE OR DELETE ON referral_events
      FOR EACH ROW EXECUTE FUNCTION forbid_change();

    CREATE TABLE idempotency_keys (
      user_id uuid NOT NULL REFERENCES users (id),
      key text NOT NULL,
      fingerprint text NOT NULL,
      response_status integer NOT NULL,
      response_body jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (user_id, key)
    );
    CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);

    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL,
      actor_user_id uuid REFERENCES users (id),
      actor_label text NOT NULL,
      action text NOT NULL,
      entity text NOT NULL,
      entity_id uuid NOT NULL,
      request_id text
    );
    CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, at);
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION forbid_change();
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE audit_log, idempotency_keys, referral_events, referrals, submissions, people,
      questions, questionnaire_sections, questionnaires, api_tokens, users, agencies;
    DROP FUNCTION forbid_change();
    DROP FUNCTION forbid_published_questionnaire_change();
  `.execute(db);
}
