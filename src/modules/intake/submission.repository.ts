/**
 * The people, submissions and idempotency_keys tables. Their first rows (with the referrals'
 * and their events) come from the one-statement intake function; later changes are written here.
 */
import { sql } from 'kysely';
import type { CapacityStatus } from '../../kernel/capacity.js';
import type { Consent, Executor, PreferredContact } from '../../platform/db/database.js';
import { byReference } from '../../platform/db/reference-order.js';

export interface IntakeRow {
  /** the application's clock when the checklist was routed */
  now: Date;
  userId: string;
  actorLabel: string;
  idempotency: { key: string; fingerprint: string; expiresAt: Date } | null;
  /** the reply as built before the person is matched */
  responseBody: unknown;
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
    nhsNumber: string | null;
    normGiven: string;
    normFamily: string;
    normPostcode: string;
    /** the id of this checklist's person_versions row, written when the person was already known */
    versionId: string;
  };
  consent: {
    id: string;
    givenBy: 'person' | 'representative';
    representativeName: string | null;
    representativeRelationship: string | null;
    sharingAgreed: boolean;
    givenAt: string;
  };
  submission: {
    id: string;
    reference: string;
    answers: Record<string, boolean>;
    consent: Consent;
    status: 'open' | 'no_needs_identified';
    receivedAt: Date;
  };
  /** each with the hub's promise (src/kernel/promise.ts), stored as it is */
  referrals: { id: string; reference: string; agencyId: string; questionIds: string[]; forwardDueAt: Date; contactDueAt: Date; heldUntil: string | null }[];
  /** ONS4 answers at the checklist (health data); null when none was answered */
  wellbeing?: { id: string; lifeSatisfaction: number | null; worthwhile: number | null; happy: number | null; anxious: number | null } | null;
  /** the capacities routing relied on, checked by the intake function */
  capacitySeen?: CapacitySeen[];
  /** what capacity meant for each referral that needs saying */
  routing?: RoutingRow[];
}

/** One agency's capacity and contact clock as routing read them (snake_case: the intake function reads it by name). */
export interface CapacitySeen {
  agency_id: string;
  status: string;
  wait_weeks: number | null;
  closed_until: string | null;
  contact_days: number;
  contact_clock: string;
}

export interface RoutingRow {
  referral_id: string;
  capacity: string;
  wait_weeks: number | null;
  closed_until: string | null;
  fallbacks: { fromAgencyId: string; questionIds: string[]; closedUntil: string }[];
  /** the reason of the referral's "routed" event; null: no event (a waiting list) */
  reason: 'routed_to_fallback' | 'agency_closed' | null;
  note: string;
}

/** How a checklist came in, when it is not the API's own path: recorded by the intake function. */
export interface IntakeChannel {
  channel: 'web' | 'api' | 'paper' | 'phone' | 'self_referral';
  referrer?: { organisationId?: string; organisationText?: string; name?: string } | undefined;
  /** when the hub keyed in a checklist it received earlier */
  enteredAt?: Date | undefined;
}

export type IntakeResult =
  | { outcome: 'inserted'; match: 'new' | 'sure' | 'likely'; reply: unknown }
  | { outcome: 'in_flight' }
  | { outcome: 'not_current' }
  /** a capacity routing relied on changed meanwhile: route again from a fresh read */
  | { outcome: 'capacity_changed' }
  | { outcome: 'key_exists' }
  /** another checklist of the same batch could be the same person or request: store it again, on its own */
  | { outcome: 'retry' };

/**
 * Checklists stored in ONE statement, so ONE round trip and ONE commit for all of them: for each,
 * the idempotency key, the person, the submission, its referrals and their events, written by
 * the signpost_intake() function (src/modules/intake/sql/intake.sql). A statement is atomic: it
 * all lands or nothing does; within it each checklist has its own outcome (a checklist stopped by
 * a check writes nothing). The checks: the questionnaire must still be current; with an
 * Idempotency-Key, a transaction-level advisory lock on (user, key) tells a request still in
 * flight (lock held) from a replay (the key row exists); the capacities routing read must hold;
 * two checklists of one batch that could be one person or one request ('retry') are never
 * stored together. Results come back in the order given.
 */
