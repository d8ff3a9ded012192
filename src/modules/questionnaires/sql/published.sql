-- A published checklist version never changes: its sections and questions are frozen once it is
-- published.
-- Current state, applied by migrate after the numbered migrations (src/platform/db/sql-files.ts).

CREATE OR REPLACE FUNCTION forbid_published_questionnaire_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    DECLARE qid uuid;
    BEGIN
      qid := CASE WHEN TG_OP = 'DELETE' THEN OLD.questionnaire_id ELSE NEW.questionnaire_id END;
      IF EXISTS (SELECT 1 FROM questionnaires WHERE id = qid AND status <> 'draft') THEN
        RAISE EXCEPTION 'questionnaire % is published and immutable', qid USING ERRCODE = 'check_violation';
      END IF;
      RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END $function$;

CREATE OR REPLACE TRIGGER sections_immutable BEFORE INSERT OR DELETE OR UPDATE ON questionnaire_sections FOR EACH ROW EXECUTE FUNCTION forbid_published_questionnaire_change();

CREATE OR REPLACE TRIGGER questions_immutable BEFORE INSERT OR DELETE OR UPDATE ON questions FOR EACH ROW EXECUTE FUNCTION forbid_published_questionnaire_change();
