/**
 * ONS4 personal wellbeing: the four ONS questions (life satisfaction, worthwhile, happy
 * yesterday, anxious yesterday; 0 to 10 each, each optional) asked at the checklist and again
 * at the hub's follow-up call. Health data (special category): one row per occasion per
 * checklist, the person's, removed by erasure and retention.
 *
 *  - wellbeing_scores: occasion 'checklist' (written by the intake, measured when the checklist
 *    was received) or 'follow_up' (written when the call is recorded, with the follow-up's id).
 *    At most one row per checklist and occasion; a row holds at least one answer.
 *  - wellbeing_scores_checklist_idx: the change report selects pairs by the checklist's time
 *    (literal predicate, rule 8), so a period costs what it holds; the follow-up end is found
 *    by the unique (submission_id, occasion) index.
 *  - signpost_intake(p) becomes a wrapper: the function as it stood is renamed
 *    signpost_intake_before_wellbeing and called first; when it created the submission, the
 *    wrapper writes p->'wellbeing' (if any) in the same statement: one round trip, one commit.
 */
import { sql, type Kysely } from 'kysely';

const score = (c: string) => `${c} smallint CHECK (${c} BETWEEN 0 AND 10)`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    CREATE TABLE wellbeing_scores (
      id uuid PRIMARY KEY,
      occasion text NOT NULL CHECK (occasion IN ('checklist', 'follow_up')),
      person_id uuid NOT NULL REFERENCES people (id),
      submission_id uuid NOT NULL REFERENCES submissions (id),
      follow_up_id uuid REFERENCES follow_ups (id),
      measured_at timestamptz NOT NULL,
      recorded_by uuid NOT NULL REFERENCES users (id),
      ${score('life_satisfaction')},
      ${score('worthwhile')},
      ${score('happy')},
      ${score('anxious')},
      CHECK ((occasion = 'follow_up') = (follow_up_id IS NOT NULL)),
      CHECK (num_nonnulls(life_satisfaction, worthwhile, happy, anxious) > 0),
      UNIQUE (submission_id, occasion)
    );
    CREATE INDEX wellbeing_scores_checklist_idx ON wellbeing_scores (measured_at) WHERE occasion = 'checklist';
    CREATE INDEX wellbeing_scores_person_idx ON wellbeing_scores (person_id);

    ALTER FUNCTION signpost_intake(jsonb) RENAME TO signpost_intake_before_wellbeing;
    CREATE FUNCTION signpost_intake(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
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
    $fn$;
  `).execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP FUNCTION signpost_intake(jsonb);
    ALTER FUNCTION signpost_intake_before_wellbeing(jsonb) RENAME TO signpost_intake;
    DROP TABLE wellbeing_scores;
  `.execute(db);
}
