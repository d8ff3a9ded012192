/**
 * Building an intake: from a valid checklist and its routing, the reply the caller will get and
 * the rows the intake function stores (ids and references drawn here, so that a collision can
 * be retried with fresh ones). No I/O.
 */
import { addHours } from '../domain/clock.js';
import { referralReference } from '../domain/ids.js';
import { forwardDueAt as forwardDeadline, type WorkingCalendar } from '../domain/working-days.js';
import { hasWellbeing } from '../domain/wellbeing.js';
import { normaliseName, normalisePostcode } from '../domain/person-match.js';
import type { RoutedReferral } from '../domain/routing.js';
import type { IntakeRow } from '../db/submission.repository.js';
import type { Principal } from './auth.service.js';
import type { ServiceDeps } from './deps.js';
import { fingerprint } from './fingerprint.js';
import type { SubmissionBody } from './submission.schema.js';
import type { ReferralWait } from './intake-capacity.js';

export interface SubmissionReply {
  id: string;
  reference: string;
  receivedAt: string;
  /** closed at once when every need was already open with its agency (alreadyOpen) */
  status: 'open' | 'no_needs_identified' | 'closed';
  /** the person's one record, across all their checklists */
  personId: string;
  /** live referrals this checklist's "yes" answers joined instead of making new ones */
  alreadyOpen: { id: string; reference: string; agencyId: string; status: string }[];
  referrals: {
    id: string;
    reference: string;
    agencyId: string;
    agencyName: string;
    questionIds: string[];
    status: 'pending';
    forwardDueAt: string;
    /** the agency's capacity when the referral was made, and the likely wait (intake-capacity.ts) */
    capacity?: ReferralWait;
  }[];
}

export interface IntakeInput {
  principal: Principal;
  body: SubmissionBody;
  questionnaireId: string;
  routed: RoutedReferral[];
  agencyNames: Map<string, string>;
  receivedAt: Date;
  /** the working-day calendar, for FORWARD_CLOCK=next_working_day */
  calendar: WorkingCalendar;
  idempotencyKey?: string | undefined;
  rawBody: unknown;
}

export function buildIntake(deps: Pick<ServiceDeps, 'ids' | 'env'>, input: IntakeInput): { row: IntakeRow; reply: SubmissionReply } {
  const { principal, body, receivedAt: now } = input;
  // T1 starts at receipt (for a paper checklist too: the hub's receipt, not its keying-in)
  const forwardDueAt = forwardDeadline(now, { kind: deps.env.FORWARD_CLOCK, hours: deps.env.FORWARD_WITHIN_HOURS }, input.calendar);
  const reference = deps.ids.reference();
  const reply: SubmissionReply = {
    id: deps.ids.uuid(),
    reference,
    receivedAt: now.toISOString(),
    status: input.routed.length ? 'open' : 'no_needs_identified',
    // filled in by the intake function, which matches the person
    personId: '',
    alreadyOpen: [],
    referrals: input.routed.map((r, i) => ({
      id: deps.ids.uuid(),
      reference: referralReference(reference, i),
      agencyId: r.agencyId,
      agencyName: input.agencyNames.get(r.agencyId) ?? '',
      questionIds: r.questionIds,
      status: 'pending',
      forwardDueAt: forwardDueAt.toISOString(),
    })),
  };
  const p = body.person;
  const row: IntakeRow = {
    userId: principal.userId,
    actorLabel: principal.name,
    idempotency: input.idempotencyKey
      ? {
          key: input.idempotencyKey,
          fingerprint: fingerprint(input.rawBody),
          expiresAt: addHours(now, deps.env.IDEMPOTENCY_KEY_TTL_HOURS),
        }
      : null,
    responseBody: reply,
    questionnaireId: input.questionnaireId,
    person: {
      id: deps.ids.uuid(),
      givenName: p.givenName,
      familyName: p.familyName,
      dateOfBirth: p.dateOfBirth,
      postcode: p.postcode,
      phone: p.phone ?? null,
      email: p.email ?? null,
      addressLine: p.addressLine ?? null,
      preferredContact: p.preferredContact,
      language: p.language ?? null,
      accessNeeds: p.accessNeeds ?? null,
      nhsNumber: p.nhsNumber ?? null,
      normGiven: normaliseName(p.givenName),
      normFamily: normaliseName(p.familyName),
      normPostcode: normalisePostcode(p.postcode),
      versionId: deps.ids.uuid(),
    },
    consent: {
      id: deps.ids.uuid(),
      givenBy: body.consent.by,
      representativeName: body.consent.representativeName ?? null,
      representativeRelationship: body.consent.representativeRelationship ?? null,
      sharingAgreed: body.consent.sharingAgreed,
      givenAt: body.consent.recordedAt,
    },
    submission: {
      id: reply.id,
      reference,
      answers: body.answers,
      consent: {
        ...body.consent,
        representativeName: body.consent.representativeName ?? undefined,
        representativeRelationship: body.consent.representativeRelationship ?? undefined,
      },
      status: input.routed.length ? 'open' : 'no_needs_identified',
      receivedAt: now,
    },
    referrals: reply.referrals.map((r) => ({ id: r.id, reference: r.reference, agencyId: r.agencyId, questionIds: r.questionIds, forwardDueAt })),
    // health data: stored, never echoed in the reply (which the Idempotency-Key record keeps)
    wellbeing: hasWellbeing(body.wellbeing)
      ? {
          id: deps.ids.uuid(),
          lifeSatisfaction: body.wellbeing?.lifeSatisfaction ?? null,
          worthwhile: body.wellbeing?.worthwhile ?? null,
          happy: body.wellbeing?.happy ?? null,
          anxious: body.wellbeing?.anxious ?? null,
        }
      : null,
  };
  return { row, reply };
}
