/** The agencies table, written here only. */
import type { PersonField } from '../../kernel/person-fields.js';
import type { ClockKind } from '../../kernel/working-days.js';
import type { AgencyStatus, Executor } from '../../platform/db/database.js';

/** The columns every caller sees: no timestamps (they are for audit, not for the UI). */
const COLUMNS = ['id', 'name', 'email', 'phone', 'status', 'contactDays', 'contactClock', 'personFields'] as const;

export interface AgencyRow {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  status: AgencyStatus;
  contactDays: number;
  /** whether contactDays are calendar or working days */
  contactClock: ClockKind;
  /** the person's details the agency receives besides the name (kernel/person-fields.ts) */
  personFields: PersonField[];
}

export async function listAgencyRows(db: Executor): Promise<AgencyRow[]> {
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
  row: { id: string; name: string; email: string; phone: string | null; status: AgencyStatus; contactDays: number; contactClock: ClockKind; personFields?: PersonField[] | undefined; now: Date },
): Promise<AgencyRow> {
  const { now, personFields, ...values } = row;
  return db
    .insertInto('agencies')
    .values({ ...values, ...(personFields ? { personFields } : {}), createdAt: now, updatedAt: now })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

/** Inserts the agencies whose ids are new (the demo seed); returns how many were inserted. */
export async function insertAgenciesIfMissing(
  db: Executor,
  rows: { id: string; name: string; email: string; phone: string | null; contactDays: number }[],
  now: Date,
): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db
    .insertInto('agencies')
    .values(rows.map((r) => ({ ...r, createdAt: now, updatedAt: now })))
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

export async function updateAgency(
  db: Executor,
  id: string,
  patch: Partial<Pick<AgencyRow, 'name' | 'email' | 'phone' | 'status' | 'contactDays' | 'contactClock' | 'personFields'>>,
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

export async function agencyContactDays(db: Executor, agencyIds: string[]) {
  if (!agencyIds.length) return new Map<string, { contactDays: number; phone: string | null }>();
  const rows = await db.selectFrom('agencies').select(['id', 'contactDays', 'phone']).where('id', 'in', agencyIds).execute();
  return new Map(rows.map((r) => [r.id, { contactDays: r.contactDays, phone: r.phone }]));
}

/** What an agency's emailed capacity links are signed with, and when a coordinator last stopped them. */
export interface CapacityLinkState {
  id: string;
  name: string;
  generation: number;
  revokedAt: Date | null;
}

const LINK_STATE = ['id', 'name', 'capacityLinkGeneration as generation', 'capacityLinksRevokedAt as revokedAt'] as const;

export async function findCapacityLinkState(db: Executor, agencyId: string): Promise<CapacityLinkState | undefined> {
  return db.selectFrom('agencies').select(LINK_STATE).where('id', '=', agencyId).executeTakeFirst();
}

/**
 * The same, locked FOR SHARE until the transaction ends: a change made through a link holds it
 * while it writes, so that stopping the links (an UPDATE of this row) waits for it, or it sees
 * the links stopped.
 */
export async function lockCapacityLinkState(trx: Executor, agencyId: string): Promise<CapacityLinkState | undefined> {
  return trx.selectFrom('agencies').select(LINK_STATE).where('id', '=', agencyId).forShare().executeTakeFirst();
}

/**
 * Stops every capacity link made for the agency so far (a new one signs the next value);
 * `revokedAt` records a coordinator's act, null leaves the last one as it was. False: no agency.
 */
export async function advanceCapacityLinkGeneration(db: Executor, agencyId: string, revokedAt: Date | null): Promise<boolean> {
  const r = await db
    .updateTable('agencies')
    .set((eb) => ({ capacityLinkGeneration: eb('capacityLinkGeneration', '+', 1), ...(revokedAt ? { capacityLinksRevokedAt: revokedAt } : {}) }))
    .where('id', '=', agencyId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
