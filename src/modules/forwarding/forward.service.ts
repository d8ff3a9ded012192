/**
 * Forwarding a referral to its agency (the hub's T1 promise), as the forward worker runs it.
 *
 * Idempotent: it re-reads Postgres and acts only on a 'pending' referral; the status change is a
 * conditional UPDATE (pending -> forwarded), and the mail is one notifications
 * row with a stable Message-ID (`<forward-<referralId>@...>`) that is never sent twice. Outcomes:
 *  - not pending any more: nothing to do (at-least-once delivery of the job is fine);
 *  - held: its agency was closed when it was made and reopens on `held_until`; the job was
 *    timed for that day, and one that runs earlier does nothing (the sweep times it again);
 *  - agency paused: nothing is sent, a coordinator alert is raised once, the referral stays
 *    pending on its T1 clock; the job finishes (the SLA sweep re-enqueues it later);
 *  - agency closed to new referrals since the referral was made (its own word,
 *    kernel/capacity.ts): the same, with its own alert, until the day it reopens;
 *  - accepted by the mail server: recordForwarded (in the transaction that marks the mail sent);
 *  - temporary refusal (4xx, connection): recordTemporaryFailure, then a MailError(permanent=false)
 *    for the queue to retry with backoff;
 *  - permanent refusal (5xx): recordRefusedForGood, then a MailError(permanent=true).
 *
 * Racing with whoever ends the referral (a consent withdrawal, a coordinator's cancel or
 * re-route): the referral is read again under the mail's claim, just before the send, and
 * again under its row lock once the mail server has answered. Nothing holds the referral's row
 * during the SMTP conversation, so a withdrawal never waits for a slow relay. Either the mail
 * never goes, or it went and the referral had ended meanwhile: then the agency is told at once,
 * in the same transaction, not to act on it (recordSentAfterEnding).
 */
import { sql } from 'kysely';
import { SYSTEM_ACTOR } from '../../kernel/actors.js';
import { callDayStarts, followUpDueAt, promiseSettings } from '../../kernel/promise.js';
import type { Executor } from '../../platform/db/database.js';
import { findForwardContext, type ForwardContext } from './forward.repository.js';
import { effectiveCapacity } from '../../kernel/capacity.js';
import { londonDay, ukDate } from '../../kernel/uk-dates.js';
import { renderForwardMail } from './forward-mail.js';
import { forwardLatency } from './forward.metrics.js';
import { forwardMessageId } from '../../platform/mail/message-id.js';
import type { MailError, Mailer } from '../../platform/mail/transport.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { CONSENT_WITHDRAWN } from '../../kernel/referral-state.js';
import { resolveReferralAlerts, ensureForwardNotification, markForwardNotificationUnsent, requeueFailedForwardNotification, raiseAlert, busyError, claimForSending, sendClaimed, createNotification, dispatchNotifications } from '../notifications/index.js';
import type { HolidayCalendar } from '../clocks/index.js';
import { findCapacityRecord } from '../capacity/index.js';
import { appendReferralEvent, applyReferralStep, findReferralStatus, lockForRecordingForward, markSentAfterEnding, recordForwardAttempt, renderConsentWithdrawnMail, renderEndedWhileSendingMail, createAgencyLink } from '../referrals/index.js';
import { scheduleFollowUp } from '../follow-up/index.js';
import { dispatchWebhookDeliveries } from '../webhooks/index.js';

/** Where the forward mail's signed link goes; replaced at send time, never stored filled in. */
export const AGENCY_LINK_PLACEHOLDER = '[agency link]';

export type ForwardDeps = ServiceDeps & { mailer: Mailer };

export type ForwardOutcome = 'missing' | 'not_pending' | 'held' | 'agency_paused' | 'agency_closed' | 'forwarded' | 'already_forwarded' | 'ended_while_sending';

type RecordDeps = Pick<ServiceDeps, 'ids' | 'env'> & { holidays: Pick<HolidayCalendar, 'get'> };

