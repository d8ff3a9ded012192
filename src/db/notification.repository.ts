/** Notification rows (outgoing mail other than the referral forward); the dedupe key is unique. */
import type { Executor, NewNotification } from './database.js';


/** Inserts the notification; undefined when one with this dedupe key exists already. */
export async function insertNotificationIfNew(db: Executor, row: NewNotification): Promise<{ id: string } | undefined> {
  return db
    .insertInto('notifications')
    .values(row)
    .onConflict((oc) => oc.column('dedupeKey').doNothing())
    .returning('id')
    .executeTakeFirst();
}

/** The id of the notification with this dedupe key (which must exist). */
export async function findNotificationIdByDedupeKey(db: Executor, dedupeKey: string): Promise<{ id: string }> {
  return db.selectFrom('notifications').select('id').where('dedupeKey', '=', dedupeKey).executeTakeFirstOrThrow();
}
