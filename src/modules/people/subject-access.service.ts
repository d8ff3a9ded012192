/**
 * Subject access (UK GDPR article 15): everything Signpost holds about one person, as JSON and
 * as a printable page, for a coordinator or admin to give them. Each export is audited, before
 * it is read, so the export lists itself among the reads of the record.
 */
import { organisationOf } from '../../kernel/actors.js';
import { findPerson } from './person.repository.js';
import { checklistFrom } from './person-timeline.js';
import { listAccessToPerson, readPersonData, type PersonData } from './subject-access.repository.js';
import { conflict, forbidden, notFound } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { recordAudit } from '../audit/index.js';

/** Every audit row about a person goes in the export; a cap keeps one request bounded. */
const MAX_ACCESS_ROWS = 100_000;


export async function exportPerson(deps: ServiceDeps, principal: Principal, personId: string, requestId?: string) {
  if (!isHub(principal)) throw forbidden('only coordinators and admins export a person’s data');
  const person = await findPerson(deps.db, personId);
  if (!person) throw notFound('person');
  if (person.mergedInto) throw conflict('person_merged', 'this record was merged into another; export that one', { mergedInto: person.mergedInto });
  const now = deps.clock.now();
  await recordAudit(deps.db, { principal, action: 'person.export', entity: 'person', entityId: personId, personId, requestId, at: now });
  const data = await readPersonData(deps.db, personId);
  const access = await listAccessToPerson(deps.db, data.ids, MAX_ACCESS_ROWS);
  return shapeExport(data, access, { at: now, by: principal, hubName: deps.env.HUB_NAME });
}

function shapeExport(d: PersonData, access: Awaited<ReturnType<typeof listAccessToPerson>>, meta: { at: Date; by: Principal; hubName: string }) {
  const text = new Map(d.questions.map((q) => [q.id, q.text]));
  // the checklist's order (section, then question); a question no longer listed goes last
  const place = new Map(d.questions.map((q) => [q.id, q.sectionPosition * 10_000 + q.position]));
  const inChecklistOrder = (ids: string[]) => [...ids].sort((a, b) => (place.get(a) ?? Infinity) - (place.get(b) ?? Infinity));
  const p = d.people.find((x) => x.mergedInto === null) ?? d.people[0]!;
  return {
    exportedAt: meta.at.toISOString(),
    exportedBy: { name: meta.by.name, role: meta.by.role },
    heldBy: meta.hubName,
    person: {
      id: p.id,
      givenName: p.givenName,
      familyName: p.familyName,
      dateOfBirth: p.dateOfBirth,
      nhsNumber: p.nhsNumber,
      postcode: p.postcode,
      addressLine: p.addressLine,
      phone: p.phone,
      email: p.email,
      preferredContact: p.preferredContact,
      language: p.language,
      accessNeeds: p.accessNeeds,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
      lastChecklistClosedAt: p.inactiveSince,
      legalHold: p.legalHoldAt ? { reason: p.legalHoldReason, setAt: p.legalHoldAt } : null,
      erasedAt: p.erasedAt,
    },
    /** records found to be the same person and merged into this one */
    mergedRecords: d.people.filter((x) => x.id !== p.id).map((x) => ({ id: x.id, createdAt: x.createdAt, mergedAt: x.mergedAt })),
    /** the details as given on each checklist, oldest first */
    detailsAsGiven: d.versions.map(({ personId: _p, ...v }) => v),
    possibleDuplicates: d.flags,
    checklists: d.submissions.map((s) => ({
      id: s.id,
      reference: s.reference,
      receivedAt: s.receivedAt,
      submittedBy: { name: s.submittedByName, role: s.submittedByRole },
      /** who referred them: the named referrer of a paper or phone checklist, else the sender */
      referredBy: checklistFrom(s),
      channel: s.channel,
      questionnaireVersion: s.questionnaireVersion,
      status: s.status,
      closedAt: s.closedAt,
      ageBandAtReferral: s.ageBand,
      postcodeDistrictAtReferral: s.postcodeDistrict,
      consent: s.consent,
      answers: inChecklistOrder(Object.keys(s.answers)).map((id) => ({ questionId: id, question: text.get(id) ?? null, answer: s.answers[id] ? 'yes' : 'no' })),
    })),
    consents: d.consents.map(({ personId: _p, ...c }) => c),
    consentWithdrawals: d.withdrawals.map(({ personId: _p, ...w }) => w),
    referrals: d.referrals.map((r) => ({
      ...r,
      questions: inChecklistOrder(r.questionIds).map((id) => text.get(id) ?? id),
      history: d.events.filter((e) => e.referralId === r.id).map(({ referralId: _r, ...e }) => e),
      slaBreaches: d.breaches.filter((b) => b.referralId === r.id).map(({ referralId: _r, ...b }) => b),
      alerts: d.alerts.filter((a) => a.referralId === r.id).map(({ referralId: _r, ...a }) => a),
      agencyLinks: d.links.filter((l) => l.referralId === r.id).map(({ referralId: _r, ...l }) => l),
      /** what the agency's capacity meant for it when it was made (a wait, a fallback used, why it waited) */
      routing: d.routings.filter((x) => x.referralId === r.id).map(({ referralId: _r, ...x }) => x)[0] ?? null,
    })),
    /** "yes" answers that joined a referral already open for the person */
    referredAgain: d.repeats,
    followUps: d.followUps.map((f) => ({
      ...f,
      attempts: d.attempts.filter((a) => a.followUpId === f.id).map(({ followUpId: _f, ...a }) => a),
      needsMet: d.outcomes.filter((o) => o.followUpId === f.id).map(({ followUpId: _f, ...o }) => o),
    })),
    /** ONS4 personal wellbeing, 0 to 10 (anxiety: 0 is not at all anxious), at each checklist and follow-up call; null where not answered */
    wellbeing: d.wellbeing.map((w) => ({
      id: w.id,
      occasion: w.occasion,
      submissionId: w.submissionId,
      measuredAt: w.measuredAt,
      recordedBy: w.recordedByName,
      lifeSatisfaction: w.lifeSatisfaction,
      worthwhile: w.worthwhile,
      happy: w.happy,
      anxious: w.anxious,
    })),
    /** the public self-referrals their checklists came from: who filled it in, and the hub's call before releasing it */
    selfReferrals: d.selfReferrals.map((x) => ({
      id: x.id,
      reference: x.reference,
      submissionId: x.submissionId,
      filledInBy: x.filledInBy === 'person' ? 'the person' : 'someone on their behalf',
      receivedAt: x.receivedAt,
      releasedAt: x.decidedAt,
      releasedBy: x.decidedByName,
      callNote: x.callNote,
    })),
    mail: d.mail,
    /** who read or acted on this person's records, newest first */
    access: access.map((a) => ({
      id: a.id,
      at: a.at,
      who: a.actorLabel,
      organisation: organisationOf(a, meta.hubName),
      action: a.action,
      entity: a.entity,
      entityId: a.entityId,
      requestId: a.requestId,
    })),
  };
}

export type PersonExport = Awaited<ReturnType<typeof exportPerson>>;
