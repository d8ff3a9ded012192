/**
 * Consent withdrawn: a first-class act, for every agency or some. In ONE transaction, every live
 * referral in scope is cancelled with reason `consent_withdrawn` (an event each; its breaches
 * resolved; its agency link no longer shows the person, by referral-access.ts), each agency that
 * had received one is told by mail (its reference only: no personal data), the hub's follow-up
 * is cancelled where nothing is left to ask, a checklist with nothing left open closes, and the
 * withdrawal is recorded on the person. Mail goes after commit (docs/failure.md, reliability
 * rule 1); the dedupe key makes it one mail per referral however often this runs.
 */
import { z } from 'zod';
import { insertConsentWithdrawal } from './consent.repository.js';
import type { Executor } from '../../platform/db/database.js';
import { lockPerson } from './person.repository.js';
import { personIdsOf } from '../../platform/db/person-keys.js';
import { CONSENT_WITHDRAWN } from '../../kernel/referral-state.js';
import { badRequest, conflict, notFound, type ErrorDetail } from '../../kernel/errors.js';
import type { HubContact } from '../../platform/mail/hub-signature.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { findAgency } from '../directory/index.js';
import { recordAudit } from '../audit/index.js';
import { resolveReferralAlerts, createNotification, dispatchNotifications } from '../notifications/index.js';
import { cancelFollowUpOf, referralsOfSubmission } from '../follow-up/index.js';
import { applyReferralStep, lockLiveReferralsOfPerson, renderConsentWithdrawnMail } from '../referrals/index.js';
import { submittedFor, closeSubmissionIfDone } from '../intake/index.js';
import { dispatchWebhookDeliveries } from '../webhooks/index.js';

export const consentWithdrawalSchema = z.strictObject({
  /** the agencies the person no longer agrees to share with; every agency when left out */
  agencyIds: z.array(z.uuid('must be an agency id')).min(1, 'must name at least one agency, or be left out for every agency').max(100).optional(),
  reason: z.string().trim().max(1000).optional().nullable(),
  /** when the person said so */
  recordedAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date and time' }),
});
export type ConsentWithdrawalBody = z.infer<typeof consentWithdrawalSchema>;

/** a withdrawal may be recorded a little ahead of the server's clock, no more */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface WithdrawalResult {
  id: string;
  personId: string;
  agencyIds: string[] | null;
  withdrawnAt: string;
  cancelled: { id: string; reference: string; agencyId: string; agencyName: string; agencyTold: boolean }[];
}

/**
 * Who may record it: the hub, or a link worker who submitted a checklist for this person (from
 * their submission page). Anyone else gets 404, as for a person they cannot see.
 */
