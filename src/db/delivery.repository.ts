/**
 * Sending a notifications row: claim it (a row lock held for the length of one SMTP send, so
 * two workers never send it at once), record each attempt, mark it sent or failed. Used by the
 * forward and notify workers through services/delivery.service.ts.
 */
import { sql } from 'kysely';
import type { Executor, Notification } from './database.js';

/** Locks the row for this transaction; undefined when another transaction holds it. */
export async function claimNotification(trx: Executor, id: string): Promise<Notification | undefined> {
  return trx.selectFrom('notifications').selectAll().where('id', '=', id).forUpdate().skipLocked().executeTakeFirst();
}

export async function findNotification(db: Executor, id: string): Promise<Notification | undefined> {
  return db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function markNotificationSent(db: Executor, id: string, at: Date): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ status: 'sent', sentAt: at, attempts: sql`attempts + 1`, lastError: null })
    .where('id', '=', id)
    .execute();
}

/** One failed attempt; `failed` only when it was permanent (a temporary one stays queued). */
export async function recordNotificationFailure(db: Executor, id: string, error: string, permanent: boolean): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ attempts: sql`attempts + 1`, lastError: error.slice(0, 1000), ...(permanent ? { status: 'failed' as const } : {}) })
    .where('id', '=', id)
    .where('status', '!=', 'sent')
    .execute();
}
