-- The intake in ONE statement: signpost_intake(p) stores checklists, each with its person, consent,
-- referrals (with the hub's promise the application computed: src/kernel/promise.ts), their events
-- and routing records, and its Idempotency-Key, atomically (src/modules/intake/submission.repository.ts
-- insertIntakes). p is an array of checklists, written together: one statement per table for the
-- whole batch (src/modules/intake/intake-batcher.ts gathers the requests that arrive while earlier
-- ones are being stored); a checklist alone is an array of one. Each checklist keeps its own
-- outcome: one stopped by a check writes nothing, and the others go ahead.
-- The lock order: the (user, key) advisory locks, the date-of-birth advisory locks in key order,
-- people's rows in id order, then live referrals in id order. The age band and the submitter's
-- organisation at the time are the checklist's own facts.
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

-- A person's age band on a day, from their date of birth (NULL when it is not known). One
-- expression, so that Postgres inlines it into the statement that calls it instead of planning
-- a function body for every statement.
CREATE OR REPLACE FUNCTION signpost_age_band(dob date, at timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
  SELECT (ARRAY['under 50', '50 to 59', '60 to 64', '65 to 69', '70 to 74', '75 to 79', '80 to 84', '85 to 89', '90 and over'])
         [1 + width_bucket(date_part('year', age((at AT TIME ZONE 'Europe/London')::date, dob))::int, ARRAY[50, 60, 65, 70, 75, 80, 85, 90])]
$function$;

CREATE OR REPLACE FUNCTION signpost_intake(p jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 -- Every statement below reads the batch through array parameters and reaches the big tables by
 -- index on them alone, so one generic plan each serves every batch: a custom plan per call
 -- (what the planner picks when it guesses generate_series' rows) cost more than the writes.
 -- A plan made while a table was nearly empty is made again when autovacuum analyses it.
 SET plan_cache_mode TO force_generic_plan
AS $function$
DECLARE
  -- p: an array of checklists (an object, from a process started before batching, is one)
  it jsonb[];
  size int;
  -- per checklist n (1..size), as the application sent it
  uid uuid[];
  sid uuid[];
  received timestamptz[];
  dob date[];
  nhs text[];
  nf text[];
  ng text[];
  npc text[];
  -- per checklist, as decided here
  outcome text[];        -- NULL while it goes ahead; else why it stopped, and nothing of it is written
  pid uuid[];            -- its person
  matched text[];        -- 'new', 'sure' or 'likely' (NULL when it stopped)
  sub_status text[];
  open_agencies jsonb[]; -- its agencies that already have a live referral for the person
  already jsonb[];       -- those live referrals, for the reply
  made jsonb[];          -- the ids of the referrals it made
  lock_key bigint;
  replies jsonb;
BEGIN
  IF jsonb_typeof(p) = 'object' THEN
    -- one checklist from a process started before batching: its result as that process reads
    -- it, with the whole reply (such a process always sends the reply it built)
    replies := signpost_intake(jsonb_build_array(p))->0;
    IF replies->>'outcome' <> 'inserted' THEN
      RETURN replies;
    END IF;
    RETURN jsonb_build_object('outcome', 'inserted', 'match', replies->'match', 'reply',
      (p->'responseBody') || jsonb_build_object(
        'personId', replies->'personId', 'status', replies->'status', 'alreadyOpen', replies->'alreadyOpen',
        'referrals', (SELECT coalesce(jsonb_agg(t.e ORDER BY t.ord), '[]')
                        FROM jsonb_array_elements(p->'responseBody'->'referrals') WITH ORDINALITY AS t(e, ord)
                       WHERE (replies->'made') @> (t.e->'id'))));
  END IF;

  -- What stops a checklist before anything is written, checked in this order:
  --  'retry': an earlier checklist of this batch has its date of birth, NHS number or (user, key),
  --    so the two could be one person or one request: the application sends it again on its own;
  --  'in_flight': a request with its Idempotency-Key holds the key's lock;
  --  'not_current': its questionnaire version is no longer current;
  --  'key_exists': its Idempotency-Key was used (read under the key's lock, in a statement of its
  --    own: see below);
  --  'capacity_changed': an agency's capacity (as src/kernel/capacity.ts reads it: never said, or
  --    closed until a day that has come, is accepting) or contact clock changed since routing read
  --    it, and the application routes it again from a fresh read. Not locked (FOR SHARE on rows
  --    every intake reads would make each intake a MultiXact writer): a change committed within
  --    this one statement is caught by the forward worker.
  SELECT array_agg(b.c ORDER BY b.n), array_agg(b.uid ORDER BY b.n), array_agg(b.sid ORDER BY b.n),
         array_agg(b.received ORDER BY b.n), array_agg(b.dob ORDER BY b.n), array_agg(b.nhs ORDER BY b.n),
         array_agg(b.nf ORDER BY b.n), array_agg(b.ng ORDER BY b.n), array_agg(b.npc ORDER BY b.n),
         array_agg(CASE
           WHEN b.twin THEN 'retry'
           WHEN b.k IS NOT NULL AND NOT pg_try_advisory_xact_lock(hashtextextended(b.uid::text || ':' || b.k, 0)) THEN 'in_flight'
           WHEN NOT EXISTS (SELECT 1 FROM questionnaires q WHERE q.id = (b.c->'submission'->>'questionnaire_id')::uuid AND q.is_current) THEN 'not_current'
           WHEN EXISTS (
             SELECT 1
               FROM jsonb_to_recordset(coalesce(b.c->'capacitySeen', '[]'))
                    AS x(agency_id uuid, status text, wait_weeks int, closed_until date, contact_days int, contact_clock text)
               JOIN agencies a ON a.id = x.agency_id
               LEFT JOIN agency_capacity c ON c.agency_id = x.agency_id
               -- the London day by the application's clock: capacity is read for it, as routing read it
               CROSS JOIN LATERAL (SELECT signpost_capacity_now(c.status, c.closed_until, ((b.c->>'now')::timestamptz AT TIME ZONE 'Europe/London')::date) AS status) e
              WHERE x.status IS DISTINCT FROM e.status
                 OR (e.status = 'waiting_list' AND x.wait_weeks IS DISTINCT FROM c.wait_weeks)
                 OR (e.status = 'closed' AND x.closed_until IS DISTINCT FROM c.closed_until)
                 OR x.contact_days IS DISTINCT FROM a.contact_days
                 OR x.contact_clock IS DISTINCT FROM a.contact_clock) THEN 'capacity_changed'
         END ORDER BY b.n)
    INTO it, uid, sid, received, dob, nhs, nf, ng, npc, outcome
    FROM (SELECT e.n, e.c, e.c->>'idempotencyKey' AS k,
                 (e.c->>'userId')::uuid AS uid, (e.c->'submission'->>'id')::uuid AS sid, (e.c->>'receivedAt')::timestamptz AS received,
                 (e.c->'person'->>'date_of_birth')::date AS dob, e.c->'person'->>'nhs_number' AS nhs,
                 e.c->'person'->>'norm_family' AS nf, e.c->'person'->>'norm_given' AS ng, e.c->'person'->>'norm_postcode' AS npc,
                 row_number() OVER (PARTITION BY (e.c->'person'->>'date_of_birth')::date ORDER BY e.n) > 1
                 OR (e.c->'person'->>'nhs_number' IS NOT NULL
                     AND row_number() OVER (PARTITION BY e.c->'person'->>'nhs_number' ORDER BY e.n) > 1)
                 OR (e.c->>'idempotencyKey' IS NOT NULL
                     AND row_number() OVER (PARTITION BY e.c->>'userId', e.c->>'idempotencyKey' ORDER BY e.n) > 1) AS twin
            FROM jsonb_array_elements(p) WITH ORDINALITY AS e(c, n)) b;
  size := coalesce(cardinality(it), 0);
  -- Whether the key was used is read only now, in a new statement: the one above took its snapshot
  -- before it took the key's lock, and a request holding that lock may have stored its key and
  -- committed in between (its lock goes only after its commit is visible). Read in that old
  -- snapshot, the key looked unused, and the insert below met its row: a unique violation, a 500
  -- for a request that should have had the stored reply.
  SELECT array_agg(CASE
           WHEN (outcome[n] IS NULL OR outcome[n] = 'capacity_changed')
            AND it[n]->>'idempotencyKey' IS NOT NULL
            AND EXISTS (SELECT 1 FROM idempotency_keys i WHERE i.user_id = uid[n] AND i.key = it[n]->>'idempotencyKey')
           THEN 'key_exists' ELSE outcome[n] END ORDER BY n)
    INTO outcome
    FROM generate_series(1, size) AS n;
  IF NOT EXISTS (SELECT 1 FROM unnest(outcome) AS o WHERE o IS NULL) THEN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('outcome', o) ORDER BY n), '[]') FROM unnest(outcome) WITH ORDINALITY AS x(o, n));
  END IF;

  -- One person. Every rule below needs the same date of birth (or the same NHS number with the
  -- same date of birth), so checklists that could be the same person wait for each other here,
  -- and so does the erasure of a person with this date of birth (src/modules/people/erasure.service.ts).
  -- The locks are taken in key order, so two batches never wait for each other both ways.
  FOR lock_key IN
    SELECT DISTINCT hashtextextended('signpost-person:' || dob[n]::text, 0)
      FROM generate_series(1, size) AS n WHERE outcome[n] IS NULL ORDER BY 1
  LOOP
    PERFORM pg_advisory_xact_lock(lock_key);
  END LOOP;

  -- A record merged into another keeps its details, so that they still find the person: a match
  -- on it is a match on the record it was merged into. An erased record matches nothing.
  SELECT array_agg(m.pid ORDER BY n) INTO pid
    FROM generate_series(1, size) AS n
    CROSS JOIN LATERAL (
      SELECT coalesce(
        (SELECT coalesce(o.merged_into, o.id) FROM people o
          WHERE outcome[n] IS NULL AND nhs[n] IS NOT NULL
            AND o.nhs_number = nhs[n] AND o.date_of_birth = dob[n] AND o.erased_at IS NULL
          ORDER BY o.merged_into IS NOT NULL, o.created_at, o.id LIMIT 1),
        (SELECT coalesce(o.merged_into, o.id) FROM people o
          WHERE outcome[n] IS NULL
            AND o.date_of_birth = dob[n] AND o.norm_family = nf[n] AND o.norm_given = ng[n] AND o.norm_postcode = npc[n]
            AND o.erased_at IS NULL
            AND (nhs[n] IS NULL OR o.nhs_number IS NULL OR o.nhs_number = nhs[n])
          ORDER BY o.merged_into IS NOT NULL, o.created_at, o.id LIMIT 1)) AS pid) m;
  -- the records they resolve to, locked (in id order) for the update below, and never an erased one
  IF EXISTS (SELECT 1 FROM unnest(pid) AS x WHERE x IS NOT NULL) THEN
    SELECT array_agg(l.id ORDER BY n) INTO pid
      FROM generate_series(1, size) AS n
      LEFT JOIN (SELECT o.id FROM people o WHERE o.id = ANY (pid) AND o.erased_at IS NULL ORDER BY o.id FOR NO KEY UPDATE) l
        ON l.id = pid[n];
  END IF;
  -- a checklist for nobody known makes its person
  SELECT array_agg(CASE WHEN outcome[n] IS NOT NULL THEN NULL WHEN pid[n] IS NOT NULL THEN 'sure' ELSE 'new' END ORDER BY n),
         array_agg(CASE WHEN outcome[n] IS NULL THEN coalesce(pid[n], (it[n]->'person'->>'id')::uuid) END ORDER BY n)
    INTO matched, pid
    FROM generate_series(1, size) AS n;

  -- One live referral per person per agency: a "yes" for an agency already helping them is
  -- recorded on the live referral instead. Found and locked in one step (a referral that closes
  -- meanwhile is read again and drops out), in id order.
  open_agencies := array_fill('[]'::jsonb, ARRAY[size]);
  already := open_agencies;
  IF 'sure' = ANY (matched) THEN
    WITH live AS (
      SELECT n, r.id, r.reference, r.agency_id, r.status, r.received_at
        FROM generate_series(1, size) AS n
        JOIN submissions s ON s.person_id = pid[n]
        JOIN referrals r ON r.submission_id = s.id
       WHERE matched[n] = 'sure'
         AND r.status NOT IN ('completed', 'unable_to_contact', 'declined', 'rerouted', 'cancelled')
         AND r.agency_id IN (SELECT x.agency_id FROM jsonb_to_recordset(it[n]->'referrals') AS x(agency_id uuid))
       ORDER BY r.id
         FOR SHARE OF r)
    SELECT array_agg(coalesce(l.agencies, '[]') ORDER BY g.n), array_agg(coalesce(l.refs, '[]') ORDER BY g.n)
      INTO open_agencies, already
      FROM generate_series(1, size) AS g(n)
      LEFT JOIN (SELECT live.n, jsonb_agg(live.agency_id) AS agencies,
                        jsonb_agg(jsonb_build_object('id', live.id, 'reference', live.reference, 'agencyId', live.agency_id, 'status', live.status)
                                  ORDER BY live.received_at, live.reference) AS refs
                   FROM live GROUP BY live.n) l ON l.n = g.n;
  END IF;
  -- every need already open elsewhere: the checklist has nothing of its own to follow
  SELECT array_agg(CASE
           WHEN it[n]->'submission'->>'status' = 'open' AND NOT EXISTS (
                  SELECT 1 FROM jsonb_to_recordset(it[n]->'referrals') AS x(agency_id uuid)
                   WHERE NOT open_agencies[n] @> to_jsonb(x.agency_id)) THEN 'closed'
           ELSE it[n]->'submission'->>'status' END ORDER BY n)
    INTO sub_status
    FROM generate_series(1, size) AS n;

  IF 'sure' = ANY (matched) THEN
    -- A known person: the latest details. What each checklist said stays in person_versions:
    -- the details this checklist replaces become the first one's version if it has none
    -- (people/sql/person-versions.sql), and this checklist's become its own.
    PERFORM signpost_keep_first_version(pid[n]) FROM generate_series(1, size) AS n WHERE matched[n] = 'sure' ORDER BY pid[n];
    UPDATE people o SET
        given_name = per->>'given_name', family_name = per->>'family_name', postcode = per->>'postcode',
        norm_given = ng[n], norm_family = nf[n], norm_postcode = npc[n],
        phone = coalesce(per->>'phone', o.phone), email = coalesce(per->>'email', o.email),
        address_line = coalesce(per->>'address_line', o.address_line),
        preferred_contact = per->>'preferred_contact',
        language = coalesce(per->>'language', o.language), access_needs = coalesce(per->>'access_needs', o.access_needs),
        nhs_number = coalesce(nhs[n], o.nhs_number),
        inactive_since = CASE WHEN sub_status[n] = 'open' OR o.inactive_since IS NULL THEN NULL ELSE received[n] END,
        updated_at = received[n]
      FROM (SELECT n, it[n]->'person' AS per FROM generate_series(1, size) AS n WHERE matched[n] = 'sure') x
     WHERE o.id = pid[x.n] AND o.erased_at IS NULL;
  END IF;

  IF 'new' = ANY (matched) THEN
    -- A new person: their own record; and likely the same person as someone known: flagged for a
    -- coordinator, never linked automatically. The candidates come first, by index
    -- (people_nhs_idx, people_dob_idx), and apart (OFFSET 0: no condition of the rule below is
    -- pushed into them), so that a match costs what one birthday's people cost.
    WITH person AS (
      INSERT INTO people (id, given_name, family_name, date_of_birth, postcode, phone, email, address_line,
                          preferred_contact, language, access_needs, nhs_number, norm_given, norm_family, norm_postcode,
                          inactive_since, created_at, updated_at)
        SELECT pid[n], per->>'given_name', per->>'family_name', dob[n], per->>'postcode', per->>'phone', per->>'email',
               per->>'address_line', per->>'preferred_contact', per->>'language', per->>'access_needs', nhs[n], ng[n], nf[n], npc[n],
               CASE WHEN sub_status[n] = 'open' THEN NULL ELSE received[n] END, received[n], received[n]
          FROM (SELECT n, it[n]->'person' AS per FROM generate_series(1, size) AS n WHERE matched[n] = 'new') x),
    flagged AS (
      INSERT INTO person_match_flags (id, person_id, candidate_id, reason, status, created_at)
        SELECT gen_random_uuid(), pid[n], c.id, c.reason, 'open', received[n]
          FROM generate_series(1, size) AS n
          CROSS JOIN LATERAL (
            SELECT o.id, CASE
                WHEN nhs[n] IS NOT NULL AND o.nhs_number = nhs[n] THEN 'same NHS number, another date of birth'
                WHEN o.norm_family = nf[n] AND o.norm_given = ng[n] THEN 'same name and date of birth, another postcode'
                WHEN o.norm_family = ng[n] AND o.norm_given = nf[n] THEN 'same date of birth and postcode, names the other way round'
                WHEN o.norm_family = nf[n] THEN 'same family name, date of birth and postcode, another given name'
                WHEN levenshtein(o.norm_family, nf[n]) <= CASE WHEN length(nf[n]) >= 8 THEN 2 ELSE 1 END
                  THEN 'same date of birth and postcode, a family name that differs a little'
                ELSE 'same date of birth, postcode and given name, another family name' END AS reason
              FROM (SELECT c.* FROM people c WHERE nhs[n] IS NOT NULL AND c.nhs_number = nhs[n]
                    UNION
                    SELECT c.* FROM people c WHERE c.date_of_birth = dob[n] AND c.erased_at IS NULL
                    OFFSET 0) o
             WHERE o.id <> pid[n] AND o.merged_into IS NULL AND o.erased_at IS NULL
               AND ((nhs[n] IS NOT NULL AND o.nhs_number = nhs[n])
                 OR (o.date_of_birth = dob[n]
                     AND (nhs[n] IS NULL OR o.nhs_number IS NULL OR o.nhs_number = nhs[n])
                     AND ((o.norm_family = nf[n] AND o.norm_given = ng[n])
                       OR (o.norm_postcode = npc[n] AND (
                            (o.norm_family = ng[n] AND o.norm_given = nf[n])
                         OR levenshtein(o.norm_family, nf[n]) <= CASE WHEN length(nf[n]) >= 8 THEN 2 ELSE 1 END
                         OR levenshtein(o.norm_given, ng[n]) <= CASE WHEN length(ng[n]) >= 8 THEN 2 ELSE 1 END)))))
             ORDER BY o.created_at, o.id
             LIMIT 5) c
         WHERE matched[n] = 'new'
        RETURNING person_id)
    SELECT array_agg(CASE WHEN f.person_id IS NOT NULL THEN 'likely' ELSE matched[n] END ORDER BY n)
      INTO matched
      FROM generate_series(1, size) AS n
      LEFT JOIN (SELECT DISTINCT person_id FROM flagged) f ON f.person_id = pid[n] AND matched[n] = 'new';
  END IF;

  -- The checklists, with how each came in and who referred it (the organisation falls back to
  -- the submitter's, by the submissions_organisation trigger), what a known person's details were
  -- in each, and each consent.
  WITH submission AS (
    INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status,
                             received_at, closed_at, age_band, postcode_district,
                             channel, referrer_name, referrer_organisation_text, organisation_id, entered_at)
      SELECT sid[n], sub->>'reference', (sub->>'questionnaire_id')::uuid, pid[n], uid[n], sub->'answers', sub->'consent', sub_status[n],
             received[n], CASE WHEN sub_status[n] = 'closed' THEN received[n] END, signpost_age_band(dob[n], received[n]),
             split_part(it[n]->'person'->>'postcode', ' ', 1),
             coalesce(it[n]->>'channel', 'api'), it[n]->'referrer'->>'name', it[n]->'referrer'->>'organisationText',
             (it[n]->'referrer'->>'organisationId')::uuid, (it[n]->>'enteredAt')::timestamptz
        FROM (SELECT n, it[n]->'submission' AS sub FROM generate_series(1, size) AS n WHERE outcome[n] IS NULL) x),
  version AS (
    INSERT INTO person_versions (id, person_id, submission_id, recorded_at, given_name, family_name, date_of_birth, postcode,
                                 phone, email, address_line, preferred_contact, language, access_needs, nhs_number)
      SELECT (per->>'version_id')::uuid, pid[n], sid[n], received[n], per->>'given_name', per->>'family_name', dob[n], per->>'postcode',
             per->>'phone', per->>'email', per->>'address_line', per->>'preferred_contact', per->>'language', per->>'access_needs', nhs[n]
        FROM (SELECT n, it[n]->'person' AS per FROM generate_series(1, size) AS n WHERE matched[n] = 'sure') x)
  INSERT INTO consents (id, person_id, submission_id, given_by, representative_name, representative_relationship,
                        sharing_agreed, agency_ids, given_at, recorded_by, created_at)
    SELECT (con->>'id')::uuid, pid[n], sid[n], con->>'given_by', con->>'representative_name', con->>'representative_relationship',
           (con->>'sharing_agreed')::boolean,
           ARRAY(SELECT x.agency_id FROM jsonb_to_recordset(it[n]->'referrals') AS x(agency_id uuid)),
           (con->>'given_at')::timestamptz, uid[n], received[n]
      FROM (SELECT n, it[n]->'consent' AS con FROM generate_series(1, size) AS n WHERE outcome[n] IS NULL) x;

  -- The referrals each checklist makes, with the hub's promise computed for each by the
  -- application (src/kernel/promise.ts): stored, and read by every surface from here on; each
  -- with its first event.
  WITH referral AS (
    INSERT INTO referrals (id, reference, submission_id, agency_id, question_ids, status, received_at,
                           forward_due_at, contact_due_at, held_until, updated_at)
      SELECT x.id, x.reference, sid[n], x.agency_id, x.question_ids, 'pending', received[n],
             x.forward_due_at, x.contact_due_at, x.held_until, received[n]
        FROM generate_series(1, size) AS n
        CROSS JOIN LATERAL jsonb_to_recordset(it[n]->'referrals')
             AS x(id uuid, reference text, agency_id uuid, question_ids uuid[], forward_due_at timestamptz, contact_due_at timestamptz, held_until date)
       WHERE outcome[n] IS NULL AND NOT open_agencies[n] @> to_jsonb(x.agency_id)
      RETURNING id, submission_id),
  made_by AS (
    SELECT n, r.id FROM referral r JOIN generate_series(1, size) AS n ON sid[n] = r.submission_id),
  event AS (
    INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status)
      SELECT m.id, received[m.n], uid[m.n], it[m.n]->>'actorLabel', NULL, 'pending' FROM made_by m)
  SELECT array_agg(coalesce(x.ids, '[]') ORDER BY g.n) INTO made
    FROM generate_series(1, size) AS g(n)
    LEFT JOIN (SELECT m.n, jsonb_agg(m.id) AS ids FROM made_by m GROUP BY m.n) x ON x.n = g.n;

  -- a live referral hears that the person was referred again, and by whom
  IF EXISTS (SELECT 1 FROM unnest(already) AS a WHERE a <> '[]') THEN
    WITH repeat AS (
      INSERT INTO referral_repeats (submission_id, referral_id, question_ids, at)
        SELECT sid[n], (e->>'id')::uuid, x.question_ids, received[n]
          FROM generate_series(1, size) AS n
          CROSS JOIN LATERAL jsonb_array_elements(already[n]) e
          JOIN LATERAL jsonb_to_recordset(it[n]->'referrals') AS x(agency_id uuid, question_ids uuid[]) ON x.agency_id = (e->>'agencyId')::uuid
         WHERE outcome[n] IS NULL)
    INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status, reason, note)
      SELECT (e->>'id')::uuid, received[n], uid[n], it[n]->>'actorLabel', e->>'status', e->>'status', 'referred_again',
             'Referred again in checklist ' || (it[n]->'submission'->>'reference') || ' by ' || (it[n]->>'actorLabel')
        FROM generate_series(1, size) AS n CROSS JOIN LATERAL jsonb_array_elements(already[n]) e
       WHERE outcome[n] IS NULL;
  END IF;
  -- what capacity meant for a referral it made (a fallback used, a closed agency's hold, a
  -- waiting list), and the "routed" event that says so
  IF EXISTS (SELECT 1 FROM unnest(it) AS c WHERE c->'routing' <> '[]') THEN
    WITH routing AS (
      SELECT n, x.* FROM generate_series(1, size) AS n
        CROSS JOIN LATERAL jsonb_to_recordset(coalesce(it[n]->'routing', '[]'))
             AS x(referral_id uuid, capacity text, wait_weeks int, closed_until date, fallbacks jsonb, reason text, note text)
       WHERE outcome[n] IS NULL AND made[n] @> to_jsonb(x.referral_id)),
    stored AS (
      INSERT INTO referral_routings (referral_id, capacity, wait_weeks, closed_until, fallbacks, note)
        SELECT referral_id, capacity, wait_weeks, closed_until, coalesce(fallbacks, '[]'), note FROM routing)
    INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status, reason, note)
      SELECT referral_id, received[n], uid[n], it[n]->>'actorLabel', 'pending', 'pending', reason, note
        FROM routing WHERE reason IS NOT NULL;
  END IF;
  -- ONS4 answers at the checklist (health data)
  IF EXISTS (SELECT 1 FROM unnest(it) AS c WHERE jsonb_typeof(c->'wellbeing') = 'object') THEN
    INSERT INTO wellbeing_scores (id, occasion, person_id, submission_id, measured_at, recorded_by,
                                  life_satisfaction, worthwhile, happy, anxious)
      SELECT (w->>'id')::uuid, 'checklist', pid[n], sid[n], received[n], uid[n],
             (w->>'life_satisfaction')::smallint, (w->>'worthwhile')::smallint, (w->>'happy')::smallint, (w->>'anxious')::smallint
        FROM (SELECT n, it[n]->'wellbeing' AS w FROM generate_series(1, size) AS n WHERE outcome[n] IS NULL) x
       WHERE jsonb_typeof(w) = 'object';
  END IF;

  -- What only the database knew, for the application to complete each reply with (the person,
  -- the status, the live referrals joined, the referrals made); and, for a checklist sent with an
  -- Idempotency-Key, the whole reply as the application will give it, kept for a replay.
  WITH result AS (
    SELECT n, CASE WHEN outcome[n] IS NOT NULL THEN jsonb_build_object('outcome', outcome[n])
                ELSE jsonb_build_object('outcome', 'inserted', 'match', matched[n], 'personId', pid[n],
                                        'status', sub_status[n], 'alreadyOpen', already[n], 'made', made[n]) END AS r
      FROM generate_series(1, size) AS n),
  idempotency AS (
    INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_body, created_at, expires_at)
      SELECT uid[n], it[n]->>'idempotencyKey', it[n]->>'fingerprint', 201,
             (it[n]->'responseBody') || jsonb_build_object(
               'personId', pid[n],
               'status', sub_status[n],
               'alreadyOpen', already[n],
               'referrals', (SELECT coalesce(jsonb_agg(t.e ORDER BY t.ord), '[]')
                               FROM jsonb_array_elements(it[n]->'responseBody'->'referrals') WITH ORDINALITY AS t(e, ord)
                              WHERE made[n] @> (t.e->'id'))),
             received[n], (it[n]->>'expiresAt')::timestamptz
        FROM generate_series(1, size) AS n
       WHERE outcome[n] IS NULL AND it[n]->>'idempotencyKey' IS NOT NULL)
  SELECT jsonb_agg(r ORDER BY n) INTO replies FROM result;
  RETURN replies;
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
