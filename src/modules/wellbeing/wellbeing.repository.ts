/**
 * The wellbeing_scores table: ONS4 answers (health data, special category). The checklist's
 * row is written by the intake function (one round trip with the submission); the follow-up
 * call's, a merge's move and erasure's delete are written here. Reads for a person's record
 * and export are in subject-access.repository.ts; the change report's pairs are read here.
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';

export interface WellbeingAnswers {
  lifeSatisfaction: number | null;
  worthwhile: number | null;
  happy: number | null;
  anxious: number | null;
}

/**
 * The answers at a submission's follow-up call. A follow-up reopened and called again (a
 * referral forwarded after the first call) replaces the call's answers with the newer ones.
 */
export async function upsertFollowUpWellbeing(
  db: Executor,
  row: WellbeingAnswers & { id: string; submissionId: string; followUpId: string; measuredAt: Date; recordedBy: string },
): Promise<void> {
  await db
    .insertInto('wellbeingScores')
    // the person the checklist belongs to now
    .values((eb) => ({ ...row, occasion: 'follow_up', personId: eb.selectFrom('submissions').select('personId').where('id', '=', row.submissionId) }))
    .onConflict((oc) =>
      oc.columns(['submissionId', 'occasion']).doUpdateSet((eb) => ({
        personId: eb.ref('excluded.personId'),
        followUpId: eb.ref('excluded.followUpId'),
        measuredAt: eb.ref('excluded.measuredAt'),
        recordedBy: eb.ref('excluded.recordedBy'),
        lifeSatisfaction: eb.ref('excluded.lifeSatisfaction'),
        worthwhile: eb.ref('excluded.worthwhile'),
        happy: eb.ref('excluded.happy'),
        anxious: eb.ref('excluded.anxious'),
      })),
    )
    .execute();
}

export interface WellbeingPairRow {
  personId: string;
  before: WellbeingAnswers;
  after: WellbeingAnswers;
}

/**
 * Each checklist received in [from, to) that has answers at both the checklist and its
 * follow-up call, with the person it now belongs to (after any merge). Starts from the
 * checklist rows of the period (wellbeing_scores_checklist_idx, its predicate repeated
 * literally, rule 8); the call's row by the unique (submission_id, occasion) index.
 */
export async function listWellbeingPairs(
  db: Executor,
  f: { from: Date; to: Date; agencyId?: string | undefined; organisationId?: string | undefined },
): Promise<WellbeingPairRow[]> {
  let q = db
    .selectFrom('wellbeingScores as b')
    .innerJoin('wellbeingScores as a', (j) => j.onRef('a.submissionId', '=', 'b.submissionId').on(sql<boolean>`a.occasion = 'follow_up'`))
    .innerJoin('submissions as s', 's.id', 'b.submissionId')
    .select([
      's.personId',
      'b.lifeSatisfaction as bLife',
      'b.worthwhile as bWorth',
      'b.happy as bHappy',
      'b.anxious as bAnxious',
      'a.lifeSatisfaction as aLife',
      'a.worthwhile as aWorth',
      'a.happy as aHappy',
      'a.anxious as aAnxious',
    ])
    .where(sql<boolean>`b.occasion = 'checklist'`)
    .where('b.measuredAt', '>=', f.from)
    .where('b.measuredAt', '<', f.to);
  if (f.agencyId) {
    const agencyId = f.agencyId;
    q = q.where((eb) => eb.exists(eb.selectFrom('referrals as r').select(sql`1`.as('one')).whereRef('r.submissionId', '=', 'b.submissionId').where('r.agencyId', '=', agencyId)));
  }
  if (f.organisationId) q = q.where('s.organisationId', '=', f.organisationId);
  const rows = await q.orderBy('b.measuredAt').orderBy('b.id').execute();
  return rows.map((r) => ({
    personId: r.personId,
    before: { lifeSatisfaction: r.bLife, worthwhile: r.bWorth, happy: r.bHappy, anxious: r.bAnxious },
    after: { lifeSatisfaction: r.aLife, worthwhile: r.aWorth, happy: r.aHappy, anxious: r.aAnxious },
  }));
}

/** A merge: the other record's answers become the kept person's. */
export async function moveWellbeingOnMerge(trx: Executor, keepId: string, otherId: string): Promise<void> {
  await trx.updateTable('wellbeingScores').set({ personId: keepId }).where('personId', '=', otherId).execute();
}

/** Erasure and retention: the answers are health data about the person, and go. */
export async function deleteWellbeingOf(trx: Executor, personIds: string[], submissionIds: string[]): Promise<number> {
  if (personIds.length === 0 && submissionIds.length === 0) return 0;
  const r = await trx
    .deleteFrom('wellbeingScores')
    .where((e) => e.or([...(personIds.length ? [e('personId', 'in', personIds)] : []), ...(submissionIds.length ? [e('submissionId', 'in', submissionIds)] : [])]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** One checklist's answers, at the checklist and at its call (the hub's call page). */
export async function listWellbeingOfSubmission(db: Executor, submissionId: string) {
  return db
    .selectFrom('wellbeingScores')
    .select(['occasion', 'measuredAt', 'lifeSatisfaction', 'worthwhile', 'happy', 'anxious'])
    .where('submissionId', '=', submissionId)
    .orderBy('measuredAt')
    .orderBy('occasion')
    .execute();
}