/**
 * The referral is with its agency: forwarded (its contact clock, stored since it was made,
 * starts running), its T1 breach and paused-agency alert resolved, the hub's follow-up (T3)
 * scheduled for after its contact deadline. Call in the transaction that marks the mail sent.
 * Returns the follow-up to time after commit, or null when another run recorded it first; or
 * 'ended' when the referral was no longer pending (ended while the mail was on its way). The
 * webhook deliveries it made (`referral.forwarded`) are added to `out`, to dispatch after commit.
 */
export async function recordForwarded(
  trx: Executor,
  deps: RecordDeps,
  referral: { id: string; submissionId: string; contactDueAt: Date | null },
  mail: { messageId: string; recipient: string },
  at: Date,
  out: { webhookDeliveryIds: string[] } = { webhookDeliveryIds: [] },
): Promise<{ followUpId: string; dueAt: Date } | null | 'ended'> {
  const status = await lockForRecordingForward(trx, referral);
  if (status !== 'pending') return status === 'forwarded' ? null : 'ended';
  const step = await applyReferralStep(trx, {
    referral: { id: referral.id, status: 'pending', forwardedAt: null, contactedAt: null },
    to: 'forwarded',
    actor: 'system',
    by: SYSTEM_ACTOR,
    at,
    note: `mail ${mail.messageId} to ${mail.recipient}`,
    set: { forwardedAt: at, forwardMessageId: mail.messageId, forwardAttempts: sql<number>`forward_attempts + 1`, lastForwardError: null },
  });
  if (!step.ok) return null;
  out.webhookDeliveryIds.push(...step.webhookDeliveryIds);
  const updated = step.row;
  await resolveReferralAlerts(trx, referral.id, 'agency_paused', null, at);
  await resolveReferralAlerts(trx, referral.id, 'agency_closed', null, at);
  if (!updated.contactDueAt) throw new Error(`referral ${referral.id} has no contact deadline`);
  const due = followUpDueAt(updated.contactDueAt, promiseSettings(deps.env), await deps.holidays.get());
  return scheduleFollowUp(trx, deps, referral.submissionId, due, at, referral.id);
}

/**
 * The agency's mail server accepted a referral that had ended while the mail was on its way:
 * recorded as sent to the agency, and the agency told at once not to act on it (the consent
 * withdrawal's own mail when that is why it ended). Returns that mail's notification id.
 */
async function recordSentAfterEnding(trx: Executor, deps: ForwardDeps, ctx: ForwardContext, mail: { messageId: string; recipient: string }, at: Date): Promise<string | null> {
  if (!(await markSentAfterEnding(trx, { id: ctx.id, at, messageId: mail.messageId }))) return null;
  const now = await findReferralStatus(trx, ctx.id);
  await appendReferralEvent(trx, {
    ...SYSTEM_ACTOR,
    referralId: ctx.id,
    at,
    fromStatus: now?.status ?? null,
    toStatus: now?.status ?? 'cancelled',
    note: `mail ${mail.messageId} to ${mail.recipient} went as the referral ended; the agency is told not to act on it`,
  });
  const withdrawn = now?.reason === CONSENT_WITHDRAWN;
  const m = (withdrawn ? renderConsentWithdrawnMail : renderEndedWhileSendingMail)({ reference: ctx.reference, agencyName: ctx.agencyName }, deps.env);
  const n = await createNotification(
    trx,
    deps,
    { kind: withdrawn ? 'consent_withdrawn' : 'referral_ended', dedupeKey: withdrawn ? `consent-withdrawn:${ctx.id}` : `ended-while-sending:${ctx.id}`, recipient: ctx.agencyEmail, ...{ subject: m.subject, bodyText: m.text }, referralId: ctx.id, agencyId: ctx.agencyId },
    at,
  );
  return n.created ? n.id : null;
}

/**
 * The agency's mail server refused the referral for good (5xx): forward_failed (still open,
 * still on T1), an event with the reason, a coordinator alert. Returns the alert mail to send
 * after commit, or null.
 */
