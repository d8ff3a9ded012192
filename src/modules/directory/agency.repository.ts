/** The agencies table, written here only. */
import { sql } from 'kysely';
import type { PersonField } from '../../kernel/person-fields.js';
import type { ClockKind } from '../../kernel/working-days.js';
import type { AgencyStatus, Executor } from '../../platform/db/database.js';
import { INBOX_NOT_SET } from './agency-inbox.js';

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


/** What the public directory feed (/oruk) may show of an agency: never its inbox, phone or clocks. */
export interface PublicAgencyRow {
  id: string;
  name: string;
  description: string | null;
  status: AgencyStatus;
  updatedAt: Date;
}

const PUBLIC_COLUMNS = ['id', 'name', 'description', 'status', 'updatedAt'] as const;

export async function countAgencies(db: Executor): Promise<number> {
  const row = await db.selectFrom('agencies').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of agencies in a stable order (name, then id), public columns only. */
export async function pageOfPublicAgencies(db: Executor, offset: number, limit: number): Promise<PublicAgencyRow[]> {
  return db.selectFrom('agencies').select(PUBLIC_COLUMNS).orderBy('name').orderBy('id').offset(offset).limit(limit).execute();
}

export async function findPublicAgency(db: Executor, id: string): Promise<PublicAgencyRow | undefined> {
  return db.selectFrom('agencies').select(PUBLIC_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** An agency as the ORUK import compares it with a service of the file. */
export interface ImportableAgencyRow {
  id: string;
  orukId: string | null;
  name: string;
  description: string | null;
  status: AgencyStatus;
}

/**
 * The agencies an import may touch: those carrying one of these ORUK ids, and those whose name
 * (regardless of case) is one of these names; locked FOR UPDATE until the transaction ends.
 */
export async function lockAgenciesForImport(trx: Executor, orukIds: string[], names: string[]): Promise<ImportableAgencyRow[]> {
  if (orukIds.length === 0 && names.length === 0) return [];
  return trx
    .selectFrom('agencies')
    .select(['id', 'orukId', 'name', 'description', 'status'])
    .where((eb) =>
      eb.or([
        // one array parameter each, not one a value: a council's page can name tens of thousands
        ...(orukIds.length ? [sql<boolean>`oruk_id = ANY(${orukIds}::uuid[])`] : []),
        ...(names.length ? [sql<boolean>`lower(name) = ANY(${names.map((n) => n.toLowerCase())}::text[])`] : []),
      ]),
    )
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** A new agency from an ORUK service: paused, with no inbox yet (INBOX_NOT_SET). */
export async function insertImportedAgency(
  trx: Executor,
  row: { id: string; orukId: string; name: string; description: string | null; contactDays: number; contactClock: ClockKind; now: Date },
): Promise<void> {
  const { now, ...values } = row;
  await trx
    .insertInto('agencies')
    .values({ ...values, email: INBOX_NOT_SET, phone: null, status: 'paused', createdAt: now, updatedAt: now })
    .execute();
}

/** The name and description an ORUK service gives an agency it made before; nothing else changes. */
export async function updateImportedAgency(trx: Executor, id: string, set: { name: string; description: string | null }, now: Date): Promise<void> {
  await trx.updateTable('agencies').set({ ...set, updatedAt: now }).where('id', '=', id).execute();
}
