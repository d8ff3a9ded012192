/**
 * A person's record (person.service getPersonRecord) shaped for its page: the state of the
 * record in words, the consents and withdrawals with agency names, the agencies with a live
 * referral (what a withdrawal could cancel), and the report of a withdrawal just recorded.
 */
import { TERMINAL_STATUSES } from '../../../kernel/referral-state.js';
import type { PersonRecord } from '../person.service.js';

const fullName = (p: { givenName: string | null; familyName: string | null }) => [p.givenName, p.familyName].filter(Boolean).join(' ');

export function personView(rec: PersonRecord, agencies: { id: string; name: string }[], withdrawalId?: string) {
  const p = rec.person;
  const agencyName = new Map(agencies.map((a) => [a.id, a.name]));
  const checklist = new Map(rec.checklists.map((c) => [c.id, c]));
  const referral = new Map(rec.referrals.map((r) => [r.id, r]));
  const names = (ids: string[] | null) => (ids === null ? 'Every agency' : ids.map((id) => agencyName.get(id) ?? 'An agency no longer listed').join(', '));
  const live = new Map<string, string>();
  for (const r of rec.referrals) if (!TERMINAL_STATUSES.has(r.status as never)) live.set(r.agencyId, r.agencyName);

  const details = [
    { key: 'Name', value: fullName(p) || (p.erasedAt ? 'Erased' : 'Not given') },
    { key: 'Date of birth', value: p.dateOfBirth, date: true },
    ...(p.nhsNumber ? [{ key: 'NHS number', value: p.nhsNumber.replace(/^(\d{3})(\d{3})(\d{4})$/, '$1 $2 $3') }] : []),
    { key: 'Address', value: p.addressLine },
    { key: 'Postcode', value: p.postcode },
    { key: 'Phone', value: p.phone, tel: true },
    { key: 'Email', value: p.email },
    { key: 'Prefers to be contacted', value: p.preferredContact, contact: true },
    { key: 'Language', value: p.language },
    { key: 'Access needs', value: p.accessNeeds },
  ];

  const consents = rec.consents.map((c) => {
    const from = c.submissionId ? checklist.get(c.submissionId) : undefined;
    const rep = [c.representativeName, c.representativeRelationship ? `(${c.representativeRelationship})` : ''].filter(Boolean).join(' ');
    return {
      givenAt: c.givenAt,
      who: c.givenBy === 'person' ? 'The person' : `Someone acting for them${rep ? `: ${rep}` : ''}`,
      sharing: c.sharingAgreed ? `Agreed, with ${names(c.agencyIds) || 'no agency'}` : 'Not agreed',
      checklist: from?.reference ?? null,
      recordedBy: from?.submittedByName ?? null,
    };
  });

  const withdrawals = rec.withdrawals.map((w) => ({
    withdrawnAt: w.withdrawnAt,
    scope: names(w.agencyIds),
    reason: w.reason,
    cancelled: w.cancelledReferralIds.map((id) => referral.get(id)?.reference).filter(Boolean),
  }));

  const w = withdrawalId ? rec.withdrawals.find((x) => x.id === withdrawalId) : undefined;
  const withdrawal = w
    ? {
        withdrawnAt: w.withdrawnAt,
        scope: names(w.agencyIds),
        cancelled: w.cancelledReferralIds
          .map((id) => referral.get(id))
          .filter((r) => r !== undefined)
          // the agency is mailed when the referral had reached it (consent.service.ts)
          .map((r) => ({ reference: r.reference, agencyName: r.agencyName, agencyTold: r.forwardedAt !== null })),
      }
    : undefined;

  return {
    name: fullName(p),
    merged: p.mergedInto ? { into: p.mergedInto, at: p.mergedAt } : null,
    erased: p.erasedAt ? { at: p.erasedAt, reason: p.erasureReason } : null,
    hold: p.legalHoldAt ? { at: p.legalHoldAt, reason: p.legalHoldReason } : null,
    details,
    consents,
    withdrawals,
    liveAgencies: [...live].map(([agencyId, name]) => ({ agencyId, agencyName: name })),
    withdrawal,
  };
}

export type PersonView = ReturnType<typeof personView>;