export async function recordRefusedForGood(
  trx: Executor,
  deps: RecordDeps,
  referral: { id: string; reference: string; agencyId: string; agencyName: string },
  err: MailError,
  at: Date,
): Promise<string | null> {
  const step = await applyReferralStep(trx, {
    referral: { id: referral.id, status: 'pending', forwardedAt: null, contactedAt: null },
    to: 'forward_failed',
    actor: 'system',
    by: SYSTEM_ACTOR,
    at,
    reason: `mail refused: ${err.message}`,
    set: { forwardAttempts: sql<number>`forward_attempts + 1`, lastForwardError: err.message.slice(0, 1000) },
  });
  if (!step.ok) return null;
  // its referral.status_changed goes out with the sweep's next pass (no after-commit path here)
  return raiseAlert(
    trx,
    deps,
    {
      kind: 'forward_failed',
      referralId: referral.id,
      agencyId: referral.agencyId,
      message: `Referral ${referral.reference} could not be sent to ${referral.agencyName}: the mail server refused it (${err.responseCode ?? 'error'})`,
    },
    at,
  );
}

/** A temporary refusal: the referral stays pending; the attempt and the error are kept. */
export async function recordTemporaryFailure(trx: Executor, referral: { id: string }, err: MailError, at: Date): Promise<void> {
  await recordForwardAttempt(trx, { id: referral.id, at, error: err.message });
}

async function holdForPausedAgency(deps: ForwardDeps, ctx: ForwardContext, requestId?: string, closedUntil?: string): Promise<void> {
  const now = deps.clock.now();
  const alert = closedUntil
    ? { kind: 'agency_closed', message: `Referral ${ctx.reference} is waiting: ${ctx.agencyName} is closed to new referrals until ${ukDate(closedUntil)}` }
    : { kind: 'agency_paused', message: `Referral ${ctx.reference} is waiting: ${ctx.agencyName} is paused` };
  const notificationId = await deps.db.transaction().execute((trx) => raiseAlert(trx, deps, { ...alert, referralId: ctx.id, agencyId: ctx.agencyId }, now));
  if (notificationId) await dispatchNotifications(deps.jobs, [notificationId], requestId);
}

/** The forward notification row, written on the first attempt (with a placeholder for the link). */
async function forwardNotification(deps: ForwardDeps, ctx: ForwardContext) {
  const mail = renderForwardMail(
    ctx,
    { content: deps.env.FORWARD_EMAIL_CONTENT, publicUrl: deps.env.PUBLIC_URL, hub: deps.env, linkTtlDays: deps.env.AGENCY_LINK_TTL_DAYS },
    AGENCY_LINK_PLACEHOLDER,
  );
  const n = await ensureForwardNotification(deps.db, {
    id: deps.ids.uuid(),
    referralId: ctx.id,
    submissionId: ctx.submissionId,
    agencyId: ctx.agencyId,
    recipient: ctx.agencyEmail,
    subject: mail.subject,
    bodyText: mail.text,
    messageId: forwardMessageId(ctx.id, deps.env.MAIL_FROM),
    createdAt: deps.clock.now(),
  });
  // A coordinator put a forward_failed referral back to pending (the address was fixed): send
  // again, re-rendered for the agency's current address.
  if (n.status === 'failed') await requeueFailedForwardNotification(deps.db, n.id, { recipient: ctx.agencyEmail, subject: mail.subject, bodyText: mail.text });
  return n.id;
}

type Step =
  | { kind: 'missing' | 'not_pending' }
  | { kind: 'forwarded'; followUp: { followUpId: string; dueAt: Date } | null; at: Date }
  | { kind: 'ended_while_sending'; mail: string | null }
  | { kind: 'refused'; error: MailError; alertMail: string | null }
  | { kind: 'retry'; error: MailError };

