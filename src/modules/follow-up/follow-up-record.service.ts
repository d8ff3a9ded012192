/**
 * The hub's follow-up call (T3): the coordinators' worklist, and recording a call.
 *
 * A call that did not reach the person is kept as an attempt; the follow-up stays scheduled
 * (and on the T3 clock). A call that reached the person needs an outcome for every referral
 * that reached an agency (forwarded, and not since cancelled or re-routed); it completes the
 * follow-up once (conditional UPDATE), resolves the T3 breaches, and closes the submission when
 * every referral is terminal, the closing mail being dispatched after commit. The person's ONS4
 * answers, when given, are stored in the same transaction (health data: never in the reply).
 */
import { z } from 'zod';
import { callsDueBy } from '../../kernel/promise.js';
import { lockPersonOfSubmission } from '../../platform/db/person-keys.js';
import {
  completeFollowUp,
  insertAttempt,
  insertOutcomes,
  listFollowUps,
  countOpenFollowUps,
  findFollowUpSubmission,
  lockFollowUp,
  referralsOfSubmission,
  type FollowUpState,
} from './follow-up.repository.js';
import { hasWellbeing } from '../../kernel/wellbeing.js';
import { badRequest, conflict, forbidden, notFound, type ErrorDetail } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import { addDays } from '../../kernel/clock.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { recordAudit, recordAudits } from '../audit/index.js';
import { resolveBreach } from '../clocks/index.js';
import { listEventsOfReferrals, markFollowedUp } from '../referrals/index.js';
import { findSubmissionState, closeSubmissionIfDone, wellbeingSchema } from '../intake/index.js';
import { listWellbeingOfSubmission, upsertFollowUpWellbeing } from '../wellbeing/index.js';
import { dispatchNotifications } from '../notifications/index.js';
import { dispatchWebhookDeliveries } from '../webhooks/index.js';

export const recordFollowUpSchema = z.object({
  contactMade: z.boolean(),
  outcomes: z
    .array(z.object({ referralId: z.uuid(), needsMet: z.enum(['yes', 'partly', 'no', 'not_yet']) }))
    .max(100)
    .default([]),
  note: z.string().trim().max(4000).optional(),
  /** ONS4 asked again (optional, each answer optional); only on a call that reached the person */
  wellbeing: wellbeingSchema.optional(),
});
export type RecordFollowUpBody = z.infer<typeof recordFollowUpSchema>;

/** Referrals the person is asked about: they reached an agency and still stand. */
const NOT_ASKED = new Set(['cancelled', 'rerouted']);

export async function listFollowUpWorklist(deps: ServiceDeps, principal: Principal, state: FollowUpState, limit: number, requestId?: string) {
  const now = deps.clock.now();
  const items = await listFollowUps(deps.db, state, callsDueBy(now), limit);
  // the worklist shows the person's name and phone: every read of personal data is audited
  await recordAudits(
    deps.db,
    items.map((item) => ({ principal, action: 'list', entity: 'submission', entityId: item.submissionId, personId: item.personId, requestId, at: now })),
  );
  return items;
}

