import type { AgencyStatus, Executor } from './database.js';

/** The columns every caller sees: no timestamps (they are for audit, not for the UI). */
const COLUMNS = ['id', 'name', 'email', 'phone', 'status', 'contactDays'] as const;

export interface AgencyRow {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  status: AgencyStatus;
  contactDays: number;
}

export async function listAgencies(db: Executor): Promise<AgencyRow[]> {
  return db.selectFrom('agencies').select(COLUMNS).orderBy('name').execute();
}

export async function findAgency(db: Executor, id: string): Promise<AgencyRow | undefined> {
  return db.selectFrom('agencies').select(COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Of these ids, those that name an agency (any status). */
export async function existingAgencyIds(db: Executor, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('agencies').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

export async function insertAgency(
  db: Executor,
  row: { id: string; name: string; email: string; phone: string | null; status: AgencyStatus; contactDays: number; now: Date },
): Promise<AgencyRow> {
  const { now, ...values } = row;
  return db
    .insertInto('agencies')
    .values({ ...values, createdAt: now, updatedAt: now })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function updateAgency(
  db: Executor,
  id: string,
  patch: Partial<Pick<AgencyRow, 'name' | 'email' | 'phone' | 'status' | 'contactDays'>>,
  now: Date,
): Promise<AgencyRow | undefined> {
  return db
    .updateTable('agencies')
    .set({ ...patch, updatedAt: now })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst();
}

/** The status of each of these agencies that exists, locked FOR SHARE until the transaction ends. */
export async function agencyStatusesForShare(trx: Executor, ids: string[]): Promise<{ id: string; status: AgencyStatus }[]> {
  return trx.selectFrom('agencies').select(['id', 'status']).where('id', 'in', ids).forShare().execute();
}
