/**
 * One person across all their checklists, and the records the person's rights need.
 *
 *  - people gains the normalised match keys (names, postcode), an optional NHS number, the
 *    merge pointer, the legal hold, the erasure stamp and `inactive_since` (when the person's
 *    last open checklist closed: what retention counts from). Names, date of birth and postcode
 *    become nullable, because erasure removes them.
 *  - person_versions: the details as given on each checklist of a person known from more than
 *    one (the person row holds the latest; a person seen once has no version: the row is it).
 *  - person_match_flags: a likely match, for a coordinator to merge or dismiss.
 *  - consents and consent_withdrawals: consent as a record.
 *  - referral_repeats: a "yes" for an agency that already had a live referral for the person.
 *  - submissions gains the age band and postcode district at referral (kept after erasure).
 *  - referral_events stays append-only, except that erasure may blank its free text.
 *  - signpost_intake() matches the person (under a lock on the date of birth, so that two
 *    checklists for one person cannot both make a new person or both make a live referral)
 *    and returns the reply as jsonb.
 * Existing people are not matched with each other: each keeps its own record.
 * Uses fuzzystrmatch (PostgreSQL contrib, a trusted extension) for levenshtein().
 */
import { sql, type Kysely } from 'kysely';
import { INTAKE_FUNCTION_WITH_PROMISE } from './2026_12_02_1000_contact_promise.js';

// A copy of kernel/person-match.ts's rules as they stood when this migration was written (a
// migration never imports app code): letters of any script, lower case, no accents.
const normName = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}]/gu, '');
const normPostcode = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

