/**
 * Building an intake: from a valid checklist and its routing, the reply the caller will get and
 * the rows the intake function stores (ids and references drawn here, so that a collision can
 * be retried with fresh ones). No I/O.
 */
import { addHours } from '../../kernel/clock.js';
import { referralReference } from '../../kernel/ids.js';
import { promiseSettings, referralPromise, type AgencyClock } from '../../kernel/promise.js';
import type { WorkingCalendar } from '../../kernel/working-days.js';
import { hasWellbeing } from '../../kernel/wellbeing.js';
import { normaliseName, normalisePostcode } from '../../kernel/person-match.js';
import type { RoutedReferral } from './routing.js';
import type { IntakeRow } from './submission.repository.js';
import type { Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
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
    /** the hub's promise (src/kernel/promise.ts): sent to the agency by then */
    forwardDueAt: string;
    /** the agency will have contacted the person by then */
    contactDueAt: string;
    /** the day a closed agency reopens, when the referral waits for it; its clocks count from then */
    heldUntil: string | null;
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
  /** the application's clock now, when capacity was read for routing */
  routedAt: Date;
  /** the working-day calendar, for FORWARD_CLOCK=next_working_day */
  calendar: WorkingCalendar;
  /** each agency's contact clock */
  clocks: ReadonlyMap<string, AgencyClock>;
  /** the agencies closed now, with the day each reopens: a referral held for one counts from then */
  closed: ReadonlyMap<string, string>;
  idempotencyKey?: string | undefined;
  rawBody: unknown;
}

export function buildIntake(deps: Pick<ServiceDeps, 'ids' | 'env'>, input: IntakeInput): { row: IntakeRow; reply: SubmissionReply } {
  const { principal, body, receivedAt: now } = input;
  // The clocks start at receipt (for a paper checklist too: the hub's receipt, not its keying-in),
  // or on the day a closed agency reopens for a referral that waits for it.
  const settings = promiseSettings(deps.env);
  const promises = input.routed.map((r) => {
    const agency = input.clocks.get(r.agencyId);
    if (!agency) throw new Error(`no contact clock for agency ${r.agencyId}`);
    const heldUntil = r.held?.length ? (input.closed.get(r.agencyId) ?? null) : null;
    return referralPromise({ from: now, heldUntil, agency }, settings, input.calendar);
  });
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
      forwardDueAt: promises[i]!.forwardDueAt.toISOString(),
      contactDueAt: promises[i]!.contactDueAt.toISOString(),
      heldUntil: promises[i]!.heldUntil,
    })),
  };
  const p = body.person;
  const row: IntakeRow = {
    now: input.routedAt,
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
    referrals: reply.referrals.map((r, i) => ({
      id: r.id,
      reference: r.reference,
      agencyId: r.agencyId,
      questionIds: r.questionIds,
      forwardDueAt: promises[i]!.forwardDueAt,
      contactDueAt: promises[i]!.contactDueAt,
      heldUntil: promises[i]!.heldUntil,
    })),
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
