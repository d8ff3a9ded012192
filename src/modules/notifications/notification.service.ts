/**
 * Outgoing mail other than the referral forward itself (coordinator alerts, reminders, the
 * submitter's closing mail). A notification is a row first, written in the caller's
 * transaction with its rendered text and a stable Message-ID; the notify queue's worker sends it
 * after commit. The dedupe key makes "one mail per X" a database guarantee, not a hope.
 */
import type { DB, Executor } from '../../platform/db/database.js';
import { findNotificationIdByDedupeKey, insertNotificationIfNew, listNotificationRows } from './notification.repository.js';
import { forbidden } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Env } from '../../../config/env.js';
import { messageId } from '../../platform/mail/message-id.js';
import type { JobProducer } from '../../platform/jobs/producer.js';

export interface NotificationInput {
  kind: string;
  /** unique per intended mail, e.g. `reminder:<agency>:<day>`; a second insert is a no-op */
  dedupeKey: string;
  recipient: string;
  subject: string;
  bodyText: string;
  bodyHtml?: string | null;
  referralId?: string | null;
  submissionId?: string | null;
  agencyId?: string | null;
}

/**
 * Writes the notification (or finds the one with this dedupe key); returns its id. Its
 * Message-ID, the same for every attempt to send it, is in MAIL_FROM's domain.
 */
export async function createNotification(
  db: Executor,
  deps: { ids: IdGenerator; env: Pick<Env, 'MAIL_FROM'> },
  n: NotificationInput,
  now: Date,
): Promise<{ id: string; created: boolean }> {
  const id = deps.ids.uuid();
  const inserted = await insertNotificationIfNew(db, {
    id,
    kind: n.kind,
    dedupeKey: n.dedupeKey,
    referralId: n.referralId ?? null,
    submissionId: n.submissionId ?? null,
    agencyId: n.agencyId ?? null,
    recipient: n.recipient,
    subject: n.subject,
    bodyText: n.bodyText,
    bodyHtml: n.bodyHtml ?? null,
    messageId: messageId(id, deps.env.MAIL_FROM),
    status: 'queued',
    createdAt: now,
  });
  if (inserted) return { id: inserted.id, created: true };
  const existing = await findNotificationIdByDedupeKey(db, n.dedupeKey);
  return { id: existing.id, created: false };
}

/** After commit: hand the notification to the 'send-notification' job (never throws). */
export async function dispatchNotifications(jobs: JobProducer, notificationIds: string[], requestId?: string): Promise<void> {
  if (notificationIds.length === 0) return;
  await jobs.enqueueSafely(
    'send-notification',
    notificationIds.map((notificationId) => ({ notificationId, requestId })),
  );
}

/** The hub's mail page: what was sent, or only what failed. */
export async function listMail(deps: { db: DB }, principal: Principal, failedOnly: boolean) {
  if (!isHub(principal)) throw forbidden('only coordinators and admins see the mail');
  return listNotificationRows(deps.db, { failedOnly, limit: 200 });
}