const INTAKE_FUNCTION_ONE_PERSON = `
CREATE FUNCTION signpost_intake(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  k text := p->>'idempotencyKey';
  uid uuid := (p->>'userId')::uuid;
  received timestamptz := (p->>'receivedAt')::timestamptz;
  sub jsonb := p->'submission';
  per jsonb := p->'person';
  con jsonb := p->'consent';
  sid uuid := (sub->>'id')::uuid;
  dob date := (per->>'date_of_birth')::date;
  nhs text := per->>'nhs_number';
  nf text := per->>'norm_family';
  ng text := per->>'norm_given';
  npc text := per->>'norm_postcode';
  pid uuid;
  matched text := 'new';
  open_agencies uuid[] := '{}';
  already jsonb := '[]';
  sub_status text := sub->>'status';
  reply jsonb;
BEGIN
  IF k IS NOT NULL AND NOT pg_try_advisory_xact_lock(hashtextextended(uid::text || ':' || k, 0)) THEN
    RETURN jsonb_build_object('outcome', 'in_flight');
  END IF;
  PERFORM 1 FROM questionnaires WHERE id = (sub->>'questionnaire_id')::uuid AND is_current;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_current');
  END IF;
  -- under the (user, key) lock, so no other request can write this key meanwhile
  IF k IS NOT NULL THEN
    PERFORM 1 FROM idempotency_keys WHERE user_id = uid AND key = k;
    IF FOUND THEN
      RETURN jsonb_build_object('outcome', 'key_exists');
    END IF;
  END IF;

  -- One person. Every rule below needs the same date of birth (or the same NHS number with the
  -- same date of birth), so checklists that could be the same person wait for each other here.
  PERFORM pg_advisory_xact_lock(hashtextextended('signpost-person:' || dob::text, 0));
  -- A record merged into another keeps its details, so that they still find the person: a
  -- match on it is a match on the record it was merged into.
  IF nhs IS NOT NULL THEN
    SELECT coalesce(merged_into, id) INTO pid FROM people
     WHERE nhs_number = nhs AND date_of_birth = dob AND erased_at IS NULL
     ORDER BY merged_into IS NOT NULL, created_at, id LIMIT 1;
  END IF;
  IF pid IS NULL THEN
    SELECT coalesce(merged_into, id) INTO pid FROM people
     WHERE date_of_birth = dob AND norm_family = nf AND norm_given = ng AND norm_postcode = npc
       AND erased_at IS NULL
       AND (nhs IS NULL OR nhs_number IS NULL OR nhs_number = nhs)
     ORDER BY merged_into IS NOT NULL, created_at, id LIMIT 1;
  END IF;

  IF pid IS NOT NULL THEN
    matched := 'sure';
    -- one live referral per person per agency: a "yes" for an agency already helping them is
    -- recorded on the live referral instead (locked, so that it cannot close unseen meanwhile)
    SELECT coalesce(array_agg(r.agency_id), '{}'),
           coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'reference', r.reference, 'agencyId', r.agency_id, 'status', r.status)
                              ORDER BY r.received_at, r.reference), '[]')
      INTO open_agencies, already
      FROM referrals r
      JOIN submissions s ON s.id = r.submission_id
     WHERE s.person_id = pid
       AND r.status NOT IN ('completed', 'unable_to_contact', 'declined', 'rerouted', 'cancelled')
       AND r.agency_id IN (SELECT x.agency_id FROM jsonb_to_recordset(p->'referrals') AS x(agency_id uuid));
    IF cardinality(open_agencies) > 0 THEN
      PERFORM 1 FROM referrals WHERE id IN (SELECT (e->>'id')::uuid FROM jsonb_array_elements(already) e) FOR SHARE;
    END IF;
  END IF;

  -- every need already open elsewhere: this checklist has nothing of its own to follow
  IF sub_status = 'open' AND NOT EXISTS (
       SELECT 1 FROM jsonb_to_recordset(p->'referrals') AS x(agency_id uuid) WHERE x.agency_id <> ALL (open_agencies)) THEN
    sub_status := 'closed';
  END IF;

  IF matched = 'sure' THEN
    -- The latest details; what each checklist said stays in person_versions. A person known
    -- from one checklist has no version (the people row is what it said): the first time a
    -- second checklist changes the row, the details it replaces become the first one's version.
    INSERT INTO person_versions (id, person_id, submission_id, recorded_at, given_name, family_name, date_of_birth, postcode,
                                 phone, email, address_line, preferred_contact, language, access_needs, nhs_number)
      SELECT gen_random_uuid(), o.id, f.id, f.received_at, o.given_name, o.family_name, o.date_of_birth, o.postcode,
             o.phone, o.email, o.address_line, o.preferred_contact, o.language, o.access_needs, o.nhs_number
        FROM people o
        JOIN LATERAL (SELECT s.id, s.received_at FROM submissions s WHERE s.person_id = o.id
                       ORDER BY s.received_at, s.id LIMIT 1) f ON true
       WHERE o.id = pid AND NOT EXISTS (SELECT 1 FROM person_versions v WHERE v.person_id = pid);
    UPDATE people SET
      given_name = per->>'given_name', family_name = per->>'family_name', postcode = per->>'postcode',
      norm_given = ng, norm_family = nf, norm_postcode = npc,
      phone = coalesce(per->>'phone', phone), email = coalesce(per->>'email', email),
      address_line = coalesce(per->>'address_line', address_line),
      preferred_contact = per->>'preferred_contact',
      language = coalesce(per->>'language', language), access_needs = coalesce(per->>'access_needs', access_needs),
      nhs_number = coalesce(nhs, nhs_number),
      inactive_since = CASE WHEN sub_status = 'open' OR inactive_since IS NULL THEN NULL ELSE received END,
      updated_at = received
    WHERE id = pid;
  ELSE
    pid := (per->>'id')::uuid;
    INSERT INTO people (id, given_name, family_name, date_of_birth, postcode, phone, email, address_line,
                        preferred_contact, language, access_needs, nhs_number, norm_given, norm_family, norm_postcode,
                        inactive_since, created_at, updated_at)
    VALUES (pid, per->>'given_name', per->>'family_name', dob, per->>'postcode', per->>'phone', per->>'email',
            per->>'address_line', per->>'preferred_contact', per->>'language', per->>'access_needs', nhs, ng, nf, npc,
            CASE WHEN sub_status = 'open' THEN NULL ELSE received END, received, received);
    -- likely the same person: flagged for a coordinator, never linked automatically
    -- The candidates come first, by index (people_nhs_idx, people_dob_idx), and apart
    -- (MATERIALIZED: no condition of the rule below is pushed into them), so that a match
    -- costs what one birthday's people cost, whatever the statistics say: PL/pgSQL caches one
    -- plan for any NHS number, and one OR over the whole rule may read every person.
    WITH candidates AS MATERIALIZED (
      SELECT n.* FROM people n WHERE nhs IS NOT NULL AND n.nhs_number = nhs
      UNION
      SELECT d.* FROM people d WHERE d.date_of_birth = dob AND d.erased_at IS NULL)
    INSERT INTO person_match_flags (id, person_id, candidate_id, reason, status, created_at)
      SELECT gen_random_uuid(), pid, c.id, c.reason, 'open', received FROM (
        SELECT o.id, CASE
            WHEN nhs IS NOT NULL AND o.nhs_number = nhs THEN 'same NHS number, another date of birth'
            WHEN o.norm_family = nf AND o.norm_given = ng THEN 'same name and date of birth, another postcode'
            WHEN o.norm_family = ng AND o.norm_given = nf THEN 'same date of birth and postcode, names the other way round'
            WHEN o.norm_family = nf THEN 'same family name, date of birth and postcode, another given name'
            WHEN levenshtein(o.norm_family, nf) <= CASE WHEN length(nf) >= 8 THEN 2 ELSE 1 END
              THEN 'same date of birth and postcode, a family name that differs a little'
            ELSE 'same date of birth, postcode and given name, another family name' END AS reason
          FROM candidates o
         WHERE o.id <> pid AND o.merged_into IS NULL AND o.erased_at IS NULL
           AND ((nhs IS NOT NULL AND o.nhs_number = nhs)
             OR (o.date_of_birth = dob
                 AND (nhs IS NULL OR o.nhs_number IS NULL OR o.nhs_number = nhs)
                 AND ((o.norm_family = nf AND o.norm_given = ng)
                   OR (o.norm_postcode = npc AND (
                        (o.norm_family = ng AND o.norm_given = nf)
                     OR levenshtein(o.norm_family, nf) <= CASE WHEN length(nf) >= 8 THEN 2 ELSE 1 END
                     OR levenshtein(o.norm_given, ng) <= CASE WHEN length(ng) >= 8 THEN 2 ELSE 1 END)))))
         ORDER BY o.created_at, o.id
         LIMIT 5) c;
    IF FOUND THEN
      matched := 'likely';
    END IF;
  END IF;

  INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status,
                           received_at, closed_at, age_band, postcode_district)
  VALUES (sid, sub->>'reference', (sub->>'questionnaire_id')::uuid, pid, uid, sub->'answers', sub->'consent', sub_status,
          received, CASE WHEN sub_status = 'closed' THEN received END, signpost_age_band(dob, received),
          split_part(per->>'postcode', ' ', 1));
  IF matched = 'sure' THEN
    INSERT INTO person_versions (id, person_id, submission_id, recorded_at, given_name, family_name, date_of_birth, postcode,
                                 phone, email, address_line, preferred_contact, language, access_needs, nhs_number)
    VALUES ((per->>'version_id')::uuid, pid, sid, received, per->>'given_name', per->>'family_name', dob, per->>'postcode',
            per->>'phone', per->>'email', per->>'address_line', per->>'preferred_contact', per->>'language', per->>'access_needs', nhs);
  END IF;
  INSERT INTO consents (id, person_id, submission_id, given_by, representative_name, representative_relationship,
                        sharing_agreed, agency_ids, given_at, recorded_by, created_at)
  VALUES ((con->>'id')::uuid, pid, sid, con->>'given_by', con->>'representative_name', con->>'representative_relationship',
          (con->>'sharing_agreed')::boolean,
          ARRAY(SELECT x.agency_id FROM jsonb_to_recordset(p->'referrals') AS x(agency_id uuid)),
          (con->>'given_at')::timestamptz, uid, received);

  INSERT INTO referrals (id, reference, submission_id, agency_id, question_ids, status, received_at, forward_due_at,
                         contact_promised_on, updated_at)
    SELECT x.id, x.reference, sid, x.agency_id, x.question_ids, 'pending', received, x.forward_due_at,
           ((x.forward_due_at + make_interval(days => a.contact_days)) AT TIME ZONE 'Europe/London')::date, received
      FROM jsonb_to_recordset(p->'referrals') AS x(id uuid, reference text, agency_id uuid, question_ids uuid[], forward_due_at timestamptz)
      JOIN agencies a ON a.id = x.agency_id
     WHERE x.agency_id <> ALL (open_agencies);
  INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status)
    SELECT x.id, received, uid, p->>'actorLabel', NULL, 'pending'
      FROM jsonb_to_recordset(p->'referrals') AS x(id uuid, agency_id uuid)
     WHERE x.agency_id <> ALL (open_agencies);
  IF cardinality(open_agencies) > 0 THEN
    -- the live referral hears that the person was referred again, and by whom
    INSERT INTO referral_repeats (submission_id, referral_id, question_ids, at)
      SELECT sid, (e->>'id')::uuid, x.question_ids, received
        FROM jsonb_array_elements(already) e
        JOIN jsonb_to_recordset(p->'referrals') AS x(agency_id uuid, question_ids uuid[]) ON x.agency_id = (e->>'agencyId')::uuid;
    INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status, reason, note)
      SELECT (e->>'id')::uuid, received, uid, p->>'actorLabel', e->>'status', e->>'status', 'referred_again',
             'Referred again in checklist ' || (sub->>'reference') || ' by ' || (p->>'actorLabel')
        FROM jsonb_array_elements(already) e;
  END IF;

  reply := (p->'responseBody') || jsonb_build_object(
    'personId', pid,
    'status', sub_status,
    'alreadyOpen', already,
    'referrals', (SELECT coalesce(jsonb_agg(t.e ORDER BY t.ord), '[]')
                    FROM jsonb_array_elements(p->'responseBody'->'referrals') WITH ORDINALITY AS t(e, ord)
                   WHERE (t.e->>'agencyId')::uuid <> ALL (open_agencies)));
  IF k IS NOT NULL THEN
    INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_body, created_at, expires_at)
    VALUES (uid, k, p->>'fingerprint', 201, reply, received, (p->>'expiresAt')::timestamptz);
  END IF;
  RETURN jsonb_build_object('outcome', 'inserted', 'match', matched, 'reply', reply);
END
$fn$;
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

    ALTER TABLE people
      ALTER COLUMN given_name DROP NOT NULL,
      ALTER COLUMN family_name DROP NOT NULL,
      ALTER COLUMN date_of_birth DROP NOT NULL,
      ALTER COLUMN postcode DROP NOT NULL,
      ALTER COLUMN preferred_contact DROP NOT NULL,
      ADD COLUMN nhs_number text CHECK (nhs_number ~ '^[0-9]{10}$'),
      ADD COLUMN norm_given text,
      ADD COLUMN norm_family text,
      ADD COLUMN norm_postcode text,
      ADD COLUMN updated_at timestamptz,
      ADD COLUMN merged_into uuid REFERENCES people (id),
      ADD COLUMN merged_at timestamptz,
      ADD COLUMN merged_by uuid REFERENCES users (id),
      ADD COLUMN inactive_since timestamptz,
      ADD COLUMN legal_hold_reason text,
      ADD COLUMN legal_hold_at timestamptz,
      ADD COLUMN legal_hold_by uuid REFERENCES users (id),
      ADD COLUMN erased_at timestamptz,
      ADD COLUMN erasure_reason text,
      ADD CONSTRAINT people_not_merged_into_self CHECK (merged_into IS DISTINCT FROM id);

    ALTER TABLE submissions ADD COLUMN age_band text, ADD COLUMN postcode_district text;

    -- The person's age band on the day (in London) a checklist arrived: kept after erasure, so
    -- that reports by age stay true without the date of birth.
    CREATE FUNCTION signpost_age_band(dob date, at timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT CASE
        WHEN dob IS NULL THEN NULL
        WHEN a < 50 THEN 'under 50'
        WHEN a < 60 THEN '50 to 59'
        WHEN a < 65 THEN '60 to 64'
        WHEN a < 70 THEN '65 to 69'
        WHEN a < 75 THEN '70 to 74'
        WHEN a < 80 THEN '75 to 79'
        WHEN a < 85 THEN '80 to 84'
        WHEN a < 90 THEN '85 to 89'
        ELSE '90 and over' END
      FROM (SELECT date_part('year', age((at AT TIME ZONE 'Europe/London')::date, dob))::int AS a) x;
    $$;

    CREATE TABLE person_versions (
      id uuid PRIMARY KEY,
      person_id uuid NOT NULL REFERENCES people (id),
      submission_id uuid REFERENCES submissions (id),
      recorded_at timestamptz NOT NULL,
      given_name text,
      family_name text,
      date_of_birth date,
      postcode text,
      phone text,
      email text,
      address_line text,
      preferred_contact text,
      language text,
      access_needs text,
      nhs_number text
    );
    CREATE INDEX person_versions_person_idx ON person_versions (person_id, recorded_at);

    CREATE TABLE person_match_flags (
      id uuid PRIMARY KEY,
      person_id uuid NOT NULL REFERENCES people (id),
      candidate_id uuid NOT NULL REFERENCES people (id),
      reason text NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'merged', 'dismissed')),
      created_at timestamptz NOT NULL,
      resolved_at timestamptz,
      resolved_by uuid REFERENCES users (id),
      UNIQUE (person_id, candidate_id),
      CHECK (person_id <> candidate_id)
    );
    CREATE INDEX person_match_flags_open_idx ON person_match_flags (created_at) WHERE status = 'open';
    CREATE INDEX person_match_flags_candidate_idx ON person_match_flags (candidate_id);

    CREATE TABLE consents (
      id uuid PRIMARY KEY,
      person_id uuid NOT NULL REFERENCES people (id),
      submission_id uuid REFERENCES submissions (id),
      given_by text NOT NULL CHECK (given_by IN ('person', 'representative')),
      representative_name text,
      representative_relationship text,
      sharing_agreed boolean NOT NULL,
      agency_ids uuid[] NOT NULL,
      given_at timestamptz NOT NULL,
      recorded_by uuid NOT NULL REFERENCES users (id),
      created_at timestamptz NOT NULL
    );
    CREATE INDEX consents_person_idx ON consents (person_id, given_at);

    CREATE TABLE consent_withdrawals (
      id uuid PRIMARY KEY,
      person_id uuid NOT NULL REFERENCES people (id),
      -- NULL: every agency
      agency_ids uuid[],
      reason text,
      withdrawn_at timestamptz NOT NULL,
      recorded_by uuid NOT NULL REFERENCES users (id),
      created_at timestamptz NOT NULL,
      cancelled_referral_ids uuid[] NOT NULL
    );
    CREATE INDEX consent_withdrawals_person_idx ON consent_withdrawals (person_id, withdrawn_at);

    CREATE TABLE referral_repeats (
      submission_id uuid NOT NULL REFERENCES submissions (id),
      referral_id uuid NOT NULL REFERENCES referrals (id),
      question_ids uuid[] NOT NULL,
      at timestamptz NOT NULL,
      PRIMARY KEY (submission_id, referral_id)
    );
    CREATE INDEX referral_repeats_referral_idx ON referral_repeats (referral_id);
  `.execute(db);

  // Backfill the match keys (in batches: the rules live in TypeScript).
  for (;;) {
    // one-word aliases: the app's Kysely renames snake_case result columns (CamelCasePlugin)
    const rows = await sql<{ id: string; g: string; f: string; pc: string }>`
      SELECT id, given_name AS g, family_name AS f, postcode AS pc FROM people WHERE norm_family IS NULL AND family_name IS NOT NULL LIMIT 1000`.execute(db);
    if (rows.rows.length === 0) break;
    const values = rows.rows.map((r) => sql`(${r.id}::uuid, ${normName(r.g)}, ${normName(r.f)}, ${normPostcode(r.pc)})`);
    await sql`
      UPDATE people p SET norm_given = v.g, norm_family = v.f, norm_postcode = v.pc
        FROM (VALUES ${sql.join(values)}) AS v(id, g, f, pc) WHERE p.id = v.id`.execute(db);
  }

  await sql`
    UPDATE people SET updated_at = created_at;
    ALTER TABLE people ALTER COLUMN updated_at SET NOT NULL;
    UPDATE people p SET inactive_since = x.since
      FROM (SELECT person_id, CASE WHEN bool_or(status = 'open') THEN NULL ELSE max(coalesce(closed_at, received_at)) END AS since
              FROM submissions GROUP BY person_id) x
     WHERE x.person_id = p.id;
    UPDATE submissions s SET
      postcode_district = split_part(p.postcode, ' ', 1),
      age_band = signpost_age_band(p.date_of_birth, s.received_at)
      FROM people p WHERE p.id = s.person_id;
    INSERT INTO person_versions (id, person_id, submission_id, recorded_at, given_name, family_name, date_of_birth, postcode,
                                 phone, email, address_line, preferred_contact, language, access_needs)
      SELECT gen_random_uuid(), p.id, s.id, s.received_at, p.given_name, p.family_name, p.date_of_birth, p.postcode,
             p.phone, p.email, p.address_line, p.preferred_contact, p.language, p.access_needs
        FROM submissions s JOIN people p ON p.id = s.person_id;
    INSERT INTO consents (id, person_id, submission_id, given_by, representative_name, sharing_agreed, agency_ids, given_at, recorded_by, created_at)
      SELECT gen_random_uuid(), s.person_id, s.id, s.consent->>'by', s.consent->>'representativeName',
             coalesce((s.consent->>'sharingAgreed')::boolean, false),
             ARRAY(SELECT r.agency_id FROM referrals r WHERE r.submission_id = s.id AND r.rerouted_from_id IS NULL),
             coalesce((s.consent->>'recordedAt')::timestamptz, s.received_at), s.submitted_by, s.received_at
        FROM submissions s;

    CREATE INDEX submissions_person_idx ON submissions (person_id, received_at);
    CREATE INDEX people_dob_idx ON people (date_of_birth) WHERE erased_at IS NULL;
    CREATE INDEX people_nhs_idx ON people (nhs_number) WHERE nhs_number IS NOT NULL;
    -- the hub's search: name parts begin a given or family name; references by their beginning
    -- (the unique indexes of the references become text_pattern_ops, which serve both = and a
    -- prefix LIKE in any collation: one index each, not two, for the intake to write)
    CREATE INDEX people_family_idx ON people (norm_family text_pattern_ops) WHERE merged_into IS NULL;
    CREATE INDEX people_given_idx ON people (norm_given text_pattern_ops) WHERE merged_into IS NULL;
    ALTER TABLE submissions DROP CONSTRAINT submissions_reference_key;
    CREATE UNIQUE INDEX submissions_reference_key ON submissions (reference text_pattern_ops);
    ALTER TABLE referrals DROP CONSTRAINT referrals_reference_key;
    CREATE UNIQUE INDEX referrals_reference_key ON referrals (reference text_pattern_ops);
    CREATE INDEX people_postcode_idx ON people (norm_postcode) WHERE merged_into IS NULL;
    CREATE INDEX people_merged_into_idx ON people (merged_into) WHERE merged_into IS NOT NULL;
    -- the person's record, export and erasure read these by the person's referrals and checklists
    CREATE INDEX notifications_referral_idx ON notifications (referral_id) WHERE referral_id IS NOT NULL;
    CREATE INDEX notifications_submission_idx ON notifications (submission_id) WHERE submission_id IS NOT NULL;
    CREATE INDEX alerts_referral_idx ON alerts (referral_id) WHERE referral_id IS NOT NULL;
    CREATE INDEX people_retention_idx ON people (inactive_since) WHERE erased_at IS NULL AND merged_into IS NULL;

    -- when the person's last open checklist closed (NULL while one is open): retention counts from it
    CREATE FUNCTION signpost_person_activity(pid uuid) RETURNS void LANGUAGE sql AS $$
      UPDATE people SET inactive_since = (
        SELECT CASE WHEN bool_or(s.status = 'open') THEN NULL ELSE max(coalesce(s.closed_at, s.received_at)) END
          FROM submissions s WHERE s.person_id = pid)
      WHERE id = pid;
    $$;
    CREATE FUNCTION submissions_person_activity() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM signpost_person_activity(NEW.person_id);
      IF OLD.person_id <> NEW.person_id THEN
        PERFORM signpost_person_activity(OLD.person_id);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER submissions_person_activity AFTER UPDATE OF status, closed_at, person_id ON submissions
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
                         OR OLD.person_id IS DISTINCT FROM NEW.person_id)
      EXECUTE FUNCTION submissions_person_activity();

    -- The history stays append-only; erasure alone (SET LOCAL signpost.erasing = 'on') may blank
    -- an event's free text, and nothing else about it.
    CREATE FUNCTION referral_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND current_setting('signpost.erasing', true) = 'on'
         AND NEW.id = OLD.id AND NEW.referral_id = OLD.referral_id AND NEW.at = OLD.at
         AND NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id AND NEW.actor_label = OLD.actor_label
         AND NEW.from_status IS NOT DISTINCT FROM OLD.from_status AND NEW.to_status = OLD.to_status
         AND NEW.outcome IS NOT DISTINCT FROM OLD.outcome
         AND (NEW.reason IS NULL OR NEW.reason = OLD.reason) AND NEW.note IS NULL THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$;
    DROP TRIGGER referral_events_append_only ON referral_events;
    CREATE TRIGGER referral_events_guard BEFORE UPDATE OR DELETE ON referral_events
      FOR EACH ROW EXECUTE FUNCTION referral_events_guard();

    DROP FUNCTION signpost_intake(jsonb);
  `.execute(db);
  await sql.raw(INTAKE_FUNCTION_ONE_PERSON).execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP FUNCTION signpost_intake(jsonb);
    DROP TRIGGER referral_events_guard ON referral_events;
    DROP FUNCTION referral_events_guard();
    CREATE TRIGGER referral_events_append_only BEFORE UPDATE OR DELETE ON referral_events
      FOR EACH ROW EXECUTE FUNCTION forbid_change();
    DROP TRIGGER submissions_person_activity ON submissions;
    DROP FUNCTION submissions_person_activity();
    DROP FUNCTION signpost_person_activity(uuid);
    DROP FUNCTION signpost_age_band(date, timestamptz);
    DROP TABLE referral_repeats, consent_withdrawals, consents, person_match_flags, person_versions;
    DROP INDEX submissions_reference_key, referrals_reference_key;
    ALTER TABLE submissions ADD CONSTRAINT submissions_reference_key UNIQUE (reference);
    ALTER TABLE referrals ADD CONSTRAINT referrals_reference_key UNIQUE (reference);
    DROP INDEX submissions_person_idx,
      notifications_referral_idx, notifications_submission_idx, alerts_referral_idx;
    ALTER TABLE submissions DROP COLUMN age_band, DROP COLUMN postcode_district;
    ALTER TABLE people DROP CONSTRAINT people_not_merged_into_self,
      DROP COLUMN nhs_number, DROP COLUMN norm_given, DROP COLUMN norm_family, DROP COLUMN norm_postcode,
      DROP COLUMN updated_at, DROP COLUMN merged_into, DROP COLUMN merged_at, DROP COLUMN merged_by,
      DROP COLUMN inactive_since, DROP COLUMN legal_hold_reason, DROP COLUMN legal_hold_at, DROP COLUMN legal_hold_by,
      DROP COLUMN erased_at, DROP COLUMN erasure_reason;
  `.execute(db);
  await sql.raw(INTAKE_FUNCTION_WITH_PROMISE).execute(db);
}
