/**
 * Agency capacity: what each agency says it can take (accepting, a waiting list with its usual
 * wait in weeks, or closed to new referrals until a date), who said it and when, and what a
 * question does while its agency is closed.
 *
 *  - agency_capacity: the agency's latest word, one row per agency (no row: never said, read as
 *    accepting and unconfirmed). A closed agency's date must be given; it reopens on that day.
 *  - agency_capacity_changes: append-only, every change and every "still the same" confirmation.
 *  - questions.fallback_agency_id: the agency a question goes to while its own is closed (set on
 *    drafts like the question's agency; a published version stays immutable).
 *  - referral_routings: what capacity meant for a referral when it was made (its agency's wait,
 *    a fallback used and why, or why it waits), for the confirmation, the printed record and
 *    the referral page.
 *  - signpost_intake() becomes a wrapper around the previous function (renamed
 *    signpost_intake_before_capacity): the routing was decided from a cached read, so the
 *    wrapper first checks that the capacities it used still hold (else
 *    'capacity_changed', and the service routes again from a fresh read); after the inner
 *    function has created the submission, it stores the routing rows and a "routed" event on
 *    each referral a closed agency affected. Still one statement: one round trip, one commit.
 */
import { sql, type Kysely } from 'kysely';

const STATUSES = `('accepting', 'waiting_list', 'closed')`;

const WRAPPER = `
CREATE FUNCTION signpost_intake(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  received timestamptz := (p->>'receivedAt')::timestamptz;
  today date := (received AT TIME ZONE 'Europe/London')::date;
  res jsonb;
BEGIN
  IF jsonb_array_length(coalesce(p->'capacitySeen', '[]')) > 0 THEN
    -- Not locked (FOR SHARE on a few rows that every intake reads would make each concurrent
    -- intake a MultiXact writer): a change committed between this check and the commit, a window
    -- of one statement, is caught by the forward worker, which holds a referral to a closed agency.
    IF EXISTS (
      SELECT 1
        FROM jsonb_to_recordset(p->'capacitySeen') AS x(agency_id uuid, status text, wait_weeks int, closed_until date)
        LEFT JOIN agency_capacity c ON c.agency_id = x.agency_id
        -- as kernel/capacity.ts reads it: no row, or a closing date that has come, is accepting
        CROSS JOIN LATERAL (SELECT CASE WHEN c.agency_id IS NULL OR (c.status = 'closed' AND c.closed_until <= today)
                                        THEN 'accepting' ELSE c.status END AS status) e
       WHERE x.status IS DISTINCT FROM e.status
          OR (e.status = 'waiting_list' AND x.wait_weeks IS DISTINCT FROM c.wait_weeks)
          OR (e.status = 'closed' AND x.closed_until IS DISTINCT FROM c.closed_until)) THEN
      RETURN jsonb_build_object('outcome', 'capacity_changed');
    END IF;
  END IF;

  res := signpost_intake_before_capacity(p);

  IF res->>'outcome' = 'inserted' AND jsonb_array_length(coalesce(p->'routing', '[]')) > 0 THEN
    -- only the referrals the checklist made (a "yes" that joined a live referral made none)
    INSERT INTO referral_routings (referral_id, capacity, wait_weeks, closed_until, fallbacks, note)
      SELECT x.referral_id, x.capacity, x.wait_weeks, x.closed_until, coalesce(x.fallbacks, '[]'), x.note
        FROM jsonb_to_recordset(p->'routing') AS x(referral_id uuid, capacity text, wait_weeks int, closed_until date, fallbacks jsonb, note text)
       WHERE x.referral_id IN (SELECT (e->>'id')::uuid FROM jsonb_array_elements(res->'reply'->'referrals') e);
    INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status, reason, note)
      SELECT x.referral_id, received, (p->>'userId')::uuid, p->>'actorLabel', 'pending', 'pending', x.reason, x.note
        FROM jsonb_to_recordset(p->'routing') AS x(referral_id uuid, reason text, note text)
       WHERE x.reason IS NOT NULL
         AND x.referral_id IN (SELECT (e->>'id')::uuid FROM jsonb_array_elements(res->'reply'->'referrals') e);
  END IF;
  RETURN res;
END
$fn$;
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE agency_capacity (
      agency_id uuid PRIMARY KEY REFERENCES agencies (id),
      status text NOT NULL CHECK (status IN ${sql.raw(STATUSES)}),
      wait_weeks integer CHECK (wait_weeks BETWEEN 1 AND 104),
      closed_until date,
      confirmed_at timestamptz NOT NULL,
      confirmed_by uuid REFERENCES users (id),
      confirmed_by_label text NOT NULL,
      CONSTRAINT agency_capacity_wait CHECK ((status = 'waiting_list') = (wait_weeks IS NOT NULL)),
      CONSTRAINT agency_capacity_until CHECK ((status = 'closed') = (closed_until IS NOT NULL))
    );

    CREATE TABLE agency_capacity_changes (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      agency_id uuid NOT NULL REFERENCES agencies (id),
      at timestamptz NOT NULL,
      status text NOT NULL CHECK (status IN ${sql.raw(STATUSES)}),
      wait_weeks integer,
      closed_until date,
      -- "yes, still the same": a confirmation that changed nothing
      confirmed_only boolean NOT NULL,
      actor_user_id uuid REFERENCES users (id),
      actor_label text NOT NULL,
      via text NOT NULL CHECK (via IN ('page', 'api', 'mail_link'))
    );
    CREATE INDEX agency_capacity_changes_agency_idx ON agency_capacity_changes (agency_id, id);
    CREATE TRIGGER agency_capacity_changes_append_only BEFORE UPDATE OR DELETE ON agency_capacity_changes
      FOR EACH ROW EXECUTE FUNCTION forbid_change();

    ALTER TABLE questions ADD COLUMN fallback_agency_id uuid REFERENCES agencies (id),
      ADD CONSTRAINT questions_fallback_not_own CHECK (fallback_agency_id <> agency_id);

    CREATE TABLE referral_routings (
      referral_id uuid PRIMARY KEY REFERENCES referrals (id),
      -- the referral's own agency's capacity when the referral was made
      capacity text NOT NULL CHECK (capacity IN ${sql.raw(STATUSES)}),
      wait_weeks integer,
      closed_until date,
      -- questions routed here because their agency was closed: [{fromAgencyId, questionIds, closedUntil}]
      fallbacks jsonb NOT NULL DEFAULT '[]',
      note text NOT NULL
    );

    ALTER FUNCTION signpost_intake(jsonb) RENAME TO signpost_intake_before_capacity;
  `.execute(db);
  await sql.raw(WRAPPER).execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP FUNCTION signpost_intake(jsonb);
    ALTER FUNCTION signpost_intake_before_capacity(jsonb) RENAME TO signpost_intake;
    DROP TABLE referral_routings, agency_capacity_changes, agency_capacity;
    ALTER TABLE questions DROP CONSTRAINT questions_fallback_not_own, DROP COLUMN fallback_agency_id;
  `.execute(db);
}
