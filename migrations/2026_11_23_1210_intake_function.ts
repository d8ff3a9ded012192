/**
 * The intake write as one PL/pgSQL function: one short statement on the wire, plans cached per
 * connection, one round trip and one commit per submission. Routing and validation stay in
 * TypeScript (src/modules/intake/); this function only stores what it is handed,
 * atomically, under the guards below. It returns one word: inserted | in_flight |
 * not_current | key_exists.
 *  - in_flight: another request holds the (user, Idempotency-Key) advisory lock right now;
 *  - not_current: the questionnaire is no longer the current version (a publish raced us);
 *  - key_exists: the key was used before; the caller replays or answers 422.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION signpost_intake(p jsonb) RETURNS text LANGUAGE plpgsql AS $fn$
    DECLARE
      k text := p->>'idempotencyKey';
      uid uuid := (p->>'userId')::uuid;
      received timestamptz := (p->>'receivedAt')::timestamptz;
      sub jsonb := p->'submission';
    BEGIN
      IF k IS NOT NULL AND NOT pg_try_advisory_xact_lock(hashtextextended(uid::text || ':' || k, 0)) THEN
        RETURN 'in_flight';
      END IF;
      PERFORM 1 FROM questionnaires WHERE id = (sub->>'questionnaire_id')::uuid AND is_current;
      IF NOT FOUND THEN
        RETURN 'not_current';
      END IF;
      IF k IS NOT NULL THEN
        INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_body, created_at, expires_at)
        VALUES (uid, k, p->>'fingerprint', 201, p->'responseBody', received, (p->>'expiresAt')::timestamptz)
        ON CONFLICT (user_id, key) DO NOTHING;
        IF NOT FOUND THEN
          RETURN 'key_exists';
        END IF;
      END IF;
      INSERT INTO people SELECT * FROM jsonb_populate_record(NULL::people, p->'person');
      INSERT INTO submissions SELECT * FROM jsonb_populate_record(NULL::submissions, sub);
      INSERT INTO referrals (id, reference, submission_id, agency_id, question_ids, status, received_at, forward_due_at, updated_at)
        SELECT x.id, x.reference, (sub->>'id')::uuid, x.agency_id, x.question_ids, 'pending', received, x.forward_due_at, received
        FROM jsonb_to_recordset(p->'referrals') AS x(id uuid, reference text, agency_id uuid, question_ids uuid[], forward_due_at timestamptz);
      INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status)
        SELECT x.id, received, uid, p->>'actorLabel', NULL, 'pending'
        FROM jsonb_to_recordset(p->'referrals') AS x(id uuid);
      RETURN 'inserted';
    END
    $fn$;
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION signpost_intake(jsonb)`.execute(db);
}