export async function forwardReferral(deps: ForwardDeps, referralId: string, requestId?: string): Promise<ForwardOutcome> {
  const ctx = await findForwardContext(deps.db, referralId);
  if (!ctx) return 'missing';
  if (ctx.status !== 'pending') return 'not_pending';
  // held for a closed agency: its clocks start on the day it reopens, and so does sending
  if (ctx.heldUntil && ctx.heldUntil > londonDay(deps.clock.now())) return 'held';
  if (ctx.agencyStatus === 'paused') {
    await holdForPausedAgency(deps, ctx, requestId);
    return 'agency_paused';
  }
  const capacity = effectiveCapacity(await findCapacityRecord(deps.db, ctx.agencyId), deps.clock.now(), deps.env.CAPACITY_UNCONFIRMED_AFTER_DAYS);
  if (capacity.status === 'closed' && capacity.closedUntil) {
    await holdForPausedAgency(deps, ctx, requestId, capacity.closedUntil);
    return 'agency_closed';
  }
  const notificationId = await forwardNotification(deps, ctx);
  // The calendar is read before the transaction and pinned for it: a cache reload inside would
  // wait for a second pooled connection while this one is held.
  const calendar = await deps.holidays.get();
  const recordDeps: RecordDeps = { ids: deps.ids, env: deps.env, holidays: { get: async () => calendar } };
  const webhooks = { webhookDeliveryIds: [] as string[] };

  // One transaction: claim the mail, send it, record what happened, commit.
  const step = await deps.db.transaction().execute(async (trx): Promise<Step> => {
    const n = await claimForSending(trx, notificationId);
    if (n === 'busy') throw busyError();
    if (!n) return { kind: 'missing' };
    if (n.status === 'failed') return { kind: 'not_pending' };
    const recorded = async (at: Date): Promise<Step> => {
      const followUp = await recordForwarded(trx, recordDeps, ctx, n, at, webhooks);
      return followUp === 'ended' ? { kind: 'ended_while_sending', mail: await recordSentAfterEnding(trx, deps, ctx, n, at) } : { kind: 'forwarded', followUp, at };
    };
    if (n.status === 'sent') return recorded(n.sentAt ?? deps.clock.now());
    // Ended since it was read above (withdrawn, cancelled, re-routed)? Then it is not sent.
    const now = await findReferralStatus(trx, ctx.id);
    if (now?.status !== 'pending') {
      await markForwardNotificationUnsent(trx, n.id, `not sent: the referral was ${now?.status ?? 'removed'} before it was sent`);
      return { kind: 'not_pending' };
    }
    // The signed link (a credential) is minted for each attempt and only its hash is stored.
    // (the placeholder is a line of its own: typed text on another line cannot take the link's place)
    const link = await createAgencyLink(trx, deps, ctx.id, deps.clock.now());
    const text = n.bodyText
      .split('\n')
      .map((line) => (line === AGENCY_LINK_PLACEHOLDER ? link : line))
      .join('\n');
    const sent = await sendClaimed(trx, deps, n, text);
    if (sent.ok) return recorded(sent.at);
    if (!sent.error.permanent) {
      await recordTemporaryFailure(trx, ctx, sent.error, sent.at);
      return { kind: 'retry', error: sent.error };
    }
    return { kind: 'refused', error: sent.error, alertMail: await recordRefusedForGood(trx, deps, ctx, sent.error, sent.at) };
  });

  // After commit (docs/failure.md, reliability rule 1).
  switch (step.kind) {
    case 'missing':
    case 'not_pending':
      return step.kind;
    case 'retry':
      throw step.error;
    case 'refused':
      if (step.alertMail) await dispatchNotifications(deps.jobs, [step.alertMail], requestId);
      throw step.error;
    case 'ended_while_sending':
      if (step.mail) await dispatchNotifications(deps.jobs, [step.mail], requestId);
      return 'ended_while_sending';
    case 'forwarded': {
      await dispatchWebhookDeliveries(deps.jobs, webhooks.webhookDeliveryIds, requestId);
      if (!step.followUp) return 'already_forwarded';
      // the relay accepted it now, for the first time: receipt to the agency's mail
      if (deps.metrics) forwardLatency(deps.metrics).observe(Math.max(0, step.at.getTime() - ctx.receivedAt.getTime()) / 1000);
      // the delayed job only makes the call prompt: it fires as the call's day starts
      const delayMs = Math.max(0, callDayStarts(step.followUp.dueAt).getTime() - deps.clock.now().getTime());
      await deps.jobs.enqueueSafely('follow-up-due', { followUpId: step.followUp.followUpId, requestId }, { delayMs });
      return 'forwarded';
    }
  }
}
