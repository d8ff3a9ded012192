/**
 * A person's record as one story, in time order: each checklist, the details it gave, consent
 * given and withdrawn, every step of every referral, the hub's calls and what the person said,
 * and merges. Pure: built from what readPersonData read.
 */
import type { PersonData } from './subject-access.repository.js';
import { ukDate, ukDeadlineDate } from '../../kernel/uk-dates.js';

/**
 * Who a checklist came from: the named referrer of a paper or phone checklist the hub keyed in
 * (with who keyed it in), otherwise the account that sent it.
 */
export function checklistFrom(s: { submittedByName: string; channel: string; referrerName: string | null; referrerOrganisationText: string | null; organisationName: string | null }): string {
  if (s.channel !== 'paper' && s.channel !== 'phone') return s.submittedByName;
  const who = [s.referrerName, s.referrerOrganisationText ?? s.organisationName].filter(Boolean).join(', ');
  const how = s.channel === 'phone' ? 'by phone' : 'on paper';
  return who ? `${who} (${how}, entered by ${s.submittedByName})` : `${s.submittedByName} (${how})`;
}

export interface TimelineEntry {
  at: Date;
  kind: 'checklist' | 'details' | 'consent' | 'consent_withdrawn' | 'referral' | 'referred_again' | 'call' | 'needs_met' | 'merged' | 'erased';
  /** a checklist's or referral's reference, when the entry belongs to one */
  reference: string | null;
  text: string;
}

const STATUS_WORDS: Record<string, string> = {
  pending: 'made, waiting to be sent',
  forward_failed: 'could not be sent',
  forwarded: 'sent to the agency',
  acknowledged: 'acknowledged by the agency',
  accepted: 'accepted by the agency',
  contacted: 'the agency contacted the person',
  on_hold: 'put on hold',
  completed: 'completed',
  unable_to_contact: 'the agency could not contact the person',
  declined: 'the person declined',
  rejected: 'the agency could not take it',
  rerouted: 'sent to another agency instead',
  cancelled: 'cancelled',
};

const words = (s: string) => s.replaceAll('_', ' ');

/** Why a referral waited to be sent: its agency closed until a day, a failed send tried again, or the hub's forwarding promise. */
function waiting(r: { heldUntil: string | null; forwardDueAt: Date }, closedUntil: string | null, from: string | null): string {
  const until = r.heldUntil ?? closedUntil;
  if (until) return `made, waiting to be sent (the agency is closed to new referrals until ${ukDate(until)}; it is sent that day)`;
  if (from === 'forward_failed') return 'to be sent again, once the agency’s email address was fixed';
  if (from !== null) return 'to be sent again';
  return `made, waiting to be sent (the hub promised to send it to the agency by ${ukDeadlineDate(r.forwardDueAt)})`;
}

export function personTimeline(d: PersonData): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const checklist = new Map(d.submissions.map((s) => [s.id, s.reference]));
  const referral = new Map(d.referrals.map((r) => [r.id, r]));
  const closedUntil = new Map(d.routings.map((x) => [x.referralId, x.closedUntil]));
  for (const s of d.submissions) {
    out.push({ at: s.receivedAt, kind: 'checklist', reference: s.reference, text: `Checklist received from ${checklistFrom(s)}` });
    if (s.closedAt) out.push({ at: s.closedAt, kind: 'checklist', reference: s.reference, text: 'Checklist closed' });
  }
  for (const v of d.versions) {
    const ref = v.submissionId ? (checklist.get(v.submissionId) ?? null) : null;
    out.push({ at: v.recordedAt, kind: 'details', reference: ref, text: 'Details given (name, contact and access needs as recorded on the checklist)' });
  }
  for (const c of d.consents) {
    const who = c.givenBy === 'representative' ? `their representative${c.representativeName ? `, ${c.representativeName}` : ''}${c.representativeRelationship ? ` (${c.representativeRelationship})` : ''}` : 'the person';
    const ref = c.submissionId ? (checklist.get(c.submissionId) ?? null) : null;
    out.push({ at: c.givenAt, kind: 'consent', reference: ref, text: `Consent given by ${who} to share with ${c.agencyIds.length} ${c.agencyIds.length === 1 ? 'agency' : 'agencies'}` });
  }
  for (const w of d.withdrawals) {
    const scope = w.agencyIds === null ? 'every agency' : `${w.agencyIds.length} ${w.agencyIds.length === 1 ? 'agency' : 'agencies'}`;
    out.push({ at: w.withdrawnAt, kind: 'consent_withdrawn', reference: null, text: `Consent withdrawn for ${scope}; ${w.cancelledReferralIds.length} live referral${w.cancelledReferralIds.length === 1 ? '' : 's'} cancelled` });
  }
  for (const e of d.events) {
    const r = referral.get(e.referralId);
    if (!r) continue;
    if (e.reason === 'referred_again') {
      out.push({ at: e.at, kind: 'referred_again', reference: r.reference, text: `${r.agencyName}: referred again while this referral was open` });
      continue;
    }
    const why = e.outcome ? ` (${words(e.outcome)})` : e.reason === 'consent_withdrawn' ? ' (consent withdrawn)' : '';
    const status = e.toStatus === 'pending' ? waiting(r, closedUntil.get(r.id) ?? null, e.fromStatus) : (STATUS_WORDS[e.toStatus] ?? words(e.toStatus));
    out.push({ at: e.at, kind: 'referral', reference: r.reference, text: `${r.agencyName}: ${status}${why}, by ${e.actorLabel}` });
  }
  for (const a of d.attempts) {
    out.push({ at: a.at, kind: 'call', reference: null, text: a.contactMade ? 'The hub’s follow-up call reached the person' : 'The hub’s follow-up call did not reach the person' });
  }
  for (const o of d.outcomes) {
    const r = referral.get(o.referralId);
    out.push({ at: o.recordedAt, kind: 'needs_met', reference: r?.reference ?? null, text: `${r?.agencyName ?? 'A referral'}: needs met? ${words(o.needsMet)}` });
  }
  for (const p of d.people) {
    if (p.mergedAt) out.push({ at: p.mergedAt, kind: 'merged', reference: null, text: 'Another record of this person was merged into this one' });
    if (p.erasedAt && p.mergedInto === null) out.push({ at: p.erasedAt, kind: 'erased', reference: null, text: 'Personal details erased' });
  }
  return out.sort((a, b) => a.at.getTime() - b.at.getTime());
}
