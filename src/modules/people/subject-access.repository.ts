/**
 * Everything held about one person, read table by table: the base of the person's record page,
 * the subject access export and the erasure's reach. Reads only (each table's writes live in its
 * own repository). `ids` is the person and the records merged into it; every query is keyed by
 * those ids, or by the person's own checklists and referrals, so nothing of another person's is
 * read. Every table with rows about a person is read here: test/subject-access.test.ts fails
 * when a table appears that is neither read here nor listed as holding nothing about a person.
 */
import { sql } from 'kysely';
import { personIdsOf } from '../../platform/db/person-keys.js';
import type { Executor } from '../../platform/db/database.js';
import { byReference } from '../../platform/db/reference-order.js';


export async function readPersonData(db: Executor, personId: string) {
  const ids = await personIdsOf(db, personId);
  const [people, versions, flags, consents, withdrawals, submissions] = await Promise.all([
    db.selectFrom('people').selectAll().where('id', 'in', ids).orderBy('createdAt').execute(),
    db.selectFrom('personVersions').selectAll().where('personId', 'in', ids).orderBy('recordedAt').orderBy('id').execute(),
    // the flag's own facts; the other record of the pair is another person until merged
    db
      .selectFrom('personMatchFlags')
      .select(['id', 'reason', 'status', 'createdAt', 'resolvedAt'])
      .where((e) => e.or([e('personId', 'in', ids), e('candidateId', 'in', ids)]))
      .orderBy('createdAt')
      .execute(),
    db.selectFrom('consents').selectAll().where('personId', 'in', ids).orderBy('givenAt').execute(),
    db.selectFrom('consentWithdrawals').selectAll().where('personId', 'in', ids).orderBy('withdrawnAt').execute(),
    db
      .selectFrom('submissions as s')
      .innerJoin('users as u', 'u.id', 's.submittedBy')
      .innerJoin('questionnaires as q', 'q.id', 's.questionnaireId')
      // the referrer's organisation, for a checklist the hub keyed in from paper or a call
      .leftJoin('organisations as o', 'o.id', 's.organisationId')
      .selectAll('s')
      .select(['u.name as submittedByName', 'u.role as submittedByRole', 'q.version as questionnaireVersion', 'o.name as organisationName'])
      .where('s.personId', 'in', ids)
      .orderBy('s.receivedAt')
      .execute(),
  ]);
  const submissionIds = submissions.map((s) => s.id);
  const referrals = submissionIds.length
    ? await db
        .selectFrom('referrals as r')
        .innerJoin('agencies as a', 'a.id', 'r.agencyId')
        .selectAll('r')
        .select(['a.name as agencyName'])
        .where('r.submissionId', 'in', submissionIds)
        .orderBy('r.receivedAt')
        .orderBy(byReference('r.reference'))
        .execute()
    : [];
  const referralIds = referrals.map((r) => r.id);
  const none = <T>() => Promise.resolve([] as T[]);
  const questionIds = [...new Set([...submissions.flatMap((s) => Object.keys(s.answers)), ...referrals.flatMap((r) => r.questionIds)])];
  const [events, repeats, followUps, breaches, mail, alerts, links, routings, questions, selfReferrals] = await Promise.all([
    referralIds.length ? db.selectFrom('referralEvents').selectAll().where('referralId', 'in', referralIds).orderBy('id').execute() : none<never>(),
    submissionIds.length
      ? db
          .selectFrom('referralRepeats')
          .selectAll()
          .where((e) => e.or([e('submissionId', 'in', submissionIds), ...(referralIds.length ? [e('referralId', 'in', referralIds)] : [])]))
          .orderBy('at')
          .execute()
      : none<never>(),
    submissionIds.length ? db.selectFrom('followUps').selectAll().where('submissionId', 'in', submissionIds).orderBy('dueAt').execute() : none<never>(),
    referralIds.length ? db.selectFrom('slaBreaches').selectAll().where('referralId', 'in', referralIds).orderBy('detectedAt').execute() : none<never>(),
    submissionIds.length
      ? db
          .selectFrom('notifications')
          .select(['id', 'kind', 'referralId', 'submissionId', 'agencyId', 'recipient', 'subject', 'bodyText', 'messageId', 'status', 'attempts', 'createdAt', 'sentAt'])
          .where((e) => e.or([e('submissionId', 'in', submissionIds), ...(referralIds.length ? [e('referralId', 'in', referralIds)] : [])]))
          .orderBy('createdAt')
          .execute()
      : none<never>(),
    referralIds.length ? db.selectFrom('alerts').selectAll().where('referralId', 'in', referralIds).orderBy('createdAt').execute() : none<never>(),
    referralIds.length
      ? db
          .selectFrom('agencyLinks')
          .select(['id', 'referralId', 'agencyId', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt', 'useCount'])
          .where('referralId', 'in', referralIds)
          .orderBy('createdAt')
          .execute()
      : none<never>(),
    referralIds.length ? db.selectFrom('referralRoutings').selectAll().where('referralId', 'in', referralIds).execute() : none<never>(),
    // with their place on the checklist, so answers read in the order they were asked
    questionIds.length
      ? db
          .selectFrom('questions as qq')
          .innerJoin('questionnaireSections as qs', 'qs.id', 'qq.sectionId')
          .select(['qq.id', 'qq.text', 'qq.position', 'qs.position as sectionPosition'])
          .where('qq.id', 'in', questionIds)
          .execute()
      : none<{ id: string; text: string; position: number; sectionPosition: number }>(),
    // the self-referral a checklist came from, once released (the checklist it sent is the submission)
    submissionIds.length
      ? db
          .selectFrom('selfReferrals as x')
          .leftJoin('users as u', 'u.id', 'x.decidedBy')
          .select(['x.id', 'x.reference', 'x.submissionId', 'x.filledInBy', 'x.receivedAt', 'x.decidedAt', 'u.name as decidedByName', 'x.callNote'])
          .where('x.submissionId', 'in', submissionIds)
          .orderBy('x.receivedAt')
          .execute()
      : none<never>(),
  ]);
  const followUpIds = followUps.map((f) => f.id);
  const [attempts, outcomes, wellbeing] = await Promise.all([
    followUpIds.length ? db.selectFrom('followUpAttempts').selectAll().where('followUpId', 'in', followUpIds).orderBy('at').execute() : none<never>(),
    followUpIds.length ? db.selectFrom('followUpOutcomes').selectAll().where('followUpId', 'in', followUpIds).orderBy('recordedAt').execute() : none<never>(),
    // ONS4 answers (health data), by the person's records and by their checklists
    db
      .selectFrom('wellbeingScores as w')
      .leftJoin('users as u', 'u.id', 'w.recordedBy')
      .selectAll('w')
      .select('u.name as recordedByName')
      .where((e) => e.or([e('w.personId', 'in', ids), ...(submissionIds.length ? [e('w.submissionId', 'in', submissionIds)] : [])]))
      .orderBy('w.measuredAt')
      // the checklist's before its call's, when a test's clock gives both one moment
      .orderBy('w.occasion')
      .orderBy('w.id')
      .execute(),
  ]);
  return { ids, people, versions, flags, consents, withdrawals, submissions, referrals, events, repeats, followUps, attempts, outcomes, wellbeing, breaches, mail, alerts, links, routings, questions, selfReferrals };
}

export type PersonData = Awaited<ReturnType<typeof readPersonData>>;

/** Who read or acted on the person's records, newest first, with each actor's organisation. */
export async function listAccessToPerson(db: Executor, ids: string[], limit: number) {
  return db
    .selectFrom('auditLog as l')
    .leftJoin('users as u', 'u.id', 'l.actorUserId')
    .leftJoin('agencies as a', 'a.id', 'u.agencyId')
    .select(['l.id', 'l.at', 'l.actorLabel', 'u.role as actorRole', 'a.name as actorAgencyName', 'l.action', 'l.entity', 'l.entityId', 'l.requestId'])
    .where('l.personId', 'in', ids)
    .orderBy('l.at', 'desc')
    .orderBy('l.id', 'desc')
    .limit(limit)
    .execute();
}

/** How many audit rows are about the person (the export holds them all). */
export async function countAccessToPerson(db: Executor, ids: string[]): Promise<number> {
  const row = await db
    .selectFrom('auditLog')
    .select(sql<string>`count(*)`.as('n'))
    .where('personId', 'in', ids)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
