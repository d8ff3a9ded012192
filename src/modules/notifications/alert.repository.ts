/** Alerts for coordinators. At most one open alert per (kind, referral): a partial unique index. */
import type { Executor } from '../../platform/db/database.js';

export interface NewAlertRow {
  id: string;
  kind: string;
  referralId: string | null;
  agencyId: string | null;
  message: string;
  createdAt: Date;
}

/** Inserts the alert unless one of this kind is already open for the referral; undefined when it was. */
export async function insertAlertIfNotOpen(db: Executor, row: NewAlertRow): Promise<{ id: string } | undefined> {
  return db
    .insertInto('alerts')
    .values(row)
    .onConflict((oc) => oc.columns(['kind', 'referralId']).where('resolvedAt', 'is', null).doNothing())
    .returning('id')
    .executeTakeFirst();
}

/** Resolves the open alerts of one kind for a referral; `by` is null when the system resolved them. */
export async function resolveReferralAlerts(trx: Executor, referralId: string, kind: string, by: string | null, at: Date) {
  await trx
    .updateTable('alerts')
    .set({ resolvedAt: at, resolvedBy: by })
    .where('referralId', '=', referralId)
    .where('kind', '=', kind)
    .where('resolvedAt', 'is', null)
    .execute();
}