export async function insertIntakes(db: Executor, items: { row: IntakeRow; via?: IntakeChannel | undefined }[]): Promise<IntakeResult[]> {
  const payload = JSON.stringify(items.map((i) => intakePayload(i.row, i.via)));
  const { rows } = await sql<{ result: StoredIntake[] }>`SELECT signpost_intake(${payload}::jsonb) AS result`.execute(db);
  return rows[0]!.result.map((r, i) => (r.outcome === 'inserted' ? completeReply(items[i]!.row.responseBody, r) : r));
}

/** What the intake function answers for one checklist: an outcome, and for one it stored, what only the database knew. */
type StoredIntake =
  | Exclude<IntakeResult, { outcome: 'inserted' }>
  | { outcome: 'inserted'; match: 'new' | 'sure' | 'likely'; personId: string; status: string; alreadyOpen: unknown[]; made: string[] };

/**
 * The reply as built, completed with what the database knew: the person, the status, the live
 * referrals the checklist joined, and of the referrals built only those it made. The intake
 * function keeps the same completion for a checklist with an Idempotency-Key (its replay), so
 * the two must agree (test/submissions.test.ts replays one of each kind).
 */
function completeReply(built: unknown, r: Extract<StoredIntake, { outcome: 'inserted' }>): IntakeResult {
  const reply = built as { referrals: { id: string }[] };
  const made = new Set(r.made);
  return {
    outcome: 'inserted',
    match: r.match,
    reply: { ...reply, personId: r.personId, status: r.status, alreadyOpen: r.alreadyOpen, referrals: reply.referrals.filter((x) => made.has(x.id)) },
  };
}

/** One checklist alone (inside a caller's transaction, or in a test): a batch of one. */
export async function insertIntake(db: Executor, row: IntakeRow, via?: IntakeChannel): Promise<IntakeResult> {
  const [result] = await insertIntakes(db, [{ row, via }]);
  return result!;
}

/** What the intake function reads of one checklist (snake_case where it reads a column by name). */
export function intakePayload(row: IntakeRow, via?: IntakeChannel) {
  const k = row.idempotency;
  const p = row.person;
  const s = row.submission;
  return {
    userId: row.userId,
    actorLabel: row.actorLabel,
    receivedAt: s.receivedAt.toISOString(),
    // the application's clock: capacity is read for its London day, as routing read it
    now: row.now.toISOString(),
    idempotencyKey: k?.key ?? null,
    fingerprint: k?.fingerprint ?? null,
    // the reply as built, which the function completes and keeps for a replay: sent only when
    // there is a key to keep it under (otherwise the application completes it: insertIntakes)
    ...(k && { responseBody: row.responseBody }),
    expiresAt: k?.expiresAt.toISOString() ?? null,
    // snake_case: the intake function reads each column by name
    person: {
      id: p.id,
      given_name: p.givenName,
      family_name: p.familyName,
      date_of_birth: p.dateOfBirth,
      postcode: p.postcode,
      phone: p.phone,
      email: p.email,
      address_line: p.addressLine,
      preferred_contact: p.preferredContact,
      language: p.language,
      access_needs: p.accessNeeds,
      nhs_number: p.nhsNumber,
      norm_given: p.normGiven,
      norm_family: p.normFamily,
      norm_postcode: p.normPostcode,
      version_id: p.versionId,
    },
    consent: {
      id: row.consent.id,
      given_by: row.consent.givenBy,
      representative_name: row.consent.representativeName,
      representative_relationship: row.consent.representativeRelationship,
      sharing_agreed: row.consent.sharingAgreed,
      given_at: row.consent.givenAt,
    },
    submission: {
      id: s.id,
      reference: s.reference,
      questionnaire_id: row.questionnaireId,
      answers: s.answers,
      consent: s.consent,
      status: s.status,
    },
    referrals: row.referrals.map((r) => ({
      id: r.id,
      reference: r.reference,
      agency_id: r.agencyId,
      question_ids: r.questionIds,
      forward_due_at: r.forwardDueAt.toISOString(),
      contact_due_at: r.contactDueAt.toISOString(),
      held_until: r.heldUntil,
    })),
    wellbeing: row.wellbeing && {
      id: row.wellbeing.id,
      life_satisfaction: row.wellbeing.lifeSatisfaction,
      worthwhile: row.wellbeing.worthwhile,
      happy: row.wellbeing.happy,
      anxious: row.wellbeing.anxious,
    },
    capacitySeen: row.capacitySeen ?? [],
    routing: row.routing ?? [],
    // left out when absent, so that the API's own path does no extra write
    ...(via && { channel: via.channel, referrer: via.referrer, enteredAt: via.enteredAt?.toISOString() }),
  };
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
      's.answers',
      's.personId',
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
    // what the person said of this referral at the hub's call, once it was made
    .leftJoin('followUpOutcomes as o', 'o.referralId', 'r.id')
    .select([
      'r.id',
      'r.reference',
      'r.agencyId',
      'a.name as agencyName',
      'o.needsMet',
      'r.questionIds',
      'r.status',
      'r.forwardDueAt',
      'r.forwardedAt',
      'r.contactDueAt',
      'r.heldUntil',
      'r.contactedAt',
      'r.closedAt',
      'r.outcome',
      'r.reroutedFromId',
      'r.reroutedToId',
    ])
    .where('r.submissionId', '=', submissionId)
    .orderBy(byReference('r.reference'))
    .execute();
}

