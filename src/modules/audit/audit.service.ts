/**
 * The audit log as admins read it ("who has seen this person", "what did this user see"), and
 * its hash chain: sealing new rows (the scheduled 'audit-seal' job) and verifying the chain
 * against itself, the workers' daily checkpoints and a head kept outside the database
 * (`signpost audit:verify [--expect-head HASH]`). Reading the audit log is itself audited.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { countUnsealed, listAuditRows, readChain, recordAudit, sealAuditRows, type ChainRow } from './audit.repository.js';
import { listAuditCheckpoints, type AuditCheckpoint } from './audit-checkpoint.repository.js';
import { personIdsOf } from '../../platform/db/person-keys.js';
import { EXACT_MOMENT, type KeysetPlace } from '../../platform/db/keyset.js';
import { badRequest, forbidden } from '../../kernel/errors.js';
import type { Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { organisationOf } from '../../kernel/actors.js';

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

/** base64url of 'moment to the microsecond|id' of the page's last row (platform/db/keyset.ts). */
function decodeCursor(c: string): KeysetPlace {
  const [at, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  if (!id || !/^[0-9]{1,19}$/.test(id) || !at || !EXACT_MOMENT.test(at) || Number.isNaN(Date.parse(at))) {
    throw badRequest('invalid cursor', [{ path: 'cursor', message: 'is not a cursor this API returned' }]);
  }
  return { at, id };
}
const encodeCursor = (r: KeysetPlace) => Buffer.from(`${r.at}|${r.id}`).toString('base64url');

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
    nextCursor: rows.length > q.limit && last ? encodeCursor({ at: last.cursorAt, id: last.id }) : null,
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
/** Where every walk of the chain may start: before row 1, whose previous hash is 32 zero bytes. */
export const CHAIN_START = Object.freeze({ seq: '0', hash: GENESIS });

/** A sealed row's hash, computed here from its fields (not by the database that stored it). */
export function chainHash(prev: Buffer, r: Omit<ChainRow, 'prevHash' | 'hash'>): Buffer {
  const text = [r.seq, r.id, r.atText, r.actorUserId ?? '', r.actorLabel, r.action, r.entity, r.entityId, r.personId ?? '', r.requestId ?? ''].join('\u001f');
  return createHash('sha256').update(prev).update(text, 'utf8').digest();
}

/** The chain's last verified row: its place (also the number of rows up to it) and its hash, in hex. */
export interface ChainHead {
  seq: string;
  rows: number;
  hash: string;
}
/** Where the chain breaks: a row (id null when the row is gone), or no one place (seq null). */
export type ChainBreak = { seq: string | null; id: string | null; problem: string };

const headOf = (r: { seq: string; hash: Buffer }): ChainHead => ({ seq: r.seq, rows: Number(r.seq), hash: r.hash.toString('hex') });

/**
 * Walks the chain from a row already trusted (`from`: the genesis, or a checkpoint's row) to its
 * end, recomputing each hash. `check` may refuse a row whose own hash is right (a checkpoint
 * that named another hash for its place). Stops at the first break.
 */
export async function walkChain(
  db: ServiceDeps['db'],
  from: { seq: string; hash: Buffer },
  check: (r: ChainRow) => string | null = () => null,
): Promise<{ walked: number; head: ChainHead | null; brokenAt: ChainBreak | null }> {
  let prev = from.hash;
  let expectSeq = BigInt(from.seq) + 1n;
  let walked = 0;
  let head: ChainHead | null = null;
  let after = from.seq;
  for (;;) {
    const rows = await readChain(db, after, 5000);
    for (const r of rows) {
      let problem: string | null = null;
      if (BigInt(r.seq) !== expectSeq) problem = `expected row ${expectSeq} of the chain next: rows are missing`;
      else if (!r.prevHash.equals(prev)) problem = 'its link to the row before does not match: a row before it was changed or removed';
      else if (!chainHash(prev, r).equals(r.hash)) problem = 'its content does not match its hash: the row was changed';
      else problem = check(r);
      if (problem) return { walked, head, brokenAt: { seq: r.seq, id: r.id, problem } };
      prev = r.hash;
      expectSeq += 1n;
      walked += 1;
      head = headOf(r);
    }
    if (rows.length < 5000) break;
    after = rows.at(-1)!.seq;
  }
  return { walked, head, brokenAt: null };
}

export interface VerifyResult {
  ok: boolean;
  sealed: number;
  unsealed: number;
  oldestUnsealedAt: string | null;
  /** the last row verified: on success, the chain's head */
  head: ChainHead | null;
  /** the latest checkpoint the workers wrote (every checkpoint is checked) */
  checkpoint: { seq: string; hash: string; takenAt: string } | null;
  checkpoints: number;
  /** --expect-head: the hash asked for, and the row that has it (null: not in the chain) */
  expectedHead: { hash: string; seq: string | null } | null;
  /** the first place where the chain breaks: a changed, missing or reordered row, or rows cut off its end */
  brokenAt: ChainBreak | null;
}

/**
 * Walks the whole chain in order, recomputing each hash, and checks that it still holds every
 * checkpoint the workers wrote and, when given, `expectHead` (a head an operator kept outside
 * the database): a checkpoint's row must be there with the hash it recorded, so a chain cut
 * short, or cut and sealed again, fails. An earlier head (from before later seals) is still
 * found: it is a link of the chain.
 */
export async function verifyAuditChain(deps: Pick<ServiceDeps, 'db'>, opts: { expectHead?: Buffer } = {}): Promise<VerifyResult> {
  const checkpoints = await listAuditCheckpoints(deps.db);
  const atSeq = new Map<string, AuditCheckpoint[]>();
  for (const c of checkpoints) atSeq.set(c.seq, [...(atSeq.get(c.seq) ?? []), c]);
  let foundAt: string | null = null;
  const walk = await walkChain(deps.db, CHAIN_START, (r) => {
    if (opts.expectHead?.equals(r.hash)) foundAt = r.seq;
    const other = atSeq.get(r.seq)?.find((c) => !c.hash.equals(r.hash));
    return other ? `its hash is not the one the checkpoint of ${other.takenAt.toISOString()} recorded for this row: the chain was cut back before it and sealed again` : null;
  });
  let brokenAt = walk.brokenAt;
  const end = walk.head ? BigInt(walk.head.seq) : 0n;
  if (!brokenAt) {
    const beyond = checkpoints.reduce<AuditCheckpoint | undefined>((max, c) => (BigInt(c.seq) > (max ? BigInt(max.seq) : end) ? c : max), undefined);
    if (beyond) {
      brokenAt = {
        seq: String(end + 1n),
        id: null,
        problem: `${BigInt(beyond.seq) === end + 1n ? `row ${beyond.seq} is` : `rows ${end + 1n} to ${beyond.seq} are`} gone: the checkpoint of ${beyond.takenAt.toISOString()} recorded ${beyond.seq} rows and the chain ends at row ${end}`,
      };
    }
  }
  if (!brokenAt && opts.expectHead && foundAt === null) {
    brokenAt = { seq: null, id: null, problem: `the expected head ${opts.expectHead.toString('hex')} is not in the chain, which ends at row ${end}: rows were cut off its end, or it was rewritten` };
  }
  const latest = checkpoints.at(-1);
  const { unsealed, oldest } = await countUnsealed(deps.db);
  return {
    ok: brokenAt === null,
    sealed: walk.walked,
    unsealed,
    oldestUnsealedAt: oldest?.toISOString() ?? null,
    head: walk.head,
    checkpoint: latest ? { seq: latest.seq, hash: latest.hash.toString('hex'), takenAt: latest.takenAt.toISOString() } : null,
    checkpoints: checkpoints.length,
    expectedHead: opts.expectHead ? { hash: opts.expectHead.toString('hex'), seq: foundAt } : null,
    brokenAt,
  };
}
