import { sql } from 'kysely';
import type { Consent, Executor, PreferredContact } from './database.js';

export interface IntakeRow {
  userId: string;
  actorLabel: string;
  idempotency: { key: string; fingerprint: string; responseBody: unknown; expiresAt: Date } | null;
  questionnaireId: string;
  person: {
    id: string;
    givenName: string;
    familyName: string;
    dateOfBirth: string;
    postcode: string;
    phone: string | null;
    email: string | null;
    addressLine: string | null;
    preferredContact: PreferredContact;
    language: string | null;
    accessNeeds: string | null;
  };
  submission: {
    id: string;
    reference: string;
    answers: Record<string, boolean>;
    consent: Consent;
    status: 'open' | 'no_needs_identified';
    receivedAt: Date;
  };
  referrals: { id: string; reference: string; agencyId: string; questionIds: string[]; forwardDueAt: Date }[];
}

export type IntakeResult =
  | { outcome: 'inserted' }
  | { outcome: 'in_flight' }
  | { outcome: 'not_current' }
  | { outcome: 'key_exists' };

/**
 * The whole intake in ONE statement, so ONE round trip and ONE commit: the idempotency key,
 * the person, the submission, its referrals and their `created` events. A statement is atomic:
 * it all lands or nothing does. Guards, evaluated inside the statement:
 *  - the questionnaire must still be the current one (publishing races are caught here);
 *  - with an Idempotency-Key, a transaction-level advisory lock on (user, key) tells a request
 *    still in flight (lock held) from a replay (key row exists), and ON CONFLICT DO NOTHING on
 *    the key makes every insert below it conditional on the key being new.
 * Foreign keys between rows inserted by sibling CTEs hold: Postgres checks them at statement end.
 */
export async function insertIntake(db: Executor, row: IntakeRow): Promise<IntakeResult> {
  const k = row.idempotency;
  const p = row.person;
  const s = row.submission;
  const refs = JSON.stringify(
    row.referrals.map((r) => ({
      id: r.id,
      reference: r.reference,
      agency_id: r.agencyId,
      question_ids: r.questionIds,
      forward_due_at: r.forwardDueAt.toISOString(),
    })),
  );
  const { rows } = await sql<{ got: boolean; current: boolean; inserted: boolean }>`
    WITH lock AS MATERIALIZED (
      SELECT CASE WHEN ${k?.key ?? null}::text IS NULL THEN true
                  ELSE pg_try_advisory_xact_lock(hashtextextended(${row.userId}::text || ':' || ${k?.key ?? null}::text, 0))
             END AS got
    ),
    q AS MATERIALIZED (
      SELECT id FROM questionnaires WHERE id = ${row.questionnaireId}::uuid AND is_current
    ),
    idem AS (
      INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_body, created_at, expires_at)
      SELECT ${row.userId}::uuid, ${k?.key ?? null}::text, ${k?.fingerprint ?? null}::text, 201,
             ${k ? JSON.stringify(k.responseBody) : null}::jsonb, ${s.receivedAt}::timestamptz, ${k?.expiresAt ?? null}::timestamptz
      FROM lock, q WHERE lock.got AND ${k?.key ?? null}::text IS NOT NULL
      ON CONFLICT (user_id, key) DO NOTHING
      RETURNING 1
    ),
    go AS MATERIALIZED (
      SELECT 1 AS ok FROM lock, q
      WHERE lock.got AND (${k?.key ?? null}::text IS NULL OR EXISTS (SELECT 1 FROM idem))
    ),
    person AS (
      INSERT INTO people (id, given_name, family_name, date_of_birth, postcode, phone, email, address_line,
                          preferred_contact, language, access_needs, created_at)
      SELECT ${p.id}::uuid, ${p.givenName}, ${p.familyName}, ${p.dateOfBirth}::date, ${p.postcode}, ${p.phone},
             ${p.email}, ${p.addressLine}, ${p.preferredContact}, ${p.language}, ${p.accessNeeds}, ${s.receivedAt}::timestamptz
      FROM go
      RETURNING id
    ),
    sub AS (
      INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status, received_at)
      SELECT ${s.id}::uuid, ${s.reference}, ${row.questionnaireId}::uuid, ${p.id}::uuid, ${row.userId}::uuid,
             ${JSON.stringify(s.answers)}::jsonb, ${JSON.stringify(s.consent)}::jsonb, ${s.status}, ${s.receivedAt}::timestamptz
      FROM go
      RETURNING id
    ),
    refs AS (
      SELECT * FROM jsonb_to_recordset(${refs}::jsonb)
        AS x(id uuid, reference text, agency_id uuid, question_ids uuid[], forward_due_at timestamptz)
    ),
    ref AS (
      INSERT INTO referrals (id, reference, submission_id, agency_id, question_ids, status, received_at, forward_due_at, updated_at)
      SELECT refs.id, refs.reference, ${s.id}::uuid, refs.agency_id, refs.question_ids, 'pending',
             ${s.receivedAt}::timestamptz, refs.forward_due_at, ${s.receivedAt}::timestamptz
      FROM go, refs
      RETURNING id
    ),
    ev AS (
      INSERT INTO referral_events (referral_id, at, actor_user_id, actor_label, from_status, to_status)
      SELECT refs.id, ${s.receivedAt}::timestamptz, ${row.userId}::uuid, ${row.actorLabel}, NULL, 'pending'
      FROM go, refs
      RETURNING 1
    )
    SELECT (SELECT got FROM lock) AS got,
           EXISTS (SELECT 1 FROM q) AS current,
           EXISTS (SELECT 1 FROM sub) AS inserted
  `.execute(db);
  const r = rows[0]!;
  if (r.inserted) return { outcome: 'inserted' };
  if (!r.got) return { outcome: 'in_flight' };
  if (!r.current) return { outcome: 'not_current' };
  return { outcome: 'key_exists' };
}

export async function findIdempotencyKey(db: Executor, userId: string, key: string) {
  return db
    .selectFrom('idempotencyKeys')
    .select(['fingerprint', 'responseStatus', 'responseBody'])
    .where('userId', '=', userId)
    .where('key', '=', key)
    .executeTakeFirst();
}

export async function findSubmission(db: Executor, id: string) {
  return db
    .selectFrom('submissions as s')
    .innerJoin('people as p', 'p.id', 's.personId')
    .select([
      's.id',
      's.reference',
      's.questionnaireId',
      's.submittedBy',
      's.status',
      's.receivedAt',
      's.closedAt',
      's.consent',
      'p.givenName',
      'p.familyName',
      'p.preferredContact',
    ])
    .where('s.id', '=', id)
    .executeTakeFirst();
}

export async function findReferralsOfSubmission(db: Executor, submissionId: string) {
  return db
    .selectFrom('referrals as r')
    .innerJoin('agencies as a', 'a.id', 'r.agencyId')
    .select([
      'r.id',
      'r.reference',
      'r.agencyId',
      'a.name as agencyName',
      'r.questionIds',
      'r.status',
      'r.forwardDueAt',
      'r.forwardedAt',
      'r.contactDueAt',
      'r.contactedAt',
      'r.closedAt',
      'r.outcome',
      'r.reroutedFromId',
      'r.reroutedToId',
    ])
    .where('r.submissionId', '=', submissionId)
    // SP-XXXX-XXXX-2 before SP-XXXX-XXXX-10
    .orderBy(sql`length(r.reference)`)
    .orderBy('r.reference')
    .execute();
}
