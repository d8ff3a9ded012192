/**
 * The intake as ONE function, and the hub's promise computed once, in TypeScript. (The function
 * itself has lived in src/modules/intake/sql/intake.sql since 2026_12_07_2000: this migration
 * drops the chain it replaces and changes the tables.)
 *
 * Until now signpost_intake() was five nested functions, one per feature that touched it
 * (channels, capacity, working days, wellbeing around the one-person core), and the contact
 * promise existed twice: in SQL (signpost_contact_promise, for the intake) and in TypeScript
 * (for a re-route). This migration folds the chain into one signpost_intake() with every feature
 * kept, and moves the promise out of SQL: the application computes each referral's forward
 * deadline, contact deadline and hold (src/kernel/promise.ts) and the function stores them.
 *
 *  - referrals.contact_due_at is now set when the referral is made (it was set at forwarding,
 *    from the moment of forwarding, one day away from the date the person had been told);
 *    contact_promised_on, the day the person was told, is its London day and is dropped. The
 *    T2 clock still only RUNS once the referral is forwarded (the sweep and the reports read it
 *    with the forwarded statuses).
 *  - referrals.held_until: a referral to an agency closed to new referrals (with no usable
 *    fallback) waits until that day, and its clocks count from it.
 *  - Locks, in one order for every writer (advisory locks, the person, then referrals in id
 *    order), and the live referral a "yes" joins is found and locked in one step.
 *
 * Referrals made before this migration and not yet forwarded get the contact deadline they were
 * promised: the end (midnight, London) of contact_promised_on.
 */
import { sql, type Kysely } from 'kysely';

/** The functions this migration replaces, as they were, for down(). */
const PREVIOUS = `
CREATE OR REPLACE FUNCTION signpost_working_day_after(d date, n integer)
 RETURNS date
 LANGUAGE sql
 STABLE
AS $function$
      SELECT x::date FROM generate_series(d + 1, d + 7 * n + 60, interval '1 day') AS x
       WHERE extract(isodow FROM x) < 6 AND NOT EXISTS (SELECT 1 FROM bank_holidays b WHERE b.day = x::date)
       ORDER BY x OFFSET n - 1 LIMIT 1
    $function$;

CREATE OR REPLACE FUNCTION signpost_deadline_day(t timestamp with time zone)
 RETURNS date
 LANGUAGE sql
 STABLE
AS $function$
      SELECT ((t - interval '1 millisecond') AT TIME ZONE 'Europe/London')::date
    $function$;

CREATE OR REPLACE FUNCTION signpost_contact_promise(forward_due_at timestamp with time zone, days integer, clock text)
 RETURNS date
 LANGUAGE sql
 STABLE
AS $function$
      SELECT CASE WHEN clock = 'working_days' THEN signpost_working_day_after(signpost_deadline_day(forward_due_at), days)
                  ELSE signpost_deadline_day(forward_due_at) + days END
    $function$;

CREATE OR REPLACE FUNCTION signpost_intake_before_wellbeing(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
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
$function$;

CREATE OR REPLACE FUNCTION signpost_intake_before_workdays(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
    DECLARE
      r jsonb := signpost_intake_before_wellbeing(p);
      w jsonb := p->'wellbeing';
    BEGIN
      IF r->>'outcome' = 'inserted' AND jsonb_typeof(w) = 'object' THEN
        INSERT INTO wellbeing_scores (id, occasion, person_id, submission_id, measured_at, recorded_by,
                                      life_satisfaction, worthwhile, happy, anxious)
        VALUES ((w->>'id')::uuid, 'checklist', (r->'reply'->>'personId')::uuid, (p->'submission'->>'id')::uuid,
                (p->>'receivedAt')::timestamptz, (p->>'userId')::uuid,
                (w->>'life_satisfaction')::smallint, (w->>'worthwhile')::smallint, (w->>'happy')::smallint, (w->>'anxious')::smallint);
      END IF;
      RETURN r;
    END
    $function$;

CREATE OR REPLACE FUNCTION signpost_intake_before_capacity(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
    DECLARE
      res jsonb := signpost_intake_before_workdays(p);
    BEGIN
      IF res->>'outcome' = 'inserted' THEN
        -- the referrals by their keys (a join to the recordset was planned as a scan of every referral)
        UPDATE referrals r
           SET contact_promised_on = signpost_contact_promise(r.forward_due_at, a.contact_days, a.contact_clock)
          FROM agencies a
         WHERE r.id = ANY (ARRAY(SELECT (e->>'id')::uuid FROM jsonb_array_elements(p->'referrals') e))
           AND a.id = r.agency_id
           AND r.contact_promised_on IS DISTINCT FROM signpost_contact_promise(r.forward_due_at, a.contact_days, a.contact_clock);
      END IF;
      RETURN res;
    END
    $function$;

CREATE OR REPLACE FUNCTION signpost_intake_before_channels(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
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
$function$;

CREATE OR REPLACE FUNCTION signpost_intake(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
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
    $function$;`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE referrals ADD COLUMN held_until date;
    UPDATE referrals
       SET contact_due_at = ((contact_promised_on + 1)::timestamp AT TIME ZONE 'Europe/London')
     WHERE contact_due_at IS NULL AND contact_promised_on IS NOT NULL;
    ALTER TABLE referrals DROP COLUMN contact_promised_on;
    -- the coordinators' list of held referrals, and the forward sweep's reconciliation of them
    CREATE INDEX referrals_held_idx ON referrals (held_until, id) WHERE status = 'pending' AND held_until IS NOT NULL;
    DROP FUNCTION signpost_intake(jsonb);
    DROP FUNCTION signpost_intake_before_channels(jsonb);
    DROP FUNCTION signpost_intake_before_capacity(jsonb);
    DROP FUNCTION signpost_intake_before_workdays(jsonb);
    DROP FUNCTION signpost_intake_before_wellbeing(jsonb);
    DROP FUNCTION signpost_contact_promise(timestamptz, int, text);
    DROP FUNCTION signpost_deadline_day(timestamptz);
    DROP FUNCTION signpost_working_day_after(date, int);
  `.execute(db);
  // the one function itself is current state, in src/modules/intake/sql/intake.sql (applied after the migrations)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX referrals_held_idx;
    ALTER TABLE referrals ADD COLUMN contact_promised_on date;
    UPDATE referrals SET contact_promised_on = ((contact_due_at - interval '1 millisecond') AT TIME ZONE 'Europe/London')::date
     WHERE contact_due_at IS NOT NULL;
    UPDATE referrals SET contact_due_at = NULL WHERE forwarded_at IS NULL;
    ALTER TABLE referrals DROP COLUMN held_until;
    DROP FUNCTION signpost_intake(jsonb);
  `.execute(db);
  await sql.raw(PREVIOUS).execute(db);
}
