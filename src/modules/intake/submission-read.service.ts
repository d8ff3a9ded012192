/**
 * Reading submissions: one with each referral's current status (its submitter, or the hub,
 * audited when the hub reads another's), a submitter's own list, and the confirmation page's
 * view with who will contact the person and by when.
 */
import { findReferralRoutings, findReferralsOfSubmission, findSubmission, listSubmissionsBy } from './submission.repository.js';
import { likelyWait } from '../../kernel/capacity.js';
import { findFollowUpOfSubmission } from './submission.repository.js';
import { followUpDueAt, promiseSettings } from '../../kernel/promise.js';
import { TERMINAL_STATUSES } from '../../kernel/referral-state.js';
import { notFound } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { recordAudit, recordAudits } from '../audit/index.js';
import { agencyContactDays } from '../directory/index.js';

/** A submission with each referral's current status: its submitter, or the hub. */
export async function getSubmission(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  const s = await findSubmission(deps.db, id);
  if (!s || (s.submittedBy !== principal.userId && !isHub(principal))) throw notFound('submission');
  const referrals = await findReferralsOfSubmission(deps.db, id);
  // its submitter reads what they entered, the hub reads another's: either is a read of the person
  await recordAudit(deps.db, { principal, action: 'read', entity: 'submission', entityId: id, personId: s.personId, requestId, at: deps.clock.now() });
  return {
    id: s.id,
    reference: s.reference,
    questionnaireId: s.questionnaireId,
    status: s.status,
    receivedAt: s.receivedAt,
    closedAt: s.closedAt,
    person: { givenName: s.givenName, familyName: s.familyName, preferredContact: s.preferredContact },
    consent: s.consent,
    /** the answers, by question id (the FHIR API's QuestionnaireResponse); not in the JSON API's reply */
    answers: s.answers,
    referrals,
    /** the person's id (the FHIR API's Task.for); not in the JSON API's reply */
    personId: s.personId,
  };
}

/** A submitter's own checklists, newest first; each row names the person, so each is audited. */
export async function listMySubmissions(deps: Pick<ServiceDeps, 'db' | 'clock'>, principal: Principal, requestId?: string) {
  const rows = await listSubmissionsBy(deps.db, principal.userId);
  const at = deps.clock.now();
  await recordAudits(deps.db, rows.map((r) => ({ principal, action: 'list', entity: 'submission', entityId: r.id, personId: r.personId, requestId, at })));
  return rows.map(({ personId: _p, ...r }) => r);
}

/**
 * A submission as its confirmation page and printed record show it: for each referral, who will
 * contact the person and the day they were told it would be by (its contact deadline, the hub's
 * promise stored when it was made: src/kernel/promise.ts), why it waits when its agency is
 * closed, and the likely wait the agency had said when the referral was made
 * (referral_routings); and the day the hub will call the person, after every agency's date.
 */
export async function submissionWithPromises(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  const s = await getSubmission(deps, principal, id, requestId);
  const [agencies, routings, followUp, calendar] = await Promise.all([
    agencyContactDays(deps.db, s.referrals.map((r) => r.agencyId)),
    findReferralRoutings(deps.db, s.referrals.map((r) => r.id)),
    findFollowUpOfSubmission(deps.db, id),
    deps.holidays.get(),
  ]);
  const referrals = s.referrals.map((r) => {
    // what the agency said of its capacity when the referral was made (none: it was accepting)
    const routing = routings.get(r.id);
    const a = agencies.get(r.agencyId);
    // A held referral waits for the day its agency now says it reopens (held-referral.service.ts
    // moves held_until when the agency changes its word): the words follow that day, and say
    // nothing of a closure that ended early (held_until brought before the day first given).
    const reopenedEarly = r.heldUntil !== null && routing?.closedUntil != null && r.heldUntil < routing.closedUntil;
    const waitsUntil = r.heldUntil !== null && !reopenedEarly ? r.heldUntil : null;
    const said = routing ? { status: routing.capacity, waitWeeks: routing.waitWeeks, closedUntil: routing.closedUntil } : null;
    let wait = said ? likelyWait(said) : null;
    if (said?.status === 'closed' && r.heldUntil !== null) wait = waitsUntil ? likelyWait({ ...said, closedUntil: waitsUntil }) : null;
    return { ...r, waitsUntil, agencyPhone: a?.phone ?? null, likelyWait: wait, routedFrom: routing?.fallbacks.map((f) => f.fromAgencyName) ?? [] };
  });
  // the hub's call: the one scheduled for the referrals already with their agencies, moved later
  // by any still to be sent (as forwarding them will move it)
  const settings = promiseSettings(deps.env);
  const calls = [
    ...(followUp?.status === 'scheduled' ? [followUp.dueAt] : []),
    ...referrals.filter((r) => r.forwardedAt === null && LIVE(r.status) && r.contactDueAt).map((r) => followUpDueAt(r.contactDueAt!, settings, calendar)),
  ];
  const callDueAt = calls.length ? new Date(Math.max(...calls.map((d) => d.getTime()))) : null;
  return { ...s, referrals, callDueAt };
}

const LIVE = (status: string) => !TERMINAL_STATUSES.has(status as never);
