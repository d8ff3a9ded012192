/**
 * The audit_checkpoints table: the audit chain's head as the workers verified it, once a day.
 * Append-only (a trigger refuses UPDATE, DELETE and TRUNCATE: 2026_12_07_1200). Written here only.
 */
import type { Executor } from '../../platform/db/database.js';

export interface AuditCheckpoint {
  seq: string;
  hash: Buffer;
  takenAt: Date;
}

export async function insertAuditCheckpoint(db: Executor, c: AuditCheckpoint): Promise<void> {
  await db.insertInto('auditCheckpoints').values(c).execute();
}

/** The checkpoint written last, or undefined before the first. */
export async function latestAuditCheckpoint(db: Executor): Promise<AuditCheckpoint | undefined> {
  return db.selectFrom('auditCheckpoints').select(['seq', 'hash', 'takenAt']).orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** Every checkpoint, oldest first: one a day, so a few thousand in ten years. */
export async function listAuditCheckpoints(db: Executor): Promise<AuditCheckpoint[]> {
  return db.selectFrom('auditCheckpoints').select(['seq', 'hash', 'takenAt']).orderBy('id').execute();
}
