/**
 * The agency_capacity and agency_capacity_changes tables, written here only (referral_routings
 * is written by the intake function and read here). Few agencies: every read is small.
 */
import type { CapacityRecord, CapacityStatus } from '../../kernel/capacity.js';
import type { ClockKind } from '../../kernel/working-days.js';
import type { CapacityVia, Executor } from '../../platform/db/database.js';

/** Every agency's latest word (agencies that never said are absent). */
export async function listCapacityRecords(db: Executor): Promise<Map<string, CapacityRecord>> {
  const rows = await db.selectFrom('agencyCapacity').select(['agencyId', 'status', 'waitWeeks', 'closedUntil', 'confirmedAt', 'confirmedByLabel']).execute();
  return new Map(rows.map(({ agencyId, ...r }) => [agencyId, r]));
}

/** Every agency's contact clock (T2): what the promise counts with. */
export async function listAgencyClocks(db: Executor): Promise<Map<string, { contactDays: number; contactClock: ClockKind }>> {
  const rows = await db.selectFrom('agencies').select(['id', 'contactDays', 'contactClock']).execute();
  return new Map(rows.map(({ id, ...r }) => [id, r]));
}

export async function findCapacityRecord(db: Executor, agencyId: string): Promise<CapacityRecord | undefined> {
  return db
    .selectFrom('agencyCapacity')
    .select(['status', 'waitWeeks', 'closedUntil', 'confirmedAt', 'confirmedByLabel'])
    .where('agencyId', '=', agencyId)
    .executeTakeFirst();
}

export interface CapacityWrite {
  agencyId: string;
  status: CapacityStatus;
  waitWeeks: number | null;
  closedUntil: string | null;
  at: Date;
  actorUserId: string | null;
  actorLabel: string;
  via: CapacityVia;
}

/**
 * The agency's new word (or the same word confirmed), and its line in the history, in the
 * caller's transaction. Returns whether it changed anything besides the confirmation.
 */
export async function writeCapacity(trx: Executor, w: CapacityWrite): Promise<boolean> {
  const before = await trx.selectFrom('agencyCapacity').select(['status', 'waitWeeks', 'closedUntil']).where('agencyId', '=', w.agencyId).forUpdate().executeTakeFirst();
  const same = before !== undefined && before.status === w.status && before.waitWeeks === w.waitWeeks && before.closedUntil === w.closedUntil;
  const row = { status: w.status, waitWeeks: w.waitWeeks, closedUntil: w.closedUntil, confirmedAt: w.at, confirmedBy: w.actorUserId, confirmedByLabel: w.actorLabel };
  await trx
    .insertInto('agencyCapacity')
    .values({ agencyId: w.agencyId, ...row })
    .onConflict((oc) => oc.column('agencyId').doUpdateSet(row))
    .execute();
  await trx
    .insertInto('agencyCapacityChanges')
    .values({ agencyId: w.agencyId, at: w.at, status: w.status, waitWeeks: w.waitWeeks, closedUntil: w.closedUntil, confirmedOnly: same, actorUserId: w.actorUserId, actorLabel: w.actorLabel, via: w.via })
    .execute();
  return !same;
}

/** Who said what when, newest first. */
export async function listCapacityChanges(db: Executor, agencyId: string, limit = 50) {
  return db
    .selectFrom('agencyCapacityChanges')
    .select(['at', 'status', 'waitWeeks', 'closedUntil', 'confirmedOnly', 'actorLabel', 'via'])
    .where('agencyId', '=', agencyId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Whether the agency has staff who sign in (the others act through emailed links). */
export async function agencyHasAccounts(db: Executor, agencyId: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('agencyId', '=', agencyId)
    .where('passwordHash', 'is not', null)
    .where('disabledAt', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

