-- An agency's capacity as it reads on a London day: what it said (no row: NULL), except that a
-- closing date that has come reads as accepting. The same rule as src/kernel/capacity.ts
-- effectiveCapacity, which the application routes with; the intake statement checks with this
-- one (test/one-rule-two-languages.test.ts holds the two together, case by case).
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

CREATE OR REPLACE FUNCTION signpost_capacity_now(status text, closed_until date, today date)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT CASE WHEN status IS NULL OR (status = 'closed' AND closed_until <= today) THEN 'accepting' ELSE status END
$function$;
