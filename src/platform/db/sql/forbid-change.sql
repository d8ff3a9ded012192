-- A table that is history, appended to and never changed: its guard refuses UPDATE, DELETE and
-- TRUNCATE (each module names its own tables).
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

CREATE OR REPLACE FUNCTION forbid_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    BEGIN
      RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $function$;
