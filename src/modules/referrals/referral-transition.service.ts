/**
 * Moving a referral through its lifecycle (README "How a checklist becomes referrals"; the API's
 * side in docs/api.md#moving-a-referral) at the request of an agency or the hub (the API, the web
 * pages). The step itself is decided and applied by referral-step.ts, as every step is; this
 * answers the request (400 naming the field, 409 with the fresh allowed list when two moves race)
 * and adds what the request's step sets off, in the same transaction:
 *  - the side effects that belong to it (closing or reopening the checklist, the rejection
 *    alert, the re-routed replacement referral, the agency told when the hub ends its referral);
 *  - mail and forward jobs enqueued only AFTER commit (docs/failure.md, reliability rule 1);
 *  - an erased person's referral is never moved (409 person_erased): checked under the person
 *    lock that erasure takes, so a move and an erasure never interleave.
 */
import { z } from 'zod';
import { AppError, badRequest, conflict, forbidden, notFound, type ErrorDetail } from '../../kernel/errors.js';
import type { Referral } from '../../platform/db/database.js';
import { appendReferralEvent, findReferral, hasLiveReferralForAgency, insertReferral } from './referral.repository.js';
import { applyReferralStep, judgeStep, type Refusal } from './referral-step.js';
import { promiseSettings, referralPromise, type AgencyClock } from '../../kernel/promise.js';
import { ukDate } from '../../kernel/uk-dates.js';
import { readAgencyFacts } from '../../platform/deps.js';
import { REFERRAL_STATUSES, type ReferralStatus } from '../../kernel/referral-state.js';
import type { Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { renderEndedByHubMail } from './referral-ended-mail.js';
import { accessTo, allowedFor } from './referral-access.js';
import { isPersonOfSubmissionErased, personOfSubmissionErased } from '../../platform/db/person-keys.js';
import { findAgency, activeOutcomeCodes } from '../directory/index.js';
import { resolveReferralAlerts, raiseAlert, createNotification, dispatchNotifications } from '../notifications/index.js';
import { dispatchWebhookDeliveries } from '../webhooks/index.js';
import { closeSubmissionIfDone, reopenSubmission } from '../intake/index.js';

const optionalText = (max: number) => z.string().trim().max(max).optional().nullable();

/** The body of a transition request, shared by the JSON API and the web forms. */
export const transitionSchema = z.strictObject({
  to: z.enum(REFERRAL_STATUSES, { message: `must be one of: ${REFERRAL_STATUSES.join(', ')}` }),
  reason: optionalText(1000),
  outcome: optionalText(100),
  note: optionalText(4000),
  onHoldUntil: z.iso.date('must be a date in the form YYYY-MM-DD').optional().nullable(),
  targetAgencyId: z.uuid('must be an agency id').optional().nullable(),
});
export type TransitionInput = z.infer<typeof transitionSchema>;

export type TransitionResult = Referral & {
  status: ReferralStatus;
  allowedNext: ReferralStatus[];
  /** the replacement referral when this move re-routed the referral */
  replacement: { id: string; reference: string; agencyId: string; status: 'pending'; forwardDueAt: Date; contactDueAt: Date } | null;
};

/** Thrown inside the transaction when the referral moved under us; rolls everything back. */
class MovedMeanwhile extends Error {}

/**
 * The person's details were erased: their referrals are never reopened nor written to again
 * (erasure cannot reach what is written after it).
 */
const personErased = () => conflict('person_erased', 'This person’s details were erased, so their referrals cannot be reopened or changed.');

/** A refused step as the API answers it: 409 with the allowed next states, or 400 naming the field. */
function refusal(r: Refusal, allowed: ReferralStatus[], to: string): AppError {
  switch (r.code) {
    case 'illegal_transition':
      return illegal(r.from, allowed, to);
    case 'missing_field':
      return badRequest(r.message, [{ path: r.field, message: `is required to move a referral to ${to}` }]);
    case 'invalid_outcome':
      return new AppError(400, 'invalid_request', 'unknown outcome', [{ path: 'outcome', message: `must be one of: ${r.allowed.join(', ')}`, allowed: r.allowed }]);
  }
}

function illegal(from: string, allowed: ReferralStatus[], to: string) {
  // lost a race to another move: the step may still be allowed from where it is now
  const message = allowed.includes(to as ReferralStatus)
    ? `the referral was changed meanwhile and is now ${from}; check it, then repeat the step if it still applies`
    : `a referral that is ${from} cannot move to ${to}`;
  return conflict('illegal_transition', message, { from, allowed });
}

export async function transitionReferral(
  deps: ServiceDeps,
  actor: { principal: Principal; requestId?: string | undefined },
  referralId: string,
  request: TransitionInput,
  /**
   * The referral as the caller last read it (a FHIR If-Match): the step is refused (412) when it
   * has moved since; one that moves between this read and the step is refused by the step's
   * conditional update (409), as for every caller.
   */
  expected?: { status: string; updatedAt: Date },
): Promise<TransitionResult> {
  const { principal } = actor;
  if (principal.role === 'link_worker') throw forbidden('link workers do not change referrals');
  const current = await findReferral(deps.db, referralId);
  const who = current ? accessTo(principal, current)?.actor : undefined;
  if (!current || !who) throw notFound('referral');
  if (expected && (current.status !== expected.status || current.updatedAt.getTime() !== expected.updatedAt.getTime())) {
    throw new AppError(412, 'precondition_failed', `the referral has changed since it was read: it is now ${current.status}; read it again`);
  }
  // before anything else is judged; read again under the person lock below
  if (await isPersonOfSubmissionErased(deps.db, current.submissionId)) throw personErased();

  const now = deps.clock.now();
  // a completion is judged against the codes the hub offers now
  const outcomes = request.to === 'completed' ? await activeOutcomeCodes(deps.db) : undefined;
  const asked = { ...request, referral: current, actor: who, outcomes };
  // the early answer, before anything is written; the step is judged again as it is applied
  const decision = judgeStep(asked);
  if (!decision.ok) throw refusal(decision, allowedFor(current, who), request.to);
  const to = decision.to;
  const problems: ErrorDetail[] = [];
  if (to === 'on_hold' && request.onHoldUntil! < now.toISOString().slice(0, 10)) {
    problems.push({ path: 'onHoldUntil', message: 'must not be in the past' });
  }
  let targetClock: AgencyClock | undefined;
  if (to === 'rerouted') {
    const target = await findAgency(deps.db, request.targetAgencyId!);
    const closedUntil = target ? (await readAgencyFacts(deps, now, true)).capacity.get(target.id)?.closedUntil : null;
    if (target) targetClock = { contactDays: target.contactDays, contactClock: target.contactClock };
    if (!target) problems.push({ path: 'targetAgencyId', message: 'no agency has this id' });
    else if (target.status !== 'active') problems.push({ path: 'targetAgencyId', message: 'this agency is paused' });
    else if (closedUntil) problems.push({ path: 'targetAgencyId', message: `this agency is closed to new referrals until ${ukDate(closedUntil)}` });
    else if (target.id === current.agencyId) problems.push({ path: 'targetAgencyId', message: 'must be another agency than this referral’s' });
    else if (await hasLiveReferralForAgency(deps.db, current.submissionId, target.id)) {
      problems.push({ path: 'targetAgencyId', message: 'this agency already has a live referral for this person from the same checklist' });
    }
  }
  if (problems.length) throw badRequest('invalid transition', problems);

  // a new agency: a new promise to the person, by the same rule as at intake
  const promise = targetClock ? referralPromise({ from: now, heldUntil: null, agency: targetClock }, promiseSettings(deps.env), await deps.holidays.get()) : null;
  const replacement: TransitionResult['replacement'] = promise
    ? {
        id: deps.ids.uuid(),
        reference: `${current.reference}R`,
        agencyId: request.targetAgencyId!,
        status: 'pending',
        forwardDueAt: promise.forwardDueAt,
        contactDueAt: promise.contactDueAt,
      }
    : null;
  const notificationIds: string[] = [];
  const webhookDeliveryIds: string[] = [];
  let updated: Referral;
  try {
    updated = await deps.db.transaction().execute(async (trx) => {
      // First, before any row is locked (the intake's and erasure's order): the person lock,
      // shared. An erasure of the person committed before it, or starts after this commits.
      if (await personOfSubmissionErased(trx, current.submissionId)) throw personErased();
      if (replacement) {
        // the replacement first: the old row's rerouted_to_id references it
        await insertReferral(trx, {
          ...replacement,
          submissionId: current.submissionId,
          questionIds: current.questionIds,
          receivedAt: now,
          reroutedFromId: current.id,
          updatedAt: now,
        });
        await appendReferralEvent(trx, {
          referralId: replacement.id,
          at: now,
          actorUserId: principal.userId,
          actorLabel: principal.name,
          fromStatus: null,
          toStatus: 'pending',
          note: `re-routed from ${current.reference}`,
        });
      }
      const step = await applyReferralStep(trx, {
        ...asked,
        by: { actorUserId: principal.userId, actorLabel: principal.name },
        at: now,
        set: replacement ? { reroutedToId: replacement.id } : undefined,
      });
      if (!step.ok) throw 'moved' in step ? new MovedMeanwhile() : refusal(step.refused, allowedFor(current, who), to);
      const row = step.row;
      webhookDeliveryIds.push(...step.webhookDeliveryIds);
      if (step.from === 'rejected') await resolveReferralAlerts(trx, current.id, 'referral_rejected', principal.userId, now);
      // it will not go to its agency now: the alerts about sending it are answered
      if (step.closes && (step.from === 'pending' || step.from === 'forward_failed')) {
        for (const kind of ['agency_paused', 'agency_closed', 'forward_failed']) await resolveReferralAlerts(trx, current.id, kind, principal.userId, now);
      }
      if (to === 'rejected') {
        const n = await raiseAlert(
          trx,
          deps,
          { kind: 'referral_rejected', referralId: current.id, agencyId: current.agencyId, message: `Referral ${current.reference} was rejected; re-route it` },
          now,
        );
        if (n) notificationIds.push(n);
      }
      // the hub ended a referral its agency already has: the agency is told to stop work on it
      if ((to === 'cancelled' || to === 'declined') && who === 'hub' && row.forwardedAt !== null) {
        const agency = await findAgency(trx, current.agencyId);
        if (agency) {
          const m = renderEndedByHubMail({ reference: current.reference, agencyName: agency.name }, to, deps.env);
          const n = await createNotification(
            trx,
            deps,
            { kind: 'referral_ended', dedupeKey: `ended-by-hub:${current.id}:${to}:${now.getTime()}`, recipient: agency.email, subject: m.subject, bodyText: m.text, referralId: current.id, agencyId: current.agencyId },
            now,
          );
          if (n.created) notificationIds.push(n.id);
        }
      }
      if (step.reopen) await reopenSubmission(trx, current.submissionId);
      if (step.closes) {
        const closed = await closeSubmissionIfDone(trx, deps, current.submissionId, now);
        if (closed.notificationId) notificationIds.push(closed.notificationId);
        webhookDeliveryIds.push(...closed.webhookDeliveryIds);
      }
      return row;
    });
  } catch (err) {
    if (!(err instanceof MovedMeanwhile)) throw err;
    const fresh = (await findReferral(deps.db, current.id))!;
    throw illegal(fresh.status, allowedFor(fresh, who), to);
  }

  // After commit: a lost enqueue is picked up by the reconciliation sweep.
  await dispatchNotifications(deps.jobs, notificationIds, actor.requestId);
  await dispatchWebhookDeliveries(deps.jobs, webhookDeliveryIds, actor.requestId);
  if (replacement) {
    await deps.jobs.enqueueSafely('forward-referral', { referralId: replacement.id, requestId: actor.requestId });
  }
  // a coordinator sends a refused referral again (after fixing the agency's address)
  if (to === 'pending') await deps.jobs.requeueSafely('forward-referral', { referralId: current.id, requestId: actor.requestId });
  return { ...updated, status: updated.status as ReferralStatus, allowedNext: allowedFor(updated, who), replacement };
}
