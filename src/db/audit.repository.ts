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

/** Many audit rows in one statement (a list page that shows personal data audits every row). */
export async function recordAudits(
  db: Executor,
  rows: { principal: { userId: string; name: string }; action: string; entity: string; entityId: string; requestId?: string | undefined; at: Date }[],
) {
  if (rows.length === 0) return;
  await db
    .insertInto('auditLog')
    .values(
      rows.map((a) => ({
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
