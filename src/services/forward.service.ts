/**
 * Forwarding a referral to its agency (the hub's T1 promise), as the forward worker runs it.
 *
 * Idempotent: it re-reads Postgres and acts only on a 'pending' referral; the status change is a
 * conditional UPDATE (pending -> forwarded), and the mail is one notifications
 * row with a stable Message-ID (`<forward-<referralId>@...>`) that is never sent twice. Outcomes:
 *  - not pending any more: nothing to do (at-least-once delivery of the job is fine);
 *  - agency paused: nothing is sent, a coordinator alert is raised once, the referral stays
 *    pending on its T1 clock; the job finishes (the SLA sweep re-enqueues it later);
 *  - agency closed to new referrals (its own word, domain/capacity.ts): the same, with its
 *    own alert, until the day it reopens;
 *  - accepted by the mail server: recordForwarded (in the transaction that marks the mail sent);
 *  - temporary refusal (4xx, connection): recordTemporaryFailure, then a MailError(permanent=false)
 *    for the queue to retry with backoff;
 *  - permanent refusal (5xx): recordRefusedForGood, then a MailError(permanent=true).
 */
import { SYSTEM_ACTOR } from '../domain/actors.js';
import { addClockDays, type ClockKind } from '../domain/working-days.js';
import { resolveReferralAlerts } from '../db/alert.repository.js';
import { resolveBreach } from '../db/breach.repository.js';
import type { Executor } from '../db/database.js';
import { findForwardContext, type ForwardContext } from '../db/forward.repository.js';
import { findCapacityRecord } from '../db/capacity.repository.js';
import { effectiveCapacity } from '../domain/capacity.js';
import { ukDate } from '../domain/uk-dates.js';
import { ensureForwardNotification, requeueFailedForwardNotification } from '../db/notification.repository.js';
import { appendReferralEvent, markForwarded, markForwardFailed, recordForwardAttempt } from '../db/referral.repository.js';
import { renderForwardMail } from '../mail/forward-templates.js';
import { forwardMessageId } from '../mail/message-id.js';
import type { MailError, Mailer } from '../mail/transport.js';
import { createAgencyLink } from './agency-link.service.js';
import { raiseAlert } from './alert.service.js';
import { busyError, claimForSending, sendClaimed } from './delivery.service.js';
import type { ServiceDeps } from './deps.js';
import type { HolidayCalendar } from './holiday-calendar.js';
import { scheduleFollowUp } from './follow-up.service.js';
import { dispatchNotifications } from './notification.service.js';

/** Where the forward mail's signed link goes; replaced at send time, never stored filled in. */
export const AGENCY_LINK_PLACEHOLDER = '[agency link]';

export type ForwardDeps = ServiceDeps & { mailer: Mailer };

export type ForwardOutcome = 'missing' | 'not_pending' | 'agency_paused' | 'agency_closed' | 'forwarded' | 'already_forwarded';

type RecordDeps = Pick<ServiceDeps, 'ids' | 'env'> & { holidays: Pick<HolidayCalendar, 'get'> };

/**
 * The referral is with its agency: forwarded, its contact clock (T2) started from the agency's
 * contact days (calendar or working days, as the agency counts them), its T1 breach and paused-agency alert resolved, the hub's follow-up (T3)
 * scheduled. Call in the transaction that marks the mail sent. Returns the follow-up to time
 * after commit, or null when another run recorded it first.
 */
export async function recordForwarded(
  trx: Executor,
  deps: RecordDeps,
  referral: { id: string; submissionId: string; contactDays: number; contactClock: ClockKind },
  mail: { messageId: string; recipient: string },
  at: Date,
): Promise<{ followUpId: string; dueAt: Date } | null> {
  const contactDueAt = addClockDays(at, referral.contactDays, referral.contactClock, await deps.holidays.get());
  const updated = await markForwarded(trx, { id: referral.id, at, contactDueAt, messageId: mail.messageId });
  if (!updated) return null;
  await appendReferralEvent(trx, { ...SYSTEM_ACTOR, referralId: referral.id, at, fromStatus: 'pending', toStatus: 'forwarded', note: `mail ${mail.messageId} to ${mail.recipient}` });
  await resolveBreach(trx, referral.id, 'forward', at);
  await resolveReferralAlerts(trx, referral.id, 'agency_paused', null, at);
  await resolveReferralAlerts(trx, referral.id, 'agency_closed', null, at);
  return scheduleFollowUp(trx, deps, referral.submissionId, at, referral.id);
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
  if (!(await markForwardFailed(trx, { id: referral.id, at, error: err.message }))) return null;
  await appendReferralEvent(trx, { ...SYSTEM_ACTOR, referralId: referral.id, at, fromStatus: 'pending', toStatus: 'forward_failed', reason: `mail refused: ${err.message}` });
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
  | { kind: 'forwarded'; followUp: { followUpId: string; dueAt: Date } | null }
  | { kind: 'refused'; error: MailError; alertMail: string | null }
  | { kind: 'retry'; error: MailError };

export async function forwardReferral(deps: ForwardDeps, referralId: string, requestId?: string): Promise<ForwardOutcome> {
  const ctx = await findForwardContext(deps.db, referralId);
  if (!ctx) return 'missing';
  if (ctx.status !== 'pending') return 'not_pending';
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

  // One transaction: claim the mail, send it, record what happened, commit.
  const step = await deps.db.transaction().execute(async (trx): Promise<Step> => {
    const n = await claimForSending(trx, notificationId);
    if (n === 'busy') throw busyError();
    if (!n) return { kind: 'missing' };
    if (n.status === 'failed') return { kind: 'not_pending' };
    if (n.status === 'sent') return { kind: 'forwarded', followUp: await recordForwarded(trx, recordDeps, ctx, n, n.sentAt ?? deps.clock.now()) };
    // The signed link (a credential) is minted for each attempt and only its hash is stored.
    const text = n.bodyText.replace(AGENCY_LINK_PLACEHOLDER, await createAgencyLink(trx, deps, ctx.id, deps.clock.now()));
    const sent = await sendClaimed(trx, deps, n, text);
    if (sent.ok) return { kind: 'forwarded', followUp: await recordForwarded(trx, recordDeps, ctx, n, sent.at) };
    if (!sent.error.permanent) {
      await recordTemporaryFailure(trx, ctx, sent.error, sent.at);
      return { kind: 'retry', error: sent.error };
    }
    return { kind: 'refused', error: sent.error, alertMail: await recordRefusedForGood(trx, deps, ctx, sent.error, sent.at) };
  });

  // After commit (README reliability rule 1).
  switch (step.kind) {
    case 'missing':
    case 'not_pending':
      return step.kind;
    case 'retry':
      throw step.error;
    case 'refused':
      if (step.alertMail) await dispatchNotifications(deps.jobs, [step.alertMail], requestId);
      throw step.error;
    case 'forwarded': {
      if (!step.followUp) return 'already_forwarded';
      const delayMs = Math.max(0, step.followUp.dueAt.getTime() - deps.clock.now().getTime());
      await deps.jobs.enqueueSafely('follow-up-due', { followUpId: step.followUp.followUpId, requestId }, { delayMs });
      return 'forwarded';
    }
  }
}
