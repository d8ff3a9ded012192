/**
 * The referral lifecycle (README "How a checklist becomes referrals"): one table, one pure
 * function. Every status change in the product goes through decideTransition; the service
 * persists what it returns and appends an event. Pure: no I/O, no clock.
 */

export const REFERRAL_STATUSES = [
  'pending',
  'forward_failed',
  'forwarded',
  'acknowledged',
  'accepted',
  'contacted',
  'on_hold',
  'completed',
  'unable_to_contact',
  'declined',
  'rejected',
  'rerouted',
  'cancelled',
] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

/** The reason a referral cancelled by a consent withdrawal carries (its agency then no longer sees the person). */
export const CONSENT_WITHDRAWN = 'consent_withdrawn';

/** Maps onto FHIR Task.status for interoperability. */
export const FHIR_TASK_STATUS: Record<ReferralStatus, string> = {
  pending: 'requested',
  forward_failed: 'requested',
  forwarded: 'requested',
  acknowledged: 'requested',
  accepted: 'accepted',
  contacted: 'in-progress',
  on_hold: 'on-hold',
  completed: 'completed',
  unable_to_contact: 'failed',
  declined: 'cancelled',
  rejected: 'rejected',
  rerouted: 'cancelled',
  cancelled: 'cancelled',
};

export const TERMINAL_STATUSES: ReadonlySet<ReferralStatus> = new Set([
  'completed',
  'unable_to_contact',
  'declined',
  'rerouted',
  'cancelled',
]);

/** Statuses an agency still has work in (its T2 clock runs until contacted). */
export const AWAITING_CONTACT: readonly ReferralStatus[] = ['forwarded', 'acknowledged', 'accepted'];

/**
 * The outcome codes Signpost is seeded with (migrations/2026_12_02_1400_outcome_codes.ts); the
 * hub manages the list from then on (outcome_codes), and a completion is judged against the
 * active codes it passes in (TransitionRequest.outcomes).
 */
export const COMPLETION_OUTCOMES = [
  'service_provided',
  'advice_given',
  'signposted_elsewhere',
  'need_met_by_other_service',
  'no_longer_needed',
] as const;
export type CompletionOutcome = (typeof COMPLETION_OUTCOMES)[number];

/** Who is asking: the agency the referral belongs to, the hub (coordinator/admin), or a worker. */
export type Actor = 'agency' | 'hub' | 'system';

type Field = 'reason' | 'outcome' | 'note' | 'onHoldUntil' | 'targetAgencyId';

interface Rule {
  from: readonly ReferralStatus[];
  to: ReferralStatus;
  by: readonly Actor[];
  requires?: readonly Field[];
  /** a terminal referral reopened by the hub */
  reopen?: boolean;
}

const OPEN_WITH_AGENCY: readonly ReferralStatus[] = ['forwarded', 'acknowledged', 'accepted', 'contacted', 'on_hold'];
const AGENCY_OR_HUB: readonly Actor[] = ['agency', 'hub'];

/**
 * The whole lifecycle. A hub coordinator may record any agency step on the agency's behalf
 * (agencies without IT phone it in); the event keeps who recorded it.
 */
