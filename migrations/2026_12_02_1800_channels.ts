/**
 * Every way in: the channel a checklist came by, who referred it when the hub keyed it in, and
 * the triage list of self-referrals.
 *
 *  - submissions.channel: web | api | paper | phone | self_referral. Existing rows are 'api':
 *    nothing stored tells a web form's checklist from an API client's (both come from a user's
 *    session or token under an Idempotency-Key), so the backfill does not guess.
 *  - submissions.referrer_name / referrer_organisation_text: who referred a paper or phone
 *    checklist, as free text; a known referrer organisation goes in organisation_id (which the
 *    insert trigger fills from the submitter, a coordinator, and the wrapper below overwrites).
 *  - submissions.entered_at: when the hub keyed in a checklist it received earlier (received_at
 *    is the receipt, which the clocks run from).
 *  - self_referrals: a public self-referral waiting for the hub's call. Its personal data (the
 *    checklist as submitted) is held only while it is open: release turns it into a submission
 *    (the person's record holds it from then on) and close erases it; the reference, dates,
 *    decision and reason stay.
 *  - signpost_intake() is wrapped (the inner one is signpost_intake_before_channels): after the
 *    inner function inserted the submission, the same statement records its channel and
 *    referrer, so every path stays one round trip and one commit. The API's own path
 *    (channel 'api', no referrer) does no extra write.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE submissions
      ADD COLUMN channel text NOT NULL DEFAULT 'api'
        CHECK (channel IN ('web', 'api', 'paper', 'phone', 'self_referral')),
      ADD COLUMN referrer_name text CHECK (length(referrer_name) BETWEEN 1 AND 200),
      ADD COLUMN referrer_organisation_text text CHECK (length(referrer_organisation_text) BETWEEN 1 AND 200),
      ADD COLUMN entered_at timestamptz;

    CREATE TABLE self_referrals (
      id uuid PRIMARY KEY,
      reference text NOT NULL UNIQUE,
      -- one per form shown: the same form sent twice (a refresh, a double click) is one item
      form_key text NOT NULL UNIQUE CHECK (length(form_key) BETWEEN 8 AND 100),
      questionnaire_id uuid NOT NULL REFERENCES questionnaires (id),
      status text NOT NULL CHECK (status IN ('open', 'released', 'closed')),
      -- the checklist as submitted (the submission body), while open; null once released or closed
      body jsonb,
      filled_in_by text NOT NULL CHECK (filled_in_by IN ('person', 'someone_else')),
      -- the confirmation mail's address, while open
      confirm_email text CHECK (length(confirm_email) <= 254),
      received_at timestamptz NOT NULL,
      forward_due_at timestamptz NOT NULL,
      decided_at timestamptz,
      decided_by uuid REFERENCES users (id),
      call_note text CHECK (length(call_note) <= 1000),
      close_reason text CHECK (close_reason IN ('could_not_reach', 'person_declined', 'no_help_needed', 'duplicate', 'not_genuine', 'other')),
      close_note text CHECK (length(close_note) <= 1000),
      submission_id uuid REFERENCES submissions (id),
      CHECK ((status = 'open') = (body IS NOT NULL)),
      CHECK ((status = 'released') = (submission_id IS NOT NULL)),
      CHECK ((status = 'closed') = (close_reason IS NOT NULL))
    );
    -- the triage list and the dashboard read open items only, oldest first
    CREATE INDEX self_referrals_open_idx ON self_referrals (received_at) WHERE status = 'open';

    ALTER FUNCTION signpost_intake(jsonb) RENAME TO signpost_intake_before_channels;
    CREATE FUNCTION signpost_intake(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      r jsonb := signpost_intake_before_channels(p);
      ch text := coalesce(p->>'channel', 'api');
      ref jsonb := p->'referrer';
    BEGIN
      IF r->>'outcome' = 'inserted' AND (ch <> 'api' OR ref IS NOT NULL OR p->>'enteredAt' IS NOT NULL) THEN
        UPDATE submissions SET
          channel = ch,
          referrer_name = ref->>'name',
          referrer_organisation_text = ref->>'organisationText',
          organisation_id = CASE WHEN ref ? 'organisationId' THEN (ref->>'organisationId')::uuid ELSE organisation_id END,
          entered_at = (p->>'enteredAt')::timestamptz
        WHERE id = (p->'submission'->>'id')::uuid;
      END IF;
      RETURN r;
    END
    $fn$;
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP FUNCTION signpost_intake(jsonb);
    ALTER FUNCTION signpost_intake_before_channels(jsonb) RENAME TO signpost_intake;
    DROP TABLE self_referrals;
    ALTER TABLE submissions
      DROP COLUMN channel,
      DROP COLUMN referrer_name,
      DROP COLUMN referrer_organisation_text,
      DROP COLUMN entered_at;
  `.execute(db);
}
