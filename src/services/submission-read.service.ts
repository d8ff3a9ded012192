/**
 * Reading submissions: one with each referral's current status (its submitter, or the hub,
 * audited when the hub reads another's), a submitter's own list, and the confirmation page's
 * view with who will contact the person and by when.
 */
import { recordAudit, recordAudits } from '../db/audit.repository.js';
import { agencyContactDays } from '../db/agency.repository.js';
import { findReferralsOfSubmission, findSubmission, listSubmissionsBy } from '../db/submission.repository.js';
import { addDays } from '../domain/clock.js';
import { likelyWait } from '../domain/capacity.js';
import { findReferralRoutings } from '../db/capacity.repository.js';
import { londonDay } from '../domain/uk-dates.js';
import { notFound } from '../errors.js';
import { isHub, type Principal } from './auth.service.js';
import type { ServiceDeps } from './deps.js';

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
    referrals,
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
 * contact the person and the day they were told it would be by (contact_promised_on, set once
 * when the checklist arrived: it does not move when the referral is forwarded sooner), and the
 * likely wait the agency had said when the referral was made (referral_routings).
 */
export async function submissionWithPromises(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  const s = await getSubmission(deps, principal, id, requestId);
  const [agencies, routings] = await Promise.all([agencyContactDays(deps.db, s.referrals.map((r) => r.agencyId)), findReferralRoutings(deps.db, s.referrals.map((r) => r.id))]);
  const referrals = s.referrals.map((r) => {
    // what the agency said of its capacity when the referral was made (none: it was accepting)
    const routing = routings.get(r.id);
    const a = agencies.get(r.agencyId);
    // rows from before the promise was kept: the date they were being shown
    const contactBy = r.contactPromisedOn ?? londonDay(r.contactDueAt ?? addDays(r.forwardDueAt, a?.contactDays ?? deps.env.CONTACT_WITHIN_DAYS));
    return { ...r, contactBy, agencyPhone: a?.phone ?? null, likelyWait: routing ? likelyWait({ status: routing.capacity, waitWeeks: routing.waitWeeks, closedUntil: routing.closedUntil }) : null, routedFrom: routing?.fallbacks.map((f) => f.fromAgencyName) ?? [] };
  });
  return { ...s, referrals };
}