export const TRANSITIONS: readonly Rule[] = [
  // a forward_failed referral is sent again only after a coordinator puts it back to pending
  { from: ['pending'], to: 'forwarded', by: ['system'] },
  { from: ['pending'], to: 'forward_failed', by: ['system'], requires: ['reason'] },
  { from: ['forward_failed'], to: 'pending', by: ['hub'], requires: ['note'] },
  { from: ['forwarded'], to: 'acknowledged', by: AGENCY_OR_HUB },
  { from: ['forwarded', 'acknowledged'], to: 'accepted', by: AGENCY_OR_HUB },
  { from: ['forwarded', 'acknowledged', 'accepted', 'on_hold'], to: 'contacted', by: AGENCY_OR_HUB },
  { from: ['forwarded', 'acknowledged', 'accepted', 'contacted'], to: 'on_hold', by: AGENCY_OR_HUB, requires: ['reason', 'onHoldUntil'] },
  { from: ['contacted', 'on_hold'], to: 'completed', by: AGENCY_OR_HUB, requires: ['outcome'] },
  { from: OPEN_WITH_AGENCY, to: 'unable_to_contact', by: AGENCY_OR_HUB, requires: ['note'] },
  // before it reaches the agency, only the hub hears that the person declined
  { from: ['pending', 'forward_failed'], to: 'declined', by: ['hub'], requires: ['reason'] },
  { from: OPEN_WITH_AGENCY, to: 'declined', by: AGENCY_OR_HUB, requires: ['reason'] },
  { from: ['forwarded', 'acknowledged'], to: 'rejected', by: AGENCY_OR_HUB, requires: ['reason'] },
  // to another agency: a rejected referral, or one not yet with its agency (held for a closed
  // agency, or refused by its mail server)
  { from: ['pending', 'forward_failed', 'rejected'], to: 'rerouted', by: ['hub'], requires: ['targetAgencyId'] },
  { from: ['pending', 'forward_failed', 'rejected', ...OPEN_WITH_AGENCY], to: 'cancelled', by: ['hub'], requires: ['reason'] },
  { from: ['completed', 'unable_to_contact', 'declined', 'cancelled'], to: 'accepted', by: ['hub'], requires: ['note'], reopen: true },
];

export interface TransitionRequest {
  to: ReferralStatus;
  actor: Actor;
  reason?: string | null | undefined;
  outcome?: string | null | undefined;
  note?: string | null | undefined;
  onHoldUntil?: string | null | undefined;
  targetAgencyId?: string | null | undefined;
  /** reopening to 'accepted' needs a referral that reached its agency */
  wasForwarded?: boolean;
  /** the active outcome codes a completion may use (default: the seeded ones) */
  outcomes?: readonly string[];
}

export type TransitionDecision =
  | { ok: true; from: ReferralStatus; to: ReferralStatus; reopen: boolean; closes: boolean }
  | { ok: false; code: 'illegal_transition'; from: ReferralStatus; allowed: ReferralStatus[] }
  | { ok: false; code: 'missing_field'; field: Field; message: string }
  | { ok: false; code: 'invalid_outcome'; field: 'outcome'; allowed: readonly string[] };

/** The statuses this actor may move a referral in `from` to, in table order. */
export function allowedNext(from: ReferralStatus, actor: Actor): ReferralStatus[] {
  const out: ReferralStatus[] = [];
  for (const r of TRANSITIONS) {
    if (r.from.includes(from) && r.by.includes(actor) && !out.includes(r.to)) out.push(r.to);
  }
  return out;
}

export function isTerminal(status: ReferralStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function decideTransition(from: ReferralStatus, req: TransitionRequest): TransitionDecision {
  const rule = TRANSITIONS.find((r) => r.to === req.to && r.from.includes(from) && r.by.includes(req.actor));
  if (!rule || (rule.reopen && req.wasForwarded === false)) {
    return { ok: false, code: 'illegal_transition', from, allowed: allowedNext(from, req.actor) };
  }
  for (const field of rule.requires ?? []) {
    const v = req[field];
    if (v === undefined || v === null || String(v).trim() === '') {
      return { ok: false, code: 'missing_field', field, message: `${field} is required to move a referral to ${req.to}` };
    }
  }
  const outcomes = req.outcomes ?? COMPLETION_OUTCOMES;
  if (rule.to === 'completed' && !outcomes.includes(req.outcome ?? '')) {
    return { ok: false, code: 'invalid_outcome', field: 'outcome', allowed: outcomes };
  }
  return { ok: true, from, to: rule.to, reopen: rule.reopen === true, closes: isTerminal(rule.to) };
}
