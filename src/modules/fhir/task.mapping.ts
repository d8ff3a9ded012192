/**
 * A referral as FHIR (the Gravity SDOH closed-loop shape): one ServiceRequest (what was asked of
 * the agency) and one Task (the agency's work on it) per referral, each Task `partOf` the
 * checklist's own Task. `businessStatus` is the hub's exact status; `output` the coded outcome,
 * with its SNOMED CT concept where the hub set one; the version is the number of steps the
 * referral has taken (each step appends one event), so `meta.versionId` and the ETag change
 * exactly when the Task does.
 */
import { FHIR_TASK_STATUS, type ReferralStatus } from '../../kernel/referral-state.js';
import type { ReferralDetailWithPerson } from '../referrals/index.js';
import {
  CHECKLIST_REFERENCE_SYSTEM,
  CHECKLIST_STATUS_SYSTEM,
  ON_HOLD_UNTIL_EXTENSION,
  OUTCOME_SYSTEM,
  REFERRAL_REFERENCE_SYSTEM,
  REFERRAL_STATUS_SYSTEM,
  SNOMED,
  STATUS_DISPLAY,
  UKCORE,
} from './fhir-codes.js';

export interface OutcomeCode {
  code: string;
  label: string;
  snomedCode: string | null;
  snomedTerm: string | null;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);
const HUB = { display: 'Signpost hub' };

export const versionOf = (r: Pick<ReferralDetailWithPerson, 'events'>) => String(Math.max(1, r.events.length));
export const etagOf = (version: string) => `W/"${version}"`;

/** The reason the referral's current status was reached with, where one was given. */
function currentReason(r: ReferralDetailWithPerson): string | null {
  const last = [...r.events].reverse().find((e) => e.toStatus === r.status);
  return last?.reason ?? null;
}

export function outcomeConcept(code: string, outcomes: readonly OutcomeCode[]) {
  const o = outcomes.find((x) => x.code === code);
  return {
    coding: [
      { system: OUTCOME_SYSTEM, code, ...(o ? { display: o.label } : {}) },
      ...(o?.snomedCode ? [{ system: SNOMED, code: o.snomedCode, ...(o.snomedTerm ? { display: o.snomedTerm } : {}) }] : []),
    ],
    ...(o ? { text: o.label } : {}),
  };
}

/**
 * The hub's routing of a referral before its agency had it: made (or re-routed from another
 * agency's), held while the agency was closed, its mail refused, sent.
 */
const ROUTING_STATUSES: ReadonlySet<string> = new Set<ReferralStatus>(['pending', 'forward_failed', 'forwarded']);

/**
 * The Task's notes: what people wrote on the work on the referral. The hub's own records are
 * left out: the system's notes (the forwarding mail's id and the agency's mail address it went
 * to, a mail server's refusal, a mail that went as the referral ended) and the routing steps'
 * notes (the referral it was re-routed from, a hold), which the agency does not need and which
 * name internal routing (docs/fhir.md).
 */
export function taskNotes(events: ReferralDetailWithPerson['events']) {
  return events
    .filter((e) => e.note && !e.bySystem && !ROUTING_STATUSES.has(e.toStatus))
    .map((e) => ({ time: e.at.toISOString(), authorString: e.actorLabel, text: e.note! }));
}

export function toTask(r: ReferralDetailWithPerson, outcomes: readonly OutcomeCode[]) {
  const status = r.status as ReferralStatus;
  const reason = currentReason(r);
  const notes = taskNotes(r.events);
  const period = { ...(r.forwardedAt ? { start: iso(r.forwardedAt) } : {}), ...(r.closedAt ? { end: iso(r.closedAt) } : {}) };
  return {
    resourceType: 'Task' as const,
    id: r.id,
    meta: { versionId: versionOf(r), lastUpdated: r.updatedAt.toISOString(), profile: [UKCORE('Task')] },
    ...(r.onHoldUntil ? { extension: [{ url: ON_HOLD_UNTIL_EXTENSION, valueDate: r.onHoldUntil }] } : {}),
    identifier: [{ system: REFERRAL_REFERENCE_SYSTEM, value: r.reference }],
    basedOn: [{ reference: `ServiceRequest/${r.id}` }],
    partOf: [{ reference: `Task/${r.submissionId}` }],
    status: FHIR_TASK_STATUS[status],
    ...(reason ? { statusReason: { text: reason } } : {}),
    businessStatus: { coding: [{ system: REFERRAL_STATUS_SYSTEM, code: status, display: STATUS_DISPLAY[status] }], text: STATUS_DISPLAY[status] },
    intent: 'order',
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill', display: 'Fulfill the focal request' }] },
    focus: { reference: `ServiceRequest/${r.id}` },
    // the person's id only where the caller may see the person (referral-access.ts): on a
    // summary (ended, re-routed, consent withdrawn) it would tie the referral to a named person
    ...(r.view === 'full' ? { for: { reference: `Patient/${r.personId}` } } : {}),
    authoredOn: r.receivedAt.toISOString(),
    lastModified: r.updatedAt.toISOString(),
    requester: HUB,
    owner: { reference: `Organization/${r.agencyId}`, display: r.agencyName },
    ...(Object.keys(period).length ? { executionPeriod: period } : {}),
    ...(r.contactDueAt ? { restriction: { period: { end: r.contactDueAt.toISOString() } } } : {}),
    ...(notes.length ? { note: notes } : {}),
    ...(r.outcome ? { output: [{ type: { text: 'outcome' }, valueCodeableConcept: outcomeConcept(r.outcome, outcomes) }] } : {}),
  };
}

