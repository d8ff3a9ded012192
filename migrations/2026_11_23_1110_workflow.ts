/**
 * The hub's promise: follow-ups, SLA breaches, sent mail and coordinator alerts, and the partial
 * indexes the SLA sweep reads through. Each partial index has a literal predicate that the
 * sweep's queries repeat word for word (docs/failure.md, reliability rule 8), so a sweep's cost
 * follows the number of open items, not the size of the tables.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- T1: referrals not yet forwarded
    CREATE INDEX referrals_forward_open_idx ON referrals (forward_due_at)
      WHERE status IN ('pending', 'forward_failed');
    -- T2: forwarded referrals the agency has not yet contacted the person about
    CREATE INDEX referrals_contact_open_idx ON referrals (contact_due_at)
      WHERE status IN ('forwarded', 'acknowledged', 'accepted');

    -- One follow-up call per submission, made by the hub (T3).
    CREATE TABLE follow_ups (
      id uuid PRIMARY KEY,
      submission_id uuid NOT NULL UNIQUE REFERENCES submissions (id),
      due_at timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'completed', 'cancelled')),
      contact_made boolean,
      note text,
      completed_at timestamptz,
      completed_by uuid REFERENCES users (id),
      created_at timestamptz NOT NULL
    );
    -- T3 and the coordinators' worklist
    CREATE INDEX follow_ups_open_idx ON follow_ups (due_at) WHERE status = 'scheduled';

    CREATE TABLE follow_up_attempts (
      id uuid PRIMARY KEY,
      follow_up_id uuid NOT NULL REFERENCES follow_ups (id),
      at timestamptz NOT NULL,
      by_user_id uuid NOT NULL REFERENCES users (id),
      contact_made boolean NOT NULL,
      note text
    );
    CREATE INDEX follow_up_attempts_idx ON follow_up_attempts (follow_up_id, at);

    CREATE TABLE follow_up_outcomes (
      follow_up_id uuid NOT NULL REFERENCES follow_ups (id),
      referral_id uuid NOT NULL REFERENCES referrals (id),
      needs_met text NOT NULL CHECK (needs_met IN ('yes', 'partly', 'no', 'not_yet')),
      recorded_at timestamptz NOT NULL,
      recorded_by uuid NOT NULL REFERENCES users (id),
      PRIMARY KEY (follow_up_id, referral_id)
    );

    -- One breach per (referral, clock); resolved when the late step happens, kept for reporting.
    CREATE TABLE sla_breaches (
      id uuid PRIMARY KEY,
      referral_id uuid NOT NULL REFERENCES referrals (id),
      agency_id uuid NOT NULL REFERENCES agencies (id),
      clock text NOT NULL CHECK (clock IN ('forward', 'contact', 'follow_up')),
      due_at timestamptz NOT NULL,
      detected_at timestamptz NOT NULL,
      resolved_at timestamptz,
      late_by_seconds integer,
      UNIQUE (referral_id, clock)
    );
    CREATE INDEX sla_breaches_open_idx ON sla_breaches (clock, agency_id) WHERE resolved_at IS NULL;
    CREATE INDEX sla_breaches_detected_idx ON sla_breaches (detected_at);

    -- Every mail the hub sends, with a stable Message-ID, so a retry never sends a second copy
    -- under a new identity and coordinators can see delivery failures.
    CREATE TABLE notifications (
      id uuid PRIMARY KEY,
      kind text NOT NULL,
      dedupe_key text NOT NULL UNIQUE,
      referral_id uuid REFERENCES referrals (id),
      submission_id uuid REFERENCES submissions (id),
      agency_id uuid REFERENCES agencies (id),
      recipient text NOT NULL,
      subject text NOT NULL,
      body_text text NOT NULL,
      body_html text,
      message_id text NOT NULL UNIQUE,
      status text NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      created_at timestamptz NOT NULL,
      sent_at timestamptz
    );
    CREATE INDEX notifications_created_idx ON notifications (created_at DESC);
    CREATE INDEX notifications_failed_idx ON notifications (created_at) WHERE status = 'failed';
    -- reconciliation: mail written but not yet sent
    CREATE INDEX notifications_queued_idx ON notifications (created_at) WHERE status = 'queued';

    -- Things a coordinator must act on (permanent mail failure, paused agency, rejection).
    CREATE TABLE alerts (
      id uuid PRIMARY KEY,
      kind text NOT NULL,
      referral_id uuid REFERENCES referrals (id),
      agency_id uuid REFERENCES agencies (id),
      message text NOT NULL,
      created_at timestamptz NOT NULL,
      resolved_at timestamptz,
      resolved_by uuid REFERENCES users (id)
    );
    CREATE UNIQUE INDEX alerts_open_once ON alerts (kind, referral_id) WHERE resolved_at IS NULL;
    CREATE INDEX alerts_open_idx ON alerts (created_at) WHERE resolved_at IS NULL;
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE alerts, notifications, sla_breaches, follow_up_outcomes, follow_up_attempts, follow_ups;
    DROP INDEX referrals_contact_open_idx;
    DROP INDEX referrals_forward_open_idx;
  `.execute(db);
}
