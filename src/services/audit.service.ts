/**
 * The audit log as admins read it ("who has seen this person", "what did this user see"), and
 * its hash chain: sealing new rows (the scheduled 'audit-seal' job) and verifying the chain
 * (`signpost audit:verify`). Reading the audit log is itself audited.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { countUnsealed, listAuditRows, readChain, recordAudit, sealAuditRows, type ChainRow } from '../db/audit.repository.js';
import { personIdsOf } from '../db/subject-access.repository.js';
import { badRequest, forbidden } from '../errors.js';
import type { Principal } from './auth.service.js';
import type { ServiceDeps } from './deps.js';
import { organisationOf } from './subject-access.service.js';

export const auditQuerySchema = z
  .object({
    personId: z.uuid('must be a person id').optional(),
    userId: z.uuid('must be a user id').optional(),
    from: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date and time' }).optional(),
    to: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date and time' }).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().max(200).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { path: ['to'], message: 'must be after from' });

function decodeCursor(c: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const when = new Date(at ?? '');
  if (!id || !/^[0-9]{1,19}$/.test(id) || Number.isNaN(when.getTime())) throw badRequest('invalid cursor', [{ path: 'cursor', message: 'is not a cursor this API returned' }]);
  return { at: when, id };
}
const encodeCursor = (r: { at: Date; id: string }) => Buffer.from(`${r.at.toISOString()}|${r.id}`).toString('base64url');

/** Admins only: the audit log, newest first, filtered by person (and the records merged into it), user and time. */
export async function listAudit(deps: ServiceDeps, principal: Principal, q: z.infer<typeof auditQuerySchema>, requestId?: string) {
  if (principal.role !== 'admin') throw forbidden('only an admin reads the audit log');
  const personIds = q.personId ? await personIdsOf(deps.db, q.personId) : undefined;
  const before = q.cursor ? decodeCursor(q.cursor) : undefined;
  // audited before it is read, so a query about a person lists itself first
  await recordAudit(deps.db, {
    principal,
    action: 'audit.read',
    entity: q.personId ? 'person' : q.userId ? 'user' : 'audit_log',
    entityId: q.personId ?? q.userId ?? principal.userId,
    personId: q.personId ?? null,
    requestId,
    at: deps.clock.now(),
  });
  const rows = await listAuditRows(deps.db, {
    personIds,
    userId: q.userId,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    before,
    limit: q.limit,
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      id: r.id,
      at: r.at,
      actor: { userId: r.actorUserId, name: r.actorLabel, role: r.actorRole, organisation: organisationOf(r, deps.env.HUB_NAME) },
      action: r.action,
      entity: r.entity,
      entityId: r.entityId,
      personId: r.personId,
      requestId: r.requestId,
      sealed: r.seq !== null,
    })),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
  };
}

/** Seals every row written since the last run into the chain, 5,000 a statement. */
export async function sealAudit(deps: Pick<ServiceDeps, 'db' | 'logger'>): Promise<{ sealed: number; headSeq: string | null }> {
  let sealed = 0;
  let headSeq: string | null = null;
  for (;;) {
    const r = await deps.db.transaction().execute((trx) => sealAuditRows(trx, 5000));
    sealed += r.sealed;
    if (r.headSeq) headSeq = r.headSeq;
    if (r.sealed > 0) {
      // the chain's head in the log: an outside copy of it shows if the tail is ever cut off
      deps.logger.info({ auditHeadSeq: r.headSeq, auditHeadHash: r.headHash?.toString('hex') }, 'audit rows sealed');
    }
    if (r.sealed < 5000) break;
  }
  return { sealed, headSeq };
}

const GENESIS = Buffer.alloc(32);

/** A sealed row's hash, computed here from its fields (not by the database that stored it). */
export function chainHash(prev: Buffer, r: Omit<ChainRow, 'prevHash' | 'hash'>): Buffer {
  const text = [r.seq, r.id, r.atText, r.actorUserId ?? '', r.actorLabel, r.action, r.entity, r.entityId, r.personId ?? '', r.requestId ?? ''].join('\u001f');
  return createHash('sha256').update(prev).update(text, 'utf8').digest();
}

export interface VerifyResult {
  ok: boolean;
  sealed: number;
  unsealed: number;
  oldestUnsealedAt: string | null;
  head: { seq: string; hash: string } | null;
  /** the first row where the chain breaks: a changed row, a missing one, a broken link */
  brokenAt: { seq: string; id: string; problem: string } | null;
}

/** Walks the whole chain in order, recomputing each hash. */
export async function verifyAuditChain(deps: Pick<ServiceDeps, 'db'>): Promise<VerifyResult> {
  let prev: Buffer = GENESIS;
  let expectSeq = 1n;
  let sealed = 0;
  let head: VerifyResult['head'] = null;
  let after = '0';
  for (;;) {
    const rows = await readChain(deps.db, after, 5000);
    for (const r of rows) {
      const fail = (problem: string) => ({ seq: r.seq, id: r.id, problem });
      let broken: VerifyResult['brokenAt'] = null;
      if (BigInt(r.seq) !== expectSeq) broken = fail(`expected row ${expectSeq} of the chain next: rows are missing`);
      else if (!r.prevHash.equals(prev)) broken = fail('its link to the row before does not match: a row before it was changed or removed');
      else if (!chainHash(prev, r).equals(r.hash)) broken = fail('its content does not match its hash: the row was changed');
      if (broken) {
        const { unsealed, oldest } = await countUnsealed(deps.db);
        return { ok: false, sealed, unsealed, oldestUnsealedAt: oldest?.toISOString() ?? null, head, brokenAt: broken };
      }
      prev = r.hash;
      expectSeq += 1n;
      sealed += 1;
      head = { seq: r.seq, hash: r.hash.toString('hex') };
    }
    if (rows.length < 5000) break;
    after = rows.at(-1)!.seq;
  }
  const { unsealed, oldest } = await countUnsealed(deps.db);
  return { ok: true, sealed, unsealed, oldestUnsealedAt: oldest?.toISOString() ?? null, head, brokenAt: null };
}
