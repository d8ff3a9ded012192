/**
 * What forwarding a referral reads and writes: the referral with its agency, submission, person
 * and flagging questions; the forward notification row; and the conditional status changes.
 */
import { sql } from 'kysely';
import type { Executor, Notification } from './database.js';
import { referralsWithParties } from './referral.repository.js';

export async function findForwardContext(db: Executor, referralId: string) {
  const row = await referralsWithParties(db)
    .select([
      'r.id',
      'r.reference',
      'r.status',
      'r.submissionId',
      'r.questionIds',
      'r.receivedAt',
      'r.forwardDueAt',
      'a.id as agencyId',
      'a.name as agencyName',
      'a.email as agencyEmail',
      'a.status as agencyStatus',
      'a.contactDays',
      's.reference as submissionReference',
      'p.givenName',
      'p.familyName',
      'p.dateOfBirth',
      'p.postcode',
      'p.addressLine',
      'p.phone',
      'p.email',
      'p.preferredContact',
      'p.language',
      'p.accessNeeds',
    ])
    .where('r.id', '=', referralId)
    .executeTakeFirst();
  if (!row) return undefined;
  const questions = row.questionIds.length
    ? await db.selectFrom('questions').select(['id', 'text', 'position']).where('id', 'in', row.questionIds).execute()
    : [];
  const order = new Map(row.questionIds.map((id, i) => [id, i]));
  questions.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  return { ...row, questions: questions.map((q) => q.text) };
}
export type ForwardContext = NonNullable<Awaited<ReturnType<typeof findForwardContext>>>;

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

/** pending|forward_failed -> forwarded; undefined when another run got there first. */
export async function markForwarded(trx: Executor, r: { id: string; at: Date; contactDueAt: Date; messageId: string }) {
  return trx
    .updateTable('referrals')
    .set({
      status: 'forwarded',
      forwardedAt: r.at,
      contactDueAt: r.contactDueAt,
      forwardMessageId: r.messageId,
      forwardAttempts: sql`forward_attempts + 1`,
      lastForwardError: null,
      updatedAt: r.at,
    })
    .where('id', '=', r.id)
    .where('status', 'in', ['pending', 'forward_failed'])
    .returning(['id', 'submissionId', 'forwardedAt', 'contactDueAt'])
    .executeTakeFirst();
}

/** pending -> forward_failed after a permanent refusal; undefined when no longer pending. */
export async function markForwardFailed(trx: Executor, r: { id: string; at: Date; error: string }) {
  return trx
    .updateTable('referrals')
    .set({ status: 'forward_failed', forwardAttempts: sql`forward_attempts + 1`, lastForwardError: r.error.slice(0, 1000), updatedAt: r.at })
    .where('id', '=', r.id)
    .where('status', '=', 'pending')
    .returning(['id'])
    .executeTakeFirst();
}

/** A temporary failure: the referral stays pending, the attempt and error are kept. */
export async function recordForwardAttempt(db: Executor, r: { id: string; at: Date; error: string }): Promise<void> {
  await db
    .updateTable('referrals')
    .set({ forwardAttempts: sql`forward_attempts + 1`, lastForwardError: r.error.slice(0, 1000), updatedAt: r.at })
    .where('id', '=', r.id)
    .where('status', '=', 'pending')
    .execute();
}

export async function appendSystemEvent(
  db: Executor,
  e: { referralId: string; at: Date; fromStatus: string; toStatus: string; reason?: string | null; note?: string | null },
): Promise<void> {
  await db
    .insertInto('referralEvents')
    .values({
      referralId: e.referralId,
      at: e.at,
      actorUserId: null,
      actorLabel: 'Signpost hub',
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      reason: e.reason ?? null,
      outcome: null,
      note: e.note ?? null,
    })
    .execute();
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
