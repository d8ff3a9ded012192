/**
 * The audit_log table: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE, except the
 * sealing of a new row into the hash chain: migrations/2026_12_02_1110_audit_chain.ts). Written
 * here only.
 */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import { exactMoment, type KeysetPlace } from '../../platform/db/keyset.js';

/** How an agency's emailed link is named in the audit log: it has no user, so the label says whose it is. */


export interface AuditEntry {
  /** who: a user, or (userId null) an agency's signed link or the hub itself, named by `name` */
  principal: { userId: string | null; name: string };
  action: string;
  entity: string;
  entityId: string;
  /** the person the entry is about, when it is about one: "who has seen this person" reads it */
  personId?: string | null | undefined;
  requestId?: string | undefined;
  at: Date;
}

/**
 * Every read of personal data, and every act on accounts, is audited
 * (docs/security.md#the-persons-data): who, what, when, which request.
 */
export async function recordAudit(db: Executor, entry: AuditEntry) {
  await recordAudits(db, [entry]);
}

/** Many audit rows in one statement (a list page that shows personal data audits every row). */
export async function recordAudits(db: Executor, entries: AuditEntry[]) {
  if (entries.length === 0) return;
  await db
    .insertInto('auditLog')
    .values(
      entries.map((a) => ({
        at: a.at,
        actorUserId: a.principal.userId,
        actorLabel: a.principal.name,
        action: a.action,
        entity: a.entity,
        entityId: a.entityId,
        personId: a.personId ?? null,
        requestId: a.requestId ?? null,
      })),
    )
    .execute();
}

export interface AuditQuery {
  /** the person and the records merged into it */
  personIds?: string[] | undefined;
  userId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** keyset: the last row of the previous page (newest first) */
  before?: KeysetPlace | undefined;
  limit: number;
}

/** Audit rows, newest first, with the organisation each actor belongs to. */
export async function listAuditRows(db: Executor, q: AuditQuery) {
  let query = db
    .selectFrom('auditLog as l')
    .leftJoin('users as u', 'u.id', 'l.actorUserId')
    .leftJoin('agencies as a', 'a.id', 'u.agencyId')
    .select(['l.id', 'l.at', 'l.actorUserId', 'l.actorLabel', 'u.role as actorRole', 'a.name as actorAgencyName', 'l.action', 'l.entity', 'l.entityId', 'l.personId', 'l.requestId', 'l.seq'])
    .select(exactMoment('l.at').as('cursorAt'));
  if (q.personIds) query = query.where('l.personId', 'in', q.personIds);
  if (q.userId) query = query.where('l.actorUserId', '=', q.userId);
  if (q.from) query = query.where('l.at', '>=', q.from);
  if (q.to) query = query.where('l.at', '<', q.to);
  if (q.before) query = query.where(sql<boolean>`(l.at, l.id) < (${q.before.at}::timestamptz, ${q.before.id}::bigint)`);
  return query.orderBy('l.at', 'desc').orderBy('l.id', 'desc').limit(q.limit + 1).execute();
}

/** Seals up to `max` rows into the hash chain; 0 sealed when another sealer holds the lock. */
export async function sealAuditRows(db: Executor, max: number): Promise<{ sealed: number; headSeq: string | null; headHash: Buffer | null }> {
  const { rows } = await sql<{ sealed: number; headSeq: string | null; headHash: Buffer | null }>`
    SELECT sealed, head_seq AS "headSeq", head_hash AS "headHash" FROM signpost_audit_seal(${max}::integer)`.execute(db);
  return rows[0]!;
}

export interface ChainRow {
  seq: string;
  id: string;
  /** the time as the chain hashes it: UTC, microseconds */
  atText: string;
  actorUserId: string | null;
  actorLabel: string;
  action: string;
  entity: string;
  entityId: string;
  personId: string | null;
  requestId: string | null;
  prevHash: Buffer;
  hash: Buffer;
}

/** Sealed rows in chain order, after `afterSeq`. */
export async function readChain(db: Executor, afterSeq: string, limit: number): Promise<ChainRow[]> {
  const { rows } = await sql<ChainRow>`
    SELECT seq::text AS seq, id::text AS id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "atText",
           actor_user_id AS "actorUserId", actor_label AS "actorLabel", action, entity, entity_id AS "entityId",
           person_id AS "personId", request_id AS "requestId", prev_hash AS "prevHash", hash
      FROM audit_log WHERE audit_log.seq > ${afterSeq}::bigint ORDER BY audit_log.seq LIMIT ${limit}`.execute(db);
  return rows;
}

export async function countUnsealed(db: Executor): Promise<{ unsealed: number; oldest: Date | null }> {
  const row = await db
    .selectFrom('auditLog')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('at').as('oldest')])
    .where('seq', 'is', null)
    .executeTakeFirstOrThrow();
  return { unsealed: Number(row.n), oldest: row.oldest as Date | null };
}
