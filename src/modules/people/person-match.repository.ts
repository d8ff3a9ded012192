/**
 * The person_match_flags table: a likely match found at intake (the intake function writes the
 * flags), for a coordinator to merge or dismiss.
 */
import type { Executor, MatchFlagStatus } from '../../platform/db/database.js';

/** What a coordinator compares: enough to tell two records of one person from two people. */
export interface RecordSummary {
  id: string;
  givenName: string | null;
  familyName: string | null;
  dateOfBirth: string | null;
  postcode: string | null;
  nhsNumber: string | null;
  createdAt: Date;
}

/** Open flags, oldest first, with both records' summaries (the newer record is `person`). */
export async function listOpenMatchFlags(db: Executor, limit: number, personId?: string) {
  let q = db
    .selectFrom('personMatchFlags as f')
    .innerJoin('people as p', 'p.id', 'f.personId')
    .innerJoin('people as c', 'c.id', 'f.candidateId')
    .select([
      'f.id',
      'f.reason',
      'f.createdAt',
      'p.id as pId',
      'p.givenName as pGivenName',
      'p.familyName as pFamilyName',
      'p.dateOfBirth as pDateOfBirth',
      'p.postcode as pPostcode',
      'p.nhsNumber as pNhsNumber',
      'p.createdAt as pCreatedAt',
      'c.id as cId',
      'c.givenName as cGivenName',
      'c.familyName as cFamilyName',
      'c.dateOfBirth as cDateOfBirth',
      'c.postcode as cPostcode',
      'c.nhsNumber as cNhsNumber',
      'c.createdAt as cCreatedAt',
    ])
    .where('f.status', '=', 'open');
  if (personId) q = q.where((eb) => eb.or([eb('f.personId', '=', personId), eb('f.candidateId', '=', personId)]));
  const rows = await q.orderBy('f.createdAt').orderBy('f.id').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    reason: r.reason,
    createdAt: r.createdAt,
    person: { id: r.pId, givenName: r.pGivenName, familyName: r.pFamilyName, dateOfBirth: r.pDateOfBirth, postcode: r.pPostcode, nhsNumber: r.pNhsNumber, createdAt: r.pCreatedAt } satisfies RecordSummary,
    candidate: { id: r.cId, givenName: r.cGivenName, familyName: r.cFamilyName, dateOfBirth: r.cDateOfBirth, postcode: r.cPostcode, nhsNumber: r.cNhsNumber, createdAt: r.cCreatedAt } satisfies RecordSummary,
  }));
}

export async function countOpenMatchFlags(db: Executor): Promise<number> {
  const row = await db.selectFrom('personMatchFlags').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findMatchFlag(db: Executor, id: string) {
  return db.selectFrom('personMatchFlags').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function resolveMatchFlag(db: Executor, id: string, status: Exclude<MatchFlagStatus, 'open'>, by: string, at: Date): Promise<boolean> {
  const r = await db
    .updateTable('personMatchFlags')
    .set({ status, resolvedBy: by, resolvedAt: at })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/**
 * After `otherId` was merged into `keepId`: the flag between them is merged; the other's open
 * flags with third records move to the one kept (once per pair); any left pointing at the
 * merged record are closed as merged.
 */
export async function moveMatchFlagsOnMerge(trx: Executor, keepId: string, otherId: string, by: string, at: Date): Promise<void> {
  await trx
    .insertInto('personMatchFlags')
    .columns(['id', 'personId', 'candidateId', 'reason', 'status', 'createdAt'])
    .expression((eb) =>
      eb
        .selectFrom('personMatchFlags as f')
        .select((e) => [
          e.fn<string>('gen_random_uuid').as('id'),
          e.val(keepId).as('personId'),
          e.case().when('f.personId', '=', otherId).then(e.ref('f.candidateId')).else(e.ref('f.personId')).end().as('candidateId'),
          'f.reason',
          e.val('open').as('status'),
          'f.createdAt',
        ])
        .where('f.status', '=', 'open')
        .where((e) => e.or([e('f.personId', '=', otherId), e('f.candidateId', '=', otherId)]))
        .where('f.personId', '!=', keepId)
        .where('f.candidateId', '!=', keepId),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
  await trx
    .updateTable('personMatchFlags')
    .set({ status: 'merged', resolvedBy: by, resolvedAt: at })
    .where('status', '=', 'open')
    .where((e) => e.or([e('personId', '=', otherId), e('candidateId', '=', otherId)]))
    .execute();
}

/** Erasure closes the person's open flags: there is nothing left to compare. */
export async function dismissMatchFlagsOf(trx: Executor, personId: string, at: Date): Promise<void> {
  await trx
    .updateTable('personMatchFlags')
    .set({ status: 'dismissed', resolvedAt: at })
    .where('status', '=', 'open')
    .where((e) => e.or([e('personId', '=', personId), e('candidateId', '=', personId)]))
    .execute();
}