export async function recordFollowUp(deps: ServiceDeps, principal: Principal, id: string, body: RecordFollowUpBody, requestId?: string) {
  const now = deps.clock.now();
  // the person first (the order every writer keeps: the call may close the checklist, which
  // changes the person's row), then the follow-up; its checklist never changes, so it is read unlocked
  const ofSubmission = (await findFollowUpSubmission(deps.db, id))?.submissionId;
  const result = await deps.db.transaction().execute(async (tx) => {
    if (ofSubmission) await lockPersonOfSubmission(tx, ofSubmission);
    const f = await lockFollowUp(tx, id);
    if (!f) throw notFound('follow-up');
    if (f.status !== 'scheduled') {
      throw conflict('follow_up_not_open', `this follow-up is ${f.status}`, { status: f.status, allowed: [] });
    }
    if (!body.contactMade && hasWellbeing(body.wellbeing)) {
      throw badRequest('invalid follow-up', [{ path: 'wellbeing', message: 'is only asked on a call that reached the person' }]);
    }
    const note = body.note ? body.note : null;
    await insertAttempt(tx, { id: deps.ids.uuid(), followUpId: id, at: now, byUserId: principal.userId, contactMade: body.contactMade, note });
    if (!body.contactMade) return { completed: false, closed: false, notificationId: null, webhookDeliveryIds: [] as string[], submissionId: f.submissionId };

    const referrals = await referralsOfSubmission(tx, f.submissionId);
    const ours = new Set(referrals.map((r) => r.id));
    const problems: ErrorDetail[] = [];
    const seen = new Set<string>();
    body.outcomes.forEach((o, i) => {
      if (!ours.has(o.referralId)) problems.push({ path: `outcomes.${i}.referralId`, message: 'not a referral of this follow-up’s submission' });
      else if (seen.has(o.referralId)) problems.push({ path: `outcomes.${i}.referralId`, message: 'given twice' });
      seen.add(o.referralId);
    });
    for (const r of referrals) {
      if (r.forwardedAt && !NOT_ASKED.has(r.status) && !seen.has(r.id)) {
        problems.push({ path: 'outcomes', message: `an outcome is required for referral ${r.reference} (${r.id})` });
      }
    }
    if (problems.length) throw badRequest('invalid follow-up', problems);

    await insertOutcomes(tx, id, body.outcomes, principal.userId, now);
    const done = await completeFollowUp(tx, id, principal.userId, note, now);
    if (!done) throw conflict('follow_up_not_open', 'this follow-up is no longer open', { allowed: [] });
    await markFollowedUp(tx, body.outcomes.map((o) => o.referralId), now);
    const w = body.wellbeing;
    if (w && hasWellbeing(w)) {
      await upsertFollowUpWellbeing(tx, {
        id: deps.ids.uuid(),
        submissionId: f.submissionId,
        followUpId: id,
        measuredAt: now,
        recordedBy: principal.userId,
        lifeSatisfaction: w.lifeSatisfaction ?? null,
        worthwhile: w.worthwhile ?? null,
        happy: w.happy ?? null,
        anxious: w.anxious ?? null,
      });
    }
    await resolveBreach(tx, referrals.map((r) => r.id), 'follow_up', now);
    const closure = await closeSubmissionIfDone(tx, deps, f.submissionId, now);
    return { completed: true, closed: closure.closed, notificationId: closure.notificationId, webhookDeliveryIds: closure.webhookDeliveryIds, submissionId: f.submissionId };
  });
  // after commit (rule 1): the closing mail
  if (result.notificationId) await dispatchNotifications(deps.jobs, [result.notificationId], requestId);
  await dispatchWebhookDeliveries(deps.jobs, result.webhookDeliveryIds, requestId);
  return { id, status: result.completed ? 'completed' : 'scheduled', submissionId: result.submissionId, submissionClosed: result.closed };
}

/**
 * One follow-up for the call script page, audited as a read of the person's details: the person,
 * each referral with what its agency last recorded (its outcome and its own words), the calls
 * made so far, where the checklist stands (closed, and whom that told), and the wellbeing
 * answers given at the call.
 */
export async function followUpForCall(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  if (!isHub(principal)) throw forbidden('only coordinators and admins make the follow-up call');
  const now = deps.clock.now();
  const [hit] = await listFollowUps(deps.db, { id }, now, 1);
  if (!hit) throw notFound('follow-up');
  await recordAudit(deps.db, { principal, action: 'read', entity: 'submission', entityId: hit.submissionId, personId: hit.personId, requestId, at: now });
  const [events, submission, wellbeing] = await Promise.all([
    listEventsOfReferrals(deps.db, hit.referrals.map((r) => r.id)),
    findSubmissionState(deps.db, hit.submissionId),
    listWellbeingOfSubmission(deps.db, hit.submissionId),
  ]);
  const referrals = hit.referrals.map((r) => {
    // the agency's own words: the latest reason or note a person (not the hub's system) wrote
    const said = events.filter((e) => e.referralId === r.id && e.actorUserId !== null && (e.note || e.reason)).at(-1);
    return { ...r, agencySaid: said ? (said.note ?? said.reason) : null, agencySaidAt: said?.at ?? null, agencySaidBy: said?.actorLabel ?? null };
  });
  return {
    ...hit,
    referrals,
    submission: submission ?? null,
    failedAttempts: hit.attempts.filter((a) => !a.contactMade),
    /** the ONS4 answers recorded at this call, once made (health data: part of this audited read) */
    wellbeingAtCall: wellbeing.find((w) => w.occasion === 'follow_up') ?? null,
  };
}

/** Calls due now, and due in the coming week: the worklist's tabs and the dashboard. */
export async function followUpCounts(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal): Promise<{ due: number; upcoming: number }> {
  if (!isHub(principal)) throw forbidden('only coordinators and admins see the calls');
  const now = deps.clock.now();
  return countOpenFollowUps(deps.db, callsDueBy(now), addDays(now, 7));
}
