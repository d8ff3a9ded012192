/**
 * Sending one notifications row over SMTP, at most once per row as far as the hub can make it
 * so. The row is claimed with a row lock (FOR UPDATE SKIP LOCKED) for the length of one send,
 * so two workers never send it at the same time; a row already 'sent' is never sent again; the
 * row is marked 'sent' in the transaction that commits right after the server accepted the
 * message, together with whatever the caller records about it (the referral becoming
 * 'forwarded', in forward.service.ts).
 *
 * The one window left: the server accepts, then the process (or its Postgres connection) dies
 * before that commit. A re-run sends again, with the SAME Message-ID (the row's), so the
 * recipient's mail system and a reader can tell it is a repeat. It lasts one commit round trip.
 */
import type { Executor, Notification } from '../../platform/db/database.js';
import { claimNotification, findNotification, markNotificationSent, recordNotificationFailure } from './notification.repository.js';
import { classifyMailError, MailError, type Mailer } from '../../platform/mail/transport.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { mailFailures } from './notification.metrics.js';

export type DeliveryDeps = Pick<ServiceDeps, 'db' | 'clock' | 'metrics'> & { mailer: Mailer };

export type SendResult = { ok: true; at: Date } | { ok: false; error: MailError; at: Date };

/** Another worker holds the row (a stalled job running twice): retry later; it will be 'sent' by then. */
export const busyError = () => new MailError('notification is being sent by another worker', false, null);

/** Locks the row for this transaction: the row, undefined when there is none, or 'busy'. */
export async function claimForSending(trx: Executor, id: string): Promise<Notification | 'busy' | undefined> {
  const n = await claimNotification(trx, id);
  if (n) return n;
  return (await findNotification(trx, id)) ? 'busy' : undefined;
}

/** Sends a claimed, queued row (with `text` as its body) and records the attempt on the row. */
export async function sendClaimed(trx: Executor, deps: DeliveryDeps, n: Notification, text: string = n.bodyText): Promise<SendResult> {
  try {
    await deps.mailer.send({ to: n.recipient, subject: n.subject, text, html: n.bodyHtml, messageId: n.messageId });
  } catch (err) {
    const error = classifyMailError(err, [n.recipient]);
    if (deps.metrics) mailFailures(deps.metrics).inc({ kind: n.kind, permanent: String(error.permanent) });
    await recordNotificationFailure(trx, n.id, error.message, error.permanent);
    return { ok: false, error, at: deps.clock.now() };
  }
  const at = deps.clock.now();
  await markNotificationSent(trx, n.id, at);
  return { ok: true, at };
}

export type DeliveryResult =
  | { kind: 'sent' | 'already_sent' | 'failed_before' | 'missing' | 'not_this_queue' }
  | { kind: 'failed'; error: MailError };

/** Delivers a notification that needs nothing recorded beside it (the notify worker's job). */
export async function deliverNotification(deps: DeliveryDeps, notificationId: string): Promise<DeliveryResult> {
  return deps.db.transaction().execute(async (trx): Promise<DeliveryResult> => {
    const n = await claimForSending(trx, notificationId);
    if (n === 'busy') throw busyError();
    if (!n) return { kind: 'missing' };
    if (n.status === 'sent') return { kind: 'already_sent' };
    if (n.status === 'failed') return { kind: 'failed_before' };
    // a referral's forward mail goes only with the referral recorded forwarded (forward.service.ts)
    if (n.kind === 'referral_forward') return { kind: 'not_this_queue' };
    const sent = await sendClaimed(trx, deps, n);
    return sent.ok ? { kind: 'sent' } : { kind: 'failed', error: sent.error };
  });
}
