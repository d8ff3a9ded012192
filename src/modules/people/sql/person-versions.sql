-- A person known from one checklist has no version: their row is what it said. Before the row
-- stops being the only record of it (a second checklist changes it, in the intake statement; or
-- a merge), it becomes that checklist's version. Once: a person with a version is left alone.
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

CREATE OR REPLACE FUNCTION signpost_keep_first_version(pid uuid)
 RETURNS void
 LANGUAGE sql
AS $function$
  INSERT INTO person_versions (id, person_id, submission_id, recorded_at, given_name, family_name, date_of_birth, postcode,
                               phone, email, address_line, preferred_contact, language, access_needs, nhs_number)
    SELECT gen_random_uuid(), o.id, f.id, f.received_at, o.given_name, o.family_name, o.date_of_birth, o.postcode,
           o.phone, o.email, o.address_line, o.preferred_contact, o.language, o.access_needs, o.nhs_number
      FROM people o
      JOIN LATERAL (SELECT s.id, s.received_at FROM submissions s WHERE s.person_id = o.id
                     ORDER BY s.received_at, s.id LIMIT 1) f ON true
     WHERE o.id = pid AND o.erased_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM person_versions v WHERE v.person_id = o.id)
$function$;
