import type { Executor } from './database.js';

/** Every read of personal data by the hub is audited (README): who, what, when, which request. */
export async function recordAudit(
  db: Executor,
  a: { principal: { userId: string; name: string }; action: string; entity: string; entityId: string; requestId?: string | undefined; at: Date },
) {
  await db
    .insertInto('auditLog')
    .values({
      at: a.at,
      actorUserId: a.principal.userId,
      actorLabel: a.principal.name,
      action: a.action,
      entity: a.entity,
      entityId: a.entityId,
      requestId: a.requestId ?? null,
    })
    .execute();
}
