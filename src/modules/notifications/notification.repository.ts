/**
 * The notifications table: every mail the hub sends, written and changed here only. A row is
 * written first (its dedupe key unique), then claimed with a row lock for the length of one SMTP
 * send (so two workers never send it at once), and marked sent or failed.
 */
import { sql } from 'kysely';
import type { Executor, NewNotification, Notification } from '../../platform/db/database.js';
import { erasedMailError } from '../../platform/db/mail-error-text.js';

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

export interface ForwardNotificationInput {
  id: string;
  referralId: string;
  submissionId: string;
  agencyId: string;
  recipient: string;
  subject: string;
  bodyText: string;
  messageId: string;
  createdAt: Date;
}

/** The referral's one forward notification: written on the first attempt, reused by every retry. */
export async function ensureForwardNotification(db: Executor, n: ForwardNotificationInput): Promise<Notification> {
  await db
    .insertInto('notifications')
    .values({ ...n, kind: 'referral_forward', dedupeKey: `forward:${n.referralId}`, status: 'queued', bodyHtml: null })
    .onConflict((oc) => oc.column('dedupeKey').doNothing())
    .execute();
  return db.selectFrom('notifications').selectAll().where('dedupeKey', '=', `forward:${n.referralId}`).executeTakeFirstOrThrow();
}

/** failed -> queued for the forward notification, with its text re-rendered; a no-op unless it was failed. */
export async function requeueFailedForwardNotification(
  db: Executor,
  id: string,
  mail: { recipient: string; subject: string; bodyText: string },
): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ status: 'queued', recipient: mail.recipient, subject: mail.subject, bodyText: mail.bodyText })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .execute();
}

/** A claimed forward mail that will not go (its referral ended first): failed, with why, never sent by anyone. */
export async function markForwardNotificationUnsent(trx: Executor, id: string, why: string): Promise<void> {
  await trx.updateTable('notifications').set({ status: 'failed', lastError: why }).where('id', '=', id).where('status', '=', 'queued').execute();
}

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

/** Sent mail for the hub's mail page, newest first. */
export async function listNotificationRows(db: Executor, f: { failedOnly: boolean; limit: number }) {
  let q = db
    .selectFrom('notifications as n')
    .leftJoin('referrals as r', 'r.id', 'n.referralId')
    .select(['n.id', 'n.kind', 'n.recipient', 'n.subject', 'n.status', 'n.attempts', 'n.lastError', 'n.createdAt', 'n.sentAt', 'n.referralId', 'r.reference as referralReference']);
  if (f.failedOnly) q = q.where('n.status', '=', 'failed');
  return q.orderBy('n.createdAt', 'desc').limit(f.limit).execute();
}

export const ERASED_MAIL_BODY = '(Removed: this mail was about a person whose details Signpost no longer holds.)';
/** What a mail to the person themselves shows as its recipient once their address is no longer held. */
export const REMOVED_RECIPIENT = '(address removed)';
/**
 * Mail sent to the person themselves (not to an agency, a staff member or the hub): its recipient
 * is the person's own address, so erasure removes it along with the text.
 */
export const MAIL_TO_THE_PERSON = ['self_referral_received'] as const;

/** A self-referral released: its confirmation mail becomes mail about the checklist it turned into. */
export async function linkNotificationToSubmission(db: Executor, dedupeKey: string, submissionId: string): Promise<void> {
  await db.updateTable('notifications').set({ submissionId }).where('dedupeKey', '=', dedupeKey).where('submissionId', 'is', null).execute();
}

/**
 * Forgets the recipient of a mail to someone no record will hold (a self-referral closed), and
 * the server's reply to it, which may quote the address (erasedMailError keeps its code). The
 * UPDATE waits for a send in flight (the worker holds the row lock for one SMTP send) and then
 * acts on its outcome: a mail sent or refused keeps its status; a mail still queued is not sent
 * (marked failed with `why`), since the address is gone.
 */
export async function forgetRecipient(db: Executor, dedupeKey: string, why: string): Promise<void> {
  await db
    .updateTable('notifications')
    .set({
      recipient: REMOVED_RECIPIENT,
      status: sql<Notification['status']>`CASE WHEN status = 'queued' THEN 'failed' ELSE status END`,
      lastError: sql`CASE WHEN status = 'queued' THEN ${why} ELSE ${erasedMailError('last_error')} END`,
    })
    .where('dedupeKey', '=', dedupeKey)
    .execute();
}

/**
 * Erasure: the text of every mail about the person goes, and the mail server's reply to it (its
 * code stays: erasedMailError); who it went to, when, and its subject (references only) stay,
 * except the recipient of mail to the person themselves (their own address: MAIL_TO_THE_PERSON),
 * which goes too, and such a mail still queued is not sent.
 */
export async function eraseNotificationBodies(db: Executor, referralIds: string[], submissionIds: string[]): Promise<void> {
  if (referralIds.length === 0 && submissionIds.length === 0) return;
  const toPerson = sql`kind IN (${sql.join([...MAIL_TO_THE_PERSON])})`;
  await db
    .updateTable('notifications')
    .set({
      bodyText: ERASED_MAIL_BODY,
      bodyHtml: null,
      recipient: sql`CASE WHEN ${toPerson} THEN ${REMOVED_RECIPIENT} ELSE recipient END`,
      status: sql<Notification['status']>`CASE WHEN ${toPerson} AND status = 'queued' THEN 'failed' ELSE status END`,
      lastError: sql`CASE WHEN ${toPerson} AND status = 'queued' THEN ${'not sent: the person’s details were erased'} ELSE ${erasedMailError('last_error')} END`,
    })
    .where((e) => e.or([...(referralIds.length ? [e('referralId', 'in', referralIds)] : []), ...(submissionIds.length ? [e('submissionId', 'in', submissionIds)] : [])]))
    .execute();
}
