/**
 * Forwarding a referral to its agency (the hub's T1 promise), as the forward worker runs it.
 *
 * Idempotent: it re-reads Postgres and acts only on a 'pending' referral; the status change is
 * a conditional UPDATE (pending|forward_failed -> forwarded), and the mail is one notifications
 * row with a stable Message-ID (`<forward-<referralId>@...>`) that delivery.service.ts never
 * sends twice. Outcomes:
 *  - not pending any more: nothing to do (at-least-once delivery of the job is fine);
 *  - agency paused: nothing is sent, a coordinator alert is raised once, the referral stays
 *    pending on its T1 clock; the job finishes (the SLA sweep re-enqueues it later);
 *  - accepted by the server: forwarded, contact due = now + the agency's contact days, the T1
 *    breach (if any) resolved, the follow-up scheduled; after commit the delayed follow-up job;
 *  - temporary refusal (4xx, connection): the attempt is recorded, a MailError(permanent=false)
 *    is thrown for the queue to retry with backoff;
 *  - permanent refusal (5xx): forward_failed (still open, still on T1), an event with the reason,
 *    a coordinator alert mailed after commit; a MailError(permanent=true) is thrown.
 */
import { addDays } from '../domain/clock.js';
import { resolveBreach } from '../db/breach.repository.js';
import {
  appendSystemEvent,
  ensureForwardNotification,
  findForwardContext,
  markForwarded,
  markForwardFailed,
  recordForwardAttempt,
  requeueFailedForwardNotification,
  type ForwardContext,
} from '../db/forward.repository.js';
import { renderForwardMail } from '../mail/forward-templates.js';
import { createAgencyLink } from './agency-link.service.js';
import { forwardMessageId } from '../mail/message-id.js';
import type { Mailer } from '../mail/transport.js';
import { raiseAlert } from './alert.service.js';
import { deliverNotification } from './delivery.service.js';
import type { ServiceDeps } from './deps.js';
import { scheduleFollowUp } from './follow-up.service.js';
import { resolveReferralAlerts } from '../db/referral.repository.js';
import { dispatchNotifications } from './notification.service.js';

/** Where the forward mail's signed link goes; replaced at send time, never stored filled in. */
export const AGENCY_LINK_PLACEHOLDER = '[agency link]';

export type ForwardDeps = ServiceDeps & { mailer: Mailer };

export type ForwardOutcome = 'missing' | 'not_pending' | 'agency_paused' | 'forwarded' | 'already_forwarded';

async function holdForPausedAgency(deps: ForwardDeps, ctx: ForwardContext, requestId?: string): Promise<void> {
  const now = deps.clock.now();
  const notificationId = await deps.db.transaction().execute((trx) =>
    raiseAlert(
      trx,
      deps,
      {
        kind: 'agency_paused',
        referralId: ctx.id,
        agencyId: ctx.agencyId,
        message: `Referral ${ctx.reference} is waiting: ${ctx.agencyName} is paused`,
      },
      now,
    ),
  );
  if (notificationId) await dispatchNotifications(deps.jobs, [notificationId], requestId);
}

export async function forwardReferral(deps: ForwardDeps, referralId: string, requestId?: string): Promise<ForwardOutcome> {
  const ctx = await findForwardContext(deps.db, referralId);
  if (!ctx) return 'missing';
  if (ctx.status !== 'pending') return 'not_pending';
  if (ctx.agencyStatus === 'paused') {
    await holdForPausedAgency(deps, ctx, requestId);
    return 'agency_paused';
  }

  // The stored copy carries a placeholder: the signed link (a credential) is minted for each
  // attempt just before sending and only its hash is ever stored (agency_links).
  const mail = renderForwardMail(ctx, deps.env.FORWARD_EMAIL_CONTENT, deps.env.PUBLIC_URL, AGENCY_LINK_PLACEHOLDER);
  const notification = await ensureForwardNotification(deps.db, {
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
  if (notification.status === 'failed') {
    // A coordinator put a forward_failed referral back to pending (the address was fixed):
    // send again, re-rendered for the agency's current address.
    await requeueFailedForwardNotification(deps.db, notification.id, { recipient: ctx.agencyEmail, subject: mail.subject, bodyText: mail.text });
  }

  const result = await deliverNotification(deps, notification.id, {
    prepareText: async (trx, n) =>
      n.bodyText.replace(AGENCY_LINK_PLACEHOLDER, await createAgencyLink(trx, deps, ctx.id, deps.clock.now())),
    onSent: async (trx, n, at) => {
      const updated = await markForwarded(trx, { id: ctx.id, at, contactDueAt: addDays(at, ctx.contactDays), messageId: n.messageId });
      if (!updated) return null;
      await appendSystemEvent(trx, { referralId: ctx.id, at, fromStatus: ctx.status, toStatus: 'forwarded', note: `mail ${n.messageId} to ${n.recipient}` });
      await resolveBreach(trx, ctx.id, 'forward', at);
      // it was held while its agency was paused: that is over now
      await resolveReferralAlerts(trx, ctx.id, 'agency_paused', null, at);
      return scheduleFollowUp(trx, deps, ctx.submissionId, at, ctx.id);
    },
    onFailure: async (trx, _n, err, at) => {
      if (!err.permanent) {
        await recordForwardAttempt(trx, { id: ctx.id, at, error: err.message });
        return null;
      }
      const failed = await markForwardFailed(trx, { id: ctx.id, at, error: err.message });
      if (!failed) return null;
      await appendSystemEvent(trx, { referralId: ctx.id, at, fromStatus: 'pending', toStatus: 'forward_failed', reason: `mail refused: ${err.message}` });
      return raiseAlert(
        trx,
        deps,
        {
          kind: 'forward_failed',
          referralId: ctx.id,
          agencyId: ctx.agencyId,
          message: `Referral ${ctx.reference} could not be sent to ${ctx.agencyName}: the mail server refused it (${err.responseCode ?? 'error'})`,
        },
        at,
      );
    },
  });

  switch (result.kind) {
    case 'missing':
      return 'missing';
    case 'failed_before':
      return 'not_pending';
    case 'failed':
      // after commit: the coordinators' alert mail (permanent failures only)
      if (result.result) await dispatchNotifications(deps.jobs, [result.result], requestId);
      throw result.error;
    case 'sent':
    case 'already_sent': {
      const followUp = result.result;
      if (!followUp) return 'already_forwarded';
      await deps.jobs.enqueueSafely(
        'follow-up-due',
        { followUpId: followUp.followUpId, requestId },
        { delayMs: Math.max(0, followUp.dueAt.getTime() - deps.clock.now().getTime()) },
      );
      return 'forwarded';
    }
  }
}