const SERVICE_REQUEST_STATUS: Record<ReferralStatus, string> = {
  pending: 'active',
  forward_failed: 'active',
  forwarded: 'active',
  acknowledged: 'active',
  accepted: 'active',
  contacted: 'active',
  on_hold: 'on-hold',
  rejected: 'active',
  completed: 'completed',
  unable_to_contact: 'completed',
  declined: 'revoked',
  rerouted: 'revoked',
  cancelled: 'revoked',
};

export function toServiceRequest(r: ReferralDetailWithPerson) {
  return {
    resourceType: 'ServiceRequest' as const,
    id: r.id,
    meta: { versionId: versionOf(r), lastUpdated: r.updatedAt.toISOString(), profile: [UKCORE('ServiceRequest')] },
    identifier: [{ system: REFERRAL_REFERENCE_SYSTEM, value: r.reference }],
    ...(r.reroutedFromId ? { replaces: [{ reference: `ServiceRequest/${r.reroutedFromId}` }] } : {}),
    requisition: { system: CHECKLIST_REFERENCE_SYSTEM, value: r.submissionReference },
    status: SERVICE_REQUEST_STATUS[r.status as ReferralStatus],
    intent: 'order',
    category: [{ coding: [{ system: SNOMED, code: '306206005', display: 'Referral to service' }] }],
    code: { text: `Social prescribing referral to ${r.agencyName}` },
    subject: r.view === 'full' ? { reference: `Patient/${r.personId}` } : { display: 'Not shown' },
    authoredOn: r.receivedAt.toISOString(),
    requester: HUB,
    performer: [{ reference: `Organization/${r.agencyId}`, display: r.agencyName }],
    // the needs that flagged it: health answers, so only where the caller sees the referral in full
    ...(r.questions?.length ? { reasonCode: r.questions.map((q) => ({ text: q.text })) } : {}),
    supportingInfo: [{ reference: `QuestionnaireResponse/${r.submissionId}` }],
  };
}

export interface ChecklistView {
  id: string;
  reference: string;
  status: string;
  receivedAt: Date;
  closedAt: Date | null;
  personId: string;
}

/** The checklist's own Task: the hub's coordination of all its referrals, closed by the follow-up call. */
export function toChecklistTask(s: ChecklistView) {
  const status = s.status === 'open' ? 'in-progress' : 'completed';
  const version = s.closedAt ? '2' : '1';
  return {
    resourceType: 'Task' as const,
    id: s.id,
    meta: { versionId: version, lastUpdated: (s.closedAt ?? s.receivedAt).toISOString(), profile: [UKCORE('Task')] },
    identifier: [{ system: CHECKLIST_REFERENCE_SYSTEM, value: s.reference }],
    status,
    businessStatus: { coding: [{ system: CHECKLIST_STATUS_SYSTEM, code: s.status }], text: s.status },
    intent: 'order',
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill', display: 'Fulfill the focal request' }] },
    focus: { reference: `QuestionnaireResponse/${s.id}` },
    for: { reference: `Patient/${s.personId}` },
    authoredOn: s.receivedAt.toISOString(),
    requester: HUB,
    owner: HUB,
    executionPeriod: { start: s.receivedAt.toISOString(), ...(s.closedAt ? { end: s.closedAt.toISOString() } : {}) },
  };
}