/** A submission's state and who sent it (the call page's confirmation says who was told). */
export async function findSubmissionState(db: Executor, id: string) {
  return db
    .selectFrom('submissions as s')
    .innerJoin('users as u', 'u.id', 's.submittedBy')
    .select(['s.status', 's.closedAt', 'u.name as submitterName'])
    .where('s.id', '=', id)
    .executeTakeFirst();
}

/** A closed submission goes back to open when one of its referrals is reopened. */
export async function reopenSubmission(db: Executor, id: string): Promise<void> {
  await db.updateTable('submissions').set({ status: 'open', closedAt: null }).where('id', '=', id).where('status', '=', 'closed').execute();
}

/** Every referral of the submission with its agency's name and the follow-up's needs-met answer, by reference. */
export async function findReferralsForClosure(db: Executor, submissionId: string) {
  return db
    .selectFrom('referrals as r')
    .innerJoin('agencies as a', 'a.id', 'r.agencyId')
    .leftJoin('followUpOutcomes as o', 'o.referralId', 'r.id')
    .select(['r.reference', 'r.status', 'r.outcome', 'a.name as agencyName', 'o.needsMet'])
    .where('r.submissionId', '=', submissionId)
    .orderBy(byReference('r.reference'))
    .execute();
}

/** open -> closed, once: undefined when it was not open. */
export async function closeSubmission(db: Executor, id: string, at: Date) {
  return db
    .updateTable('submissions')
    .set({ status: 'closed', closedAt: at })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .returning(['reference', 'submittedBy'])
    .executeTakeFirst();
}

/** Expired Idempotency-Keys, a bounded batch (idempotency_keys_expiry_idx). */
export async function deleteExpiredIdempotencyKeys(db: Executor, now: Date, limit: number): Promise<number> {
  const res = await sql`
    DELETE FROM idempotency_keys k
    USING (SELECT user_id, key FROM idempotency_keys WHERE expires_at <= ${now} ORDER BY expires_at LIMIT ${limit}) x
    WHERE k.user_id = x.user_id AND k.key = x.key
  `.execute(db);
  return Number(res.numAffectedRows ?? 0n);
}

