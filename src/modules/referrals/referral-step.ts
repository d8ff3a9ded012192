/**
 * A referral's step, decided and applied in ONE place, whoever asks for it: an agency or the hub
 * (a page or the API, referral-transition.service.ts), a consent withdrawal (people), the
 * forward worker (forwarding).
 *  - decideTransition (src/kernel/referral-state.ts) judges it, against the referral as read;
 *  - a conditional UPDATE ... WHERE status = <what was read> applies it, so of two concurrent
 *    steps exactly one wins and the other learns that the referral moved meanwhile;
 *  - an append-only event records who, when, from, to, why and the outcome;
 *  - the clocks the step stops are resolved: T1 when the referral reaches its agency or closes
 *    before it did, T2 when the person is reached or the referral closes;
 *  - the webhook outbox hears of it (`referral.forwarded` when it reaches its agency,
 *    `referral.status_changed` otherwise): the deliveries' ids come back in `webhookDeliveryIds`,
 *    for the caller to dispatch after its commit (the sweep sends any it does not).
 * What else a step sets off (mail, a replacement referral, the checklist closing) is the caller's,
 * in the same transaction.
 */
import type { UpdateObject } from 'kysely';
import { decideTransition, type Actor, type ReferralStatus, type TransitionDecision } from '../../kernel/referral-state.js';
import type { Database, Executor, Referral } from '../../platform/db/database.js';
import { resolveBreach } from '../clocks/index.js';
import { recordWebhookEvent } from '../webhooks/index.js';
import { appendReferralEvent, updateReferralIfStatus, type EventActor } from './referral.repository.js';

export interface ReferralStep {
  referral: Pick<Referral, 'id' | 'status' | 'forwardedAt' | 'contactedAt'>;
  to: ReferralStatus;
  /** who asks, as the lifecycle table knows them */
  actor: Actor;
  /** who the event names */
  by: EventActor;
  at: Date;
  reason?: string | null | undefined;
  outcome?: string | null | undefined;
  note?: string | null | undefined;
  onHoldUntil?: string | null | undefined;
  targetAgencyId?: string | null | undefined;
  /** the outcome codes a completion may use now (the hub's list) */
  outcomes?: readonly string[] | undefined;
  /** columns the step sets beside its status (the forward's mail, a re-route's replacement) */
  set?: UpdateObject<Database, 'referrals'>;
}

export type Refusal = Exclude<TransitionDecision, { ok: true }>;

export type StepOutcome =
  | { ok: true; row: Referral; from: ReferralStatus; to: ReferralStatus; closes: boolean; reopen: boolean; webhookDeliveryIds: string[] }
  | { ok: false; refused: Refusal }
  | { ok: false; moved: true };

/** The verdict on a step for the referral as read, before anything is written (a request's early answer). */
export function judgeStep(step: Omit<ReferralStep, 'by' | 'at' | 'set'>): TransitionDecision {
  return decideTransition(step.referral.status as ReferralStatus, {
    to: step.to,
    actor: step.actor,
    reason: step.reason,
    outcome: step.outcome,
    note: step.note,
    onHoldUntil: step.onHoldUntil,
    targetAgencyId: step.targetAgencyId,
    wasForwarded: step.referral.forwardedAt !== null,
    ...(step.outcomes ? { outcomes: step.outcomes } : {}),
  });
}

/** Decides and applies a step in the caller's transaction. */
export async function applyReferralStep(trx: Executor, step: ReferralStep): Promise<StepOutcome> {
  const decision = judgeStep(step);
  if (!decision.ok) return { ok: false, refused: decision };
  const { from, to, closes, reopen } = decision;
  const set: UpdateObject<Database, 'referrals'> = {
    status: to,
    updatedAt: step.at,
    // only meaningful while on hold
    onHoldUntil: to === 'on_hold' ? step.onHoldUntil! : null,
    ...(to === 'contacted' ? { contactedAt: step.referral.contactedAt ?? step.at } : {}),
    ...(closes ? { closedAt: step.at } : {}),
    ...(reopen ? { closedAt: null, outcome: null } : {}),
    ...(to === 'completed' ? { outcome: step.outcome! } : {}),
    ...step.set,
  };
  const row = await updateReferralIfStatus(trx, step.referral.id, from, set);
  if (!row) return { ok: false, moved: true };
  await appendReferralEvent(trx, {
    ...step.by,
    referralId: step.referral.id,
    at: step.at,
    fromStatus: from,
    toStatus: to,
    reason: step.reason ?? null,
    outcome: to === 'completed' ? (step.outcome ?? null) : null,
    note: step.note ?? null,
  });
  const unsent = from === 'pending' || from === 'forward_failed';
  if (to === 'forwarded' || (closes && unsent)) await resolveBreach(trx, step.referral.id, 'forward', step.at);
  if (to === 'contacted' || closes) await resolveBreach(trx, step.referral.id, 'contact', step.at);
  const webhookDeliveryIds = await recordWebhookEvent(trx, {
    type: to === 'forwarded' ? 'referral.forwarded' : 'referral.status_changed',
    at: step.at,
    // an agency hears of a referral once it has been forwarded to it, as its API shows it; before
    // that (cancelled, held or re-routed while unsent) only the hub's endpoints hear
    agencyId: row.forwardedAt !== null ? row.agencyId : null,
    data: { id: row.id, reference: row.reference, status: to, previousStatus: from },
  });
  return { ok: true, row, from, to, closes, reopen, webhookDeliveryIds };
}
