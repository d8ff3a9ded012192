-- What each agency said of its capacity, and when, is history: appended to, never changed.
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

CREATE OR REPLACE TRIGGER agency_capacity_changes_append_only BEFORE DELETE OR UPDATE ON agency_capacity_changes FOR EACH ROW EXECUTE FUNCTION forbid_change();
