/**
 * Delivering one notifications row over SMTP, at most once per row as far as the hub can make
 * it so: the row is claimed with a row lock (FOR UPDATE SKIP LOCKED) for the length of one send,
 * so two workers never send it at the same time; a row already 'sent' is never sent again; the
 * row is marked 'sent' in the transaction that commits right after the server accepted the
 * message, and the caller's own changes (e.g. the referral becoming 'forwarded') commit with it.
 *
 * The one window left: the server accepts, then the process dies before that commit. A re-run
 * sends again, with the SAME Message-ID (the row's), so the recipient's mail system and a reader
 * can tell it is a repeat. It lasts one commit round trip.
 */
import type { Notification, Executor } from '../db/database.js';
import { claimNotification, findNotification, markNotificationSent, recordNotificationFailure } from '../db/delivery.repository.js';
import { classifyMailError, MailError, type Mailer } from '../mail/transport.js';
import type { ServiceDeps } from './deps.js';

export type DeliveryDeps = Pick<ServiceDeps, 'db' | 'clock'> & { mailer: Mailer };

export interface DeliveryHooks<S, F> {
  /**
   * the text actually sent, made just before each attempt (in the claim transaction): lets a
   * one-time secret such as a signed link go into the mail without ever being stored in the row
   */
  prepareText?: (trx: Executor, n: Notification) => Promise<string>;
  /** runs in the transaction that marks the row sent (also for a row found already sent) */
  onSent?: (trx: Executor, n: Notification, at: Date) => Promise<S>;
  /** runs in the transaction that records a failed attempt */
  onFailure?: (trx: Executor, n: Notification, err: MailError, at: Date) => Promise<F>;
}

export type DeliveryResult<S, F> =
  | { kind: 'sent'; notification: Notification; result: S | undefined }
  | { kind: 'already_sent'; notification: Notification; result: S | undefined }
  | { kind: 'failed'; notification: Notification; error: MailError; result: F | undefined }
  | { kind: 'failed_before'; notification: Notification }
  | { kind: 'missing' };

/** Never throws for a mail failure: the caller decides (retry, or stop). Throws when the row is busy. */
export async function deliverNotification<S = void, F = void>(
  deps: DeliveryDeps,
  notificationId: string,
  hooks: DeliveryHooks<S, F> = {},
): Promise<DeliveryResult<S, F>> {
  const outcome = await deps.db.transaction().execute(async (trx): Promise<DeliveryResult<S, F> | 'busy'> => {
    const n = await claimNotification(trx, notificationId);
    if (!n) return (await findNotification(trx, notificationId)) ? 'busy' : { kind: 'missing' };
    if (n.status === 'sent') {
      return { kind: 'already_sent', notification: n, result: await hooks.onSent?.(trx, n, n.sentAt ?? deps.clock.now()) };
    }
    if (n.status === 'failed') return { kind: 'failed_before', notification: n };
    try {
      const text = hooks.prepareText ? await hooks.prepareText(trx, n) : n.bodyText;
      await deps.mailer.send({ to: n.recipient, subject: n.subject, text, html: n.bodyHtml, messageId: n.messageId });
    } catch (err) {
      const error = classifyMailError(err);
      const at = deps.clock.now();
      await recordNotificationFailure(trx, n.id, error.message, error.permanent);
      return { kind: 'failed', notification: n, error, result: await hooks.onFailure?.(trx, n, error, at) };
    }
    const at = deps.clock.now();
    await markNotificationSent(trx, n.id, at);
    return { kind: 'sent', notification: { ...n, status: 'sent', sentAt: at }, result: await hooks.onSent?.(trx, n, at) };
  });
  // Another worker holds the row (a stalled job running twice): retry later, it will be 'sent'.
  if (outcome === 'busy') throw new MailError('notification is being sent by another worker', false, null);
  return outcome;
}