/** A submitter's own submissions, newest first, each with its referrals' statuses. */
export async function listSubmissionsBy(db: Executor, userId: string, limit = 100) {
  return db
    .selectFrom('submissions as s')
    .innerJoin('people as p', 'p.id', 's.personId')
    .select((eb) => [
      's.id',
      's.reference',
      's.status',
      's.receivedAt',
      's.personId',
      'p.givenName',
      'p.familyName',
      eb
        .selectFrom('referrals as r')
        .innerJoin('agencies as a', 'a.id', 'r.agencyId')
        .select(sql<{ agencyName: string; status: string }[]>`coalesce(json_agg(json_build_object('agencyName', a.name, 'status', r.status) ORDER BY ${byReference('r.reference')}), '[]')`.as('x'))
        .whereRef('r.submissionId', '=', 's.id')
        .as('referrals'),
    ])
    .where('s.submittedBy', '=', userId)
    .orderBy('s.receivedAt', 'desc')
    .limit(limit)
    .execute();
}

/** A merge: the other record's checklists become the kept person's (a trigger refreshes both people's activity). */
export async function movePersonSubmissions(trx: Executor, keepId: string, otherId: string): Promise<number> {
  const r = await trx.updateTable('submissions').set({ personId: keepId }).where('personId', '=', otherId).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * After a dump from another cluster was restored: the transaction ids its submissions were
 * written by (larger than any this cluster has given) become 0, so that the person search's name
 * indexer, which has just indexed everyone, reads only what this cluster writes from now on
 * (modules/people/person-search-names.repository.ts).
 */
export async function forgetOtherClustersWrittenXids(trx: Executor): Promise<void> {
  await sql`UPDATE submissions SET written_xid = '0' WHERE written_xid > pg_snapshot_xmax(pg_current_snapshot())`.execute(trx);
}

/** Erasure: a representative's name and relationship leave the checklist's consent record. */
export async function eraseSubmissionConsentText(trx: Executor, submissionIds: string[]): Promise<void> {
  if (submissionIds.length === 0) return;
  await trx
    .updateTable('submissions')
    .set({ consent: sql`consent - 'representativeName' - 'representativeRelationship'` })
    .where('id', 'in', submissionIds)
    .execute();
}

/** Whether this user submitted a checklist for one of these person records (a link worker's reach). */
export async function submittedFor(db: Executor, userId: string, personIds: string[]): Promise<boolean> {
  const row = await db.selectFrom('submissions').select('id').where('submittedBy', '=', userId).where('personId', 'in', personIds).limit(1).executeTakeFirst();
  return row !== undefined;
}

// ---- referral_routings (written by the intake function) ----

/** The routing records of these referrals, with the names of the agencies they came from. */
export async function findReferralRoutings(db: Executor, referralIds: string[]) {
  if (referralIds.length === 0) return new Map<string, RoutingView>();
  const rows = await db
    .selectFrom('referralRoutings as x')
    .select([
      'x.referralId',
      'x.capacity',
      'x.waitWeeks',
      'x.closedUntil',
      'x.note',
      sql<{ fromAgencyId: string; fromAgencyName: string; questionIds: string[]; closedUntil: string }[]>`(
        SELECT coalesce(jsonb_agg(f || jsonb_build_object('fromAgencyName', a.name) ORDER BY ord), '[]')
          FROM jsonb_array_elements(x.fallbacks) WITH ORDINALITY AS t(f, ord)
          JOIN agencies a ON a.id = (f->>'fromAgencyId')::uuid)`.as('fallbacks'),
    ])
    .where('x.referralId', 'in', referralIds)
    .execute();
  return new Map(rows.map(({ referralId, ...r }) => [referralId, r]));
}
export type RoutingView = {
  capacity: CapacityStatus;
  waitWeeks: number | null;
  closedUntil: string | null;
  note: string;
  fallbacks: { fromAgencyId: string; fromAgencyName: string; questionIds: string[]; closedUntil: string }[];
};

// ---- the checklist's follow-up call (follow_ups is written by the follow-up module) ----

/** The submission's follow-up call, if it has one: its status and when it is due. */
export async function findFollowUpOfSubmission(db: Executor, submissionId: string) {
  return db.selectFrom('followUps').select(['status', 'dueAt']).where('submissionId', '=', submissionId).executeTakeFirst();
}

/** The status of the submission's follow-up, if it has one. */
export async function findFollowUpStatusOfSubmission(db: Executor, submissionId: string) {
  return db.selectFrom('followUps').select('status').where('submissionId', '=', submissionId).executeTakeFirst();
}
