-- The intake in ONE statement: signpost_intake(p) stores a checklist, its person, consent, referrals
-- (with the hub's promise the application computed: src/kernel/promise.ts), their events and routing
-- records, and the Idempotency-Key, atomically (src/modules/intake/submission.repository.ts
-- insertIntake). Its lock order: the (user, key) and date-of-birth advisory locks, the person, then
-- live referrals in id order. The age band and the submitter's organisation at the time are the
-- checklist's own facts.
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

CREATE OR REPLACE FUNCTION signpost_age_band(dob date, at timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
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
    $function$;

CREATE OR REPLACE FUNCTION signpost_intake(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
  k text := p->>'idempotencyKey';
  uid uuid := (p->>'userId')::uuid;
  received timestamptz := (p->>'receivedAt')::timestamptz;
  -- the London day by the application's clock: capacity is read for it, as routing read it
  today date := ((p->>'now')::timestamptz AT TIME ZONE 'Europe/London')::date;
  sub jsonb := p->'submission';
  per jsonb := p->'person';
  con jsonb := p->'consent';
  ref jsonb := p->'referrer';
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
  made uuid[];
  sub_status text := sub->>'status';
  reply jsonb;
BEGIN
  -- Locks, always in this order (a consent withdrawal, erasure and the forward worker keep it
  -- too, so that none of them can deadlock with an intake): the (user, key) and date-of-birth
  -- advisory locks, the person's row, then live referrals in id order.
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

  -- What routing and the promise were built on: each agency's capacity (as src/kernel/capacity.ts
  -- reads it: never said, or closed until a day that has come, is accepting) and its contact
  -- clock. If any changed since the application read them, it routes again from a fresh read.
  -- Not locked (FOR SHARE on rows every intake reads would make each intake a MultiXact writer):
  -- a change committed within this one statement is caught by the forward worker.
  IF EXISTS (
    SELECT 1
      FROM jsonb_to_recordset(coalesce(p->'capacitySeen', '[]')) AS x(agency_id uuid, status text, wait_weeks int, closed_until date, contact_days int, contact_clock text)
      JOIN agencies a ON a.id = x.agency_id
      LEFT JOIN agency_capacity c ON c.agency_id = x.agency_id
      CROSS JOIN LATERAL (SELECT signpost_capacity_now(c.status, c.closed_until, today) AS status) e
     WHERE x.status IS DISTINCT FROM e.status
        OR (e.status = 'waiting_list' AND x.wait_weeks IS DISTINCT FROM c.wait_weeks)
        OR (e.status = 'closed' AND x.closed_until IS DISTINCT FROM c.closed_until)
        OR x.contact_days IS DISTINCT FROM a.contact_days
        OR x.contact_clock IS DISTINCT FROM a.contact_clock) THEN
    RETURN jsonb_build_object('outcome', 'capacity_changed');
  END IF;

  -- One person. Every rule below needs the same date of birth (or the same NHS number with the
  -- same date of birth), so checklists that could be the same person wait for each other here,
  -- and so does the erasure of a person with this date of birth (src/modules/people/erasure.service.ts).
  PERFORM pg_advisory_xact_lock(hashtextextended('signpost-person:' || dob::text, 0));
  -- A record merged into another keeps its details, so that they still find the person: a
  -- match on it is a match on the record it was merged into. An erased record matches nothing.
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
    -- the record it resolves to, locked for the update below, and never an erased one
    SELECT id INTO pid FROM people WHERE id = pid AND erased_at IS NULL FOR NO KEY UPDATE;
  END IF;

  IF pid IS NOT NULL THEN
    matched := 'sure';
    -- One live referral per person per agency: a "yes" for an agency already helping them is
    -- recorded on the live referral instead. Found and locked in one step (a referral that
    -- closes meanwhile is read again and drops out), in id order.
    WITH live AS (
      SELECT r.id, r.reference, r.agency_id, r.status, r.received_at
        FROM referrals r
        JOIN submissions s ON s.id = r.submission_id
       WHERE s.person_id = pid
         AND r.status NOT IN ('completed', 'unable_to_contact', 'declined', 'rerouted', 'cancelled')
         AND r.agency_id IN (SELECT x.agency_id FROM jsonb_to_recordset(p->'referrals') AS x(agency_id uuid))
       ORDER BY r.id
         FOR SHARE OF r)
    SELECT coalesce(array_agg(l.agency_id), '{}'),
           coalesce(jsonb_agg(jsonb_build_object('id', l.id, 'reference', l.reference, 'agencyId', l.agency_id, 'status', l.status)
                              ORDER BY l.received_at, l.reference), '[]')
      INTO open_agencies, already
      FROM live l;
  END IF;

  -- every need already open elsewhere: this checklist has nothing of its own to follow
  IF sub_status = 'open' AND NOT EXISTS (
       SELECT 1 FROM jsonb_to_recordset(p->'referrals') AS x(agency_id uuid) WHERE x.agency_id <> ALL (open_agencies)) THEN
    sub_status := 'closed';
  END IF;

  IF matched = 'sure' THEN
    -- The latest details; what each checklist said stays in person_versions: the details this
    -- checklist replaces become the first one's version if it has none (people/sql/person-versions.sql).
    PERFORM signpost_keep_first_version(pid);
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
    WHERE id = pid AND erased_at IS NULL;
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

  -- the checklist, with how it came in and who referred it (the organisation falls back to the
  -- submitter's, by the submissions_organisation trigger)
  INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status,
                           received_at, closed_at, age_band, postcode_district,
                           channel, referrer_name, referrer_organisation_text, organisation_id, entered_at)
  VALUES (sid, sub->>'reference', (sub->>'questionnaire_id')::uuid, pid, uid, sub->'answers', sub->'consent', sub_status,
          received, CASE WHEN sub_status = 'closed' THEN received END, signpost_age_band(dob, received),
          split_part(per->>'postcode', ' ', 1),
          coalesce(p->>'channel', 'api'), ref->>'name', ref->>'organisationText', (ref->>'organisationId')::uuid,
          (p->>'enteredAt')::timestamptz);
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

  -- the referrals this checklist makes, with the hub's promise computed for each by the
  -- application (src/kernel/promise.ts): stored, and read by every surface from here on
  WITH ins AS (
    INSERT INTO referrals (id, reference, submission_id, agency_id, question_ids, status, received_at,
                           forward_due_at, contact_due_at, held_until, updated_at)
      SELECT x.id, x.reference, sid, x.agency_id, x.question_ids, 'pending', received,
             x.forward_due_at, x.contact_due_at, x.held_until, received
        FROM jsonb_to_recordset(p->'referrals')
             AS x(id uuid, reference text, agency_id uuid, question_ids uuid[], forward_due_at timestamptz, contact_due_at timestamptz, held_until date)
       WHERE x.agency_id <> ALL (open_agencies)
      RETURNING id)
  SELECT coalesce(array_agg(id), '{}') INTO made FROM ins;
  INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status)
    SELECT m, received, uid, p->>'actorLabel', NULL, 'pending' FROM unnest(made) AS m;
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
  -- what capacity meant for a referral it made (a fallback used, a closed agency's hold, a waiting list)
  INSERT INTO referral_routings (referral_id, capacity, wait_weeks, closed_until, fallbacks, note)
    SELECT x.referral_id, x.capacity, x.wait_weeks, x.closed_until, coalesce(x.fallbacks, '[]'), x.note
      FROM jsonb_to_recordset(coalesce(p->'routing', '[]'))
           AS x(referral_id uuid, capacity text, wait_weeks int, closed_until date, fallbacks jsonb, note text)
     WHERE x.referral_id = ANY (made);
  INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status, reason, note)
    SELECT x.referral_id, received, uid, p->>'actorLabel', 'pending', 'pending', x.reason, x.note
      FROM jsonb_to_recordset(coalesce(p->'routing', '[]')) AS x(referral_id uuid, reason text, note text)
     WHERE x.reason IS NOT NULL AND x.referral_id = ANY (made);
  -- ONS4 answers at the checklist (health data)
  IF jsonb_typeof(p->'wellbeing') = 'object' THEN
    INSERT INTO wellbeing_scores (id, occasion, person_id, submission_id, measured_at, recorded_by,
                                  life_satisfaction, worthwhile, happy, anxious)
    VALUES ((p->'wellbeing'->>'id')::uuid, 'checklist', pid, sid, received, uid,
            (p->'wellbeing'->>'life_satisfaction')::smallint, (p->'wellbeing'->>'worthwhile')::smallint,
            (p->'wellbeing'->>'happy')::smallint, (p->'wellbeing'->>'anxious')::smallint);
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

CREATE OR REPLACE FUNCTION submissions_organisation()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    BEGIN
      IF NEW.organisation_id IS NULL THEN
        SELECT organisation_id INTO NEW.organisation_id FROM users WHERE id = NEW.submitted_by;
      END IF;
      RETURN NEW;
    END $function$;

CREATE OR REPLACE TRIGGER submissions_organisation BEFORE INSERT ON submissions FOR EACH ROW EXECUTE FUNCTION submissions_organisation();