export async function withdrawConsent(
  deps: ServiceDeps,
  principal: Principal,
  personId: string,
  body: ConsentWithdrawalBody,
  requestId?: string,
): Promise<WithdrawalResult> {
  const ids = await personIdsOf(deps.db, personId);
  if (!isHub(principal) && !(principal.role === 'link_worker' && (await submittedFor(deps.db, principal.userId, ids)))) throw notFound('person');
  const now = deps.clock.now();
  const withdrawnAt = new Date(body.recordedAt);
  const problems: ErrorDetail[] = [];
  if (withdrawnAt.getTime() > now.getTime() + CLOCK_SKEW_MS) problems.push({ path: 'recordedAt', message: 'must not be in the future' });
  const agencyIds = body.agencyIds ? [...new Set(body.agencyIds)] : null;
  for (const [i, a] of (agencyIds ?? []).entries()) {
    if (!(await findAgency(deps.db, a))) problems.push({ path: `agencyIds.${i}`, message: 'no agency has this id' });
  }
  if (problems.length) throw badRequest('invalid withdrawal', problems);

  const notificationIds: string[] = [];
  const webhookDeliveryIds: string[] = [];
  const id = deps.ids.uuid();
  const cancelled = await deps.db.transaction().execute(async (trx) => {
    const person = await lockPerson(trx, personId);
    if (!person) throw notFound('person');
    if (person.mergedInto) throw conflict('person_merged', 'this record was merged into another; withdraw consent on that one', { mergedInto: person.mergedInto });
    if (person.erasedAt) throw conflict('person_erased', "this person's details were erased; there is nothing left to withdraw");
    const live = await lockLiveReferralsOfPerson(trx, ids, agencyIds);
    const done: WithdrawalResult['cancelled'] = [];
    for (const r of live) {
      const told = await cancelReferral(trx, deps, principal, r, body.reason ?? null, now, webhookDeliveryIds);
      if (told) notificationIds.push(told);
      done.push({ id: r.id, reference: r.reference, agencyId: r.agencyId, agencyName: r.agencyName, agencyTold: told !== null });
    }
    for (const submissionId of new Set(live.map((r) => r.submissionId))) {
      // nothing left to ask the person about: no referral that reached its agency still stands
      const rest = await referralsOfSubmission(trx, submissionId);
      if (!rest.some((x) => x.forwardedAt !== null && x.status !== 'cancelled' && x.status !== 'rerouted')) await cancelFollowUpOf(trx, submissionId);
      const closed = await closeSubmissionIfDone(trx, deps, submissionId, now);
      if (closed.notificationId) notificationIds.push(closed.notificationId);
      webhookDeliveryIds.push(...closed.webhookDeliveryIds);
    }
    await insertConsentWithdrawal(trx, {
      id,
      personId,
      agencyIds,
      reason: body.reason ?? null,
      withdrawnAt,
      recordedBy: principal.userId,
      createdAt: now,
      cancelledReferralIds: done.map((d) => d.id),
    });
    await recordAudit(trx, { principal, action: 'person.consent_withdrawn', entity: 'person', entityId: personId, personId, requestId, at: now });
    return done;
  });
  await dispatchNotifications(deps.jobs, notificationIds, requestId);
  await dispatchWebhookDeliveries(deps.jobs, webhookDeliveryIds, requestId);
  return { id, personId, agencyIds, withdrawnAt: withdrawnAt.toISOString(), cancelled };
}

/** One referral cancelled for the withdrawal; returns the agency's mail when it had been told of it. */
async function cancelReferral(
  trx: Executor,
  deps: ServiceDeps,
  principal: Principal,
  r: Awaited<ReturnType<typeof lockLiveReferralsOfPerson>>[number],
  words: string | null,
  now: Date,
  webhookDeliveryIds: string[],
): Promise<string | null> {
  // every live status may be cancelled by the hub (kernel/referral-state.ts); locked, so it cannot have moved
  const step = await applyReferralStep(trx, {
    referral: r,
    to: 'cancelled',
    actor: 'hub',
    by: { actorUserId: principal.userId, actorLabel: principal.name },
    at: now,
    reason: CONSENT_WITHDRAWN,
    note: words,
  });
  if (!step.ok) throw new Error(`a ${r.status} referral could not be cancelled for the withdrawal`);
  webhookDeliveryIds.push(...step.webhookDeliveryIds);
  if (r.status === 'rejected') await resolveReferralAlerts(trx, r.id, 'referral_rejected', principal.userId, now);
  if (r.forwardedAt === null) return null;
  const n = await createNotification(
    trx,
    deps,
    {
      kind: 'consent_withdrawn',
      dedupeKey: `consent-withdrawn:${r.id}`,
      recipient: r.agencyEmail,
      ...consentMail(r, deps.env),
      referralId: r.id,
      agencyId: r.agencyId,
    },
    now,
  );
  return n.created ? n.id : null;
}

const consentMail = (r: { reference: string; agencyName: string }, hub: HubContact) => {
  const m = renderConsentWithdrawnMail(r, hub);
  return { subject: m.subject, bodyText: m.text };
};
