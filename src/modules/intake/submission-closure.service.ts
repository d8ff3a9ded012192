/**
 * Closing the loop: a submission closes when every referral is terminal AND the hub's follow-up
 * is recorded (or cancelled, when consent was withdrawn for everything it would have asked). Then the submitter gets one closing mail saying what became of each referral.
 * Call inside the transaction that made the last step (a terminal transition, or recording the
 * follow-up); dispatch the returned notification id and webhook deliveries (`submission.closed`,
 * to the hub's endpoints) after commit.
 */
import type { Env } from '../../../config/env.js';
import type { Executor } from '../../platform/db/database.js';
import { findFollowUpStatusOfSubmission } from './submission.repository.js';
import { closeSubmission, findReferralsForClosure } from './submission.repository.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { TERMINAL_STATUSES } from '../../kernel/referral-state.js';
import { hubSignature, type HubContact } from '../../platform/mail/hub-signature.js';
import { flattenToOneLine as oneLine } from '../../kernel/one-line.js';
import { findUserMailContact } from '../accounts/index.js';
import { createNotification } from '../notifications/index.js';
import { recordWebhookEvent } from '../webhooks/index.js';

const STATUS_WORDS: Record<string, string> = {
  completed: 'completed',
  unable_to_contact: 'the service could not reach the person',
  declined: 'the person declined',
  rerouted: 're-routed to another service',
  cancelled: 'cancelled',
};

export async function closeSubmissionIfDone(
  db: Executor,
  deps: { ids: IdGenerator; env: Pick<Env, 'PUBLIC_URL' | 'MAIL_FROM'> & HubContact },
  submissionId: string,
  now: Date,
): Promise<{ closed: boolean; notificationId: string | null; webhookDeliveryIds: string[] }> {
  const referrals = await findReferralsForClosure(db, submissionId);
  const notClosed = { closed: false, notificationId: null, webhookDeliveryIds: [] };
  if (referrals.length === 0 || !referrals.every((r) => TERMINAL_STATUSES.has(r.status as never))) return notClosed;
  // Forwarding creates the follow-up in the same transaction, so no follow-up means no referral
  // ever reached an agency (all cancelled or declined before forwarding): nothing to follow up.
  // A follow-up cancelled because consent was withdrawn for every referral leaves nothing to ask.
  const followUp = await findFollowUpStatusOfSubmission(db, submissionId);
  if (followUp && followUp.status === 'scheduled') return notClosed;

  const closed = await closeSubmission(db, submissionId, now);
  if (!closed) return notClosed;
  const webhookDeliveryIds = await recordWebhookEvent(db, { type: 'submission.closed', at: now, agencyId: null, data: { id: submissionId, reference: closed.reference, status: 'closed' } });

  const submitter = await findUserMailContact(db, closed.submittedBy);
  // No personal data of the person in the mail: the reference is enough for the submitter.
  // The agency's name (typed by the hub) goes on a line of its own, after a label: a name can
  // never start a line that reads as the hub's own words.
  const lines = referrals
    .filter((r) => r.status !== 'rerouted')
    .flatMap((r) => {
      const what = STATUS_WORDS[r.status] ?? r.status;
      const outcome = r.outcome ? ` (${oneLine(r.outcome.replaceAll('_', ' '))})` : '';
      const needs = r.needsMet ? `; needs met at follow-up: ${r.needsMet.replace('_', ' ')}` : '';
      return [`- ${r.reference}: ${what}${outcome}${needs}`, `  Agency: ${oneLine(r.agencyName)}`];
    });
  const n = await createNotification(
    db,
    deps,
    {
      kind: 'submission_closed',
      dedupeKey: `closed:${submissionId}`,
      recipient: submitter.email,
      subject: `Signpost ${closed.reference}: closed`,
      bodyText: [
        `Hello ${oneLine(submitter.name)},`,
        '',
        `The checklist ${closed.reference} you submitted is now closed. What became of each referral:`,
        '',
        ...lines,
        '',
        `See it in Signpost: ${deps.env.PUBLIC_URL}/submissions/${submissionId}`,
        ...hubSignature(deps.env),
      ].join('\n'),
      submissionId,
    },
    now,
  );
  return { closed: true, notificationId: n.id, webhookDeliveryIds };
}
