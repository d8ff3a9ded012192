/** The audit_log table (append-only: a trigger refuses UPDATE and DELETE), written here only. */
import type { Executor } from './database.js';

export interface AuditEntry {
  /** who: a user, or (userId null) an agency's signed link or the hub itself, named by `name` */
  principal: { userId: string | null; name: string };
  action: string;
  entity: string;
  entityId: string;
  requestId?: string | undefined;
  at: Date;
}

/** Every read of personal data, and every act on accounts, is audited (README): who, what, when, which request. */
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
        requestId: a.requestId ?? null,
      })),
    )
    .execute();
}
