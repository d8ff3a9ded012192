/**
 * The audit chain's daily checkpoint (the workers' 'audit-checkpoint' job, or `signpost
 * audit:checkpoint`): seal what is waiting, verify the chain from the last checkpoint to its
 * head, and record that head in audit_checkpoints and in the log. `audit:verify` then fails when
 * a checkpoint's row is gone, which is how rows cut off the chain's end show.
 *
 * The log line is at warn level on purpose: it is the copy of the head that leaves the database,
 * and a hub that runs with LOG_LEVEL=warn must still get it (docs/data-protection.md says how to
 * keep it). It holds a place in the chain and a hash: no personal data.
 *
 * A chain that no longer holds the last checkpoint gets no new one (that would bless the cut):
 * the result says where it breaks, logged at error level, until someone looks.
 */
import { readChain } from './audit.repository.js';
import { insertAuditCheckpoint, latestAuditCheckpoint } from './audit-checkpoint.repository.js';
import { CHAIN_START, chainHash, sealAudit, walkChain, type ChainBreak, type ChainHead } from './audit.service.js';
import type { ServiceDeps } from '../../platform/deps.js';

export type CheckpointResult =
  | { ok: true; checkpoint: (ChainHead & { takenAt: string }) | null }
  | { ok: false; checkpoint: null; brokenAt: ChainBreak };

export async function takeAuditCheckpoint(deps: Pick<ServiceDeps, 'db' | 'logger' | 'clock'>): Promise<CheckpointResult> {
  await sealAudit(deps);
  const last = await latestAuditCheckpoint(deps.db);
  const lastAt = last?.takenAt.toISOString();
  let brokenAt: ChainBreak | null = null;
  let head: ChainHead | null = last ? { seq: last.seq, rows: Number(last.seq), hash: last.hash.toString('hex') } : null;
  const [row] = last ? await readChain(deps.db, String(BigInt(last.seq) - 1n), 1) : [];
  if (last && row?.seq !== last.seq) {
    brokenAt = { seq: last.seq, id: null, problem: `row ${last.seq}, the head the checkpoint of ${lastAt} recorded, is gone` };
  } else if (last && row && !(row.hash.equals(last.hash) && chainHash(row.prevHash, row).equals(last.hash))) {
    brokenAt = { seq: row.seq, id: row.id, problem: `it no longer has the hash the checkpoint of ${lastAt} recorded` };
  } else {
    const walk = await walkChain(deps.db, last ?? CHAIN_START);
    brokenAt = walk.brokenAt;
    head = walk.head ?? head;
  }
  if (brokenAt) {
    deps.logger.error({ auditChainBrokenAt: brokenAt }, 'the audit chain does not verify from its last checkpoint: no new checkpoint written; run audit:verify');
    return { ok: false, checkpoint: null, brokenAt };
  }
  if (!head) return { ok: true, checkpoint: null };
  const takenAt = deps.clock.now();
  await insertAuditCheckpoint(deps.db, { seq: head.seq, hash: Buffer.from(head.hash, 'hex'), takenAt });
  const checkpoint = { ...head, takenAt: takenAt.toISOString() };
  deps.logger.warn({ auditCheckpoint: checkpoint }, 'audit chain checkpoint: keep this head outside the database');
  return { ok: true, checkpoint };
}
