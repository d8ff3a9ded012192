/**
 * Intake: a person's checklist becomes a submission and one referral per flagged agency,
 * durably and once. Round trips on the hot path: one statement (see insertIntake), then one
 * Redis call to enqueue the forwards after commit. Everything else is cached or pure.
 */
import { addHours } from '../domain/clock.js';
import { referralReference } from '../domain/ids.js';
import { checkAnswers, routeAnswers } from '../domain/routing.js';
import { AppError, badRequest, conflict, forbidden, notFound, unprocessable, type ErrorDetail } from '../errors.js';
import {
  findIdempotencyKey,
  findReferralsOfSubmission,
  findSubmission,
  insertIntake,
  type IntakeRow,
} from '../db/submission.repository.js';
import { recordAudit } from '../db/audit.repository.js';
import { isHub, type Principal } from './auth.service.js';
import type { ServiceDeps } from './deps.js';
import { fingerprint } from './fingerprint.js';
import type { SubmissionBody } from './submission.schema.js';

export interface SubmissionReply {
  id: string;
  reference: string;
  receivedAt: string;
  status: 'open' | 'no_needs_identified';
  referrals: {
    id: string;
    reference: string;
    agencyId: string;
    agencyName: string;
    questionIds: string[];
    status: 'pending';
    forwardDueAt: string;
  }[];
}

export interface SubmitResult {
  /** 201 for a new submission; a replayed Idempotency-Key returns the stored status too */
  status: number;
  replayed: boolean;
  body: SubmissionReply;
}

const MAX_AGE_YEARS = 130;

function checkDateOfBirth(dob: string, today: Date): ErrorDetail[] {
  const d = new Date(`${dob}T00:00:00Z`);
  const earliest = new Date(today);
  earliest.setUTCFullYear(earliest.getUTCFullYear() - MAX_AGE_YEARS);
  if (d.getTime() > today.getTime()) return [{ path: 'person.dateOfBirth', message: 'must not be in the future' }];
  if (d < earliest) return [{ path: 'person.dateOfBirth', message: `must be within the last ${MAX_AGE_YEARS} years` }];
  return [];
}

function isUniqueViolationOn(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === constraint;
}

export async function submitQuestionnaire(
  deps: ServiceDeps,
  principal: Principal,
  body: SubmissionBody,
  opts: { idempotencyKey?: string | undefined; rawBody: unknown; requestId?: string | undefined },
): Promise<SubmitResult> {
  if (principal.role !== 'link_worker' && !isHub(principal)) throw forbidden('only link workers and coordinators submit checklists');

  const { consent } = body;
  if (!consent.given || !consent.sharingAgreed) {
    throw unprocessable('consent_required', 'the person (or their representative) must consent and agree to sharing; nothing was stored', [
      ...(consent.given ? [] : [{ path: 'consent.given', message: 'must be true' }]),
      ...(consent.sharingAgreed ? [] : [{ path: 'consent.sharingAgreed', message: 'must be true' }]),
    ]);
  }

  const now = deps.clock.now();
  const questionnaire = await deps.questionnaires.get(body.questionnaireId);
  if (!questionnaire) {
    throw badRequest('invalid submission', [{ path: 'questionnaireId', message: 'no published questionnaire has this id' }]);
  }
  const questions = questionnaire.sections.flatMap((s) => s.questions);
  const problems = [...checkDateOfBirth(body.person.dateOfBirth, now), ...checkAnswers(questions, body.answers)];
  if (problems.length) throw badRequest('invalid submission', problems);

  const agencyNames = new Map(questions.map((q) => [q.agencyId, q.agencyName]));
  const routed = routeAnswers(questions, body.answers);
  const forwardDueAt = addHours(now, deps.env.FORWARD_WITHIN_HOURS);

  const build = (): { row: IntakeRow; reply: SubmissionReply } => {
    const reference = deps.ids.reference();
    const reply: SubmissionReply = {
      id: deps.ids.uuid(),
      reference,
      receivedAt: now.toISOString(),
      status: routed.length ? 'open' : 'no_needs_identified',
      referrals: routed.map((r, i) => ({
        id: deps.ids.uuid(),
        reference: referralReference(reference, i),
        agencyId: r.agencyId,
        agencyName: agencyNames.get(r.agencyId) ?? '',
        questionIds: r.questionIds,
        status: 'pending',
        forwardDueAt: forwardDueAt.toISOString(),
      })),
    };
    const p = body.person;
    const row: IntakeRow = {
      userId: principal.userId,
      actorLabel: principal.name,
      idempotency: opts.idempotencyKey
        ? {
            key: opts.idempotencyKey,
            fingerprint: fingerprint(opts.rawBody),
            responseBody: reply,
            expiresAt: addHours(now, deps.env.IDEMPOTENCY_KEY_TTL_HOURS),
          }
        : null,
      questionnaireId: questionnaire.id,
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
      },
      submission: {
        id: reply.id,
        reference,
        answers: body.answers,
        consent: { ...consent, representativeName: consent.representativeName ?? undefined },
        status: reply.status,
        receivedAt: now,
      },
      referrals: reply.referrals.map((r) => ({
        id: r.id,
        reference: r.reference,
        agencyId: r.agencyId,
        questionIds: r.questionIds,
        forwardDueAt,
      })),
    };
    return { row, reply };
  };

  let attempt = build();
  let result;
  try {
    result = await insertIntake(deps.db, attempt.row);
  } catch (err) {
    // a 40-bit reference collided: draw new ones once
    if (!isUniqueViolationOn(err, 'submissions_reference_key') && !isUniqueViolationOn(err, 'referrals_reference_key')) throw err;
    attempt = build();
    result = await insertIntake(deps.db, attempt.row);
  }

  switch (result.outcome) {
    case 'inserted':
      break;
    case 'in_flight':
      throw conflict('request_in_flight', 'a request with this Idempotency-Key is still being processed; retry shortly');
    case 'not_current':
      throw badRequest('invalid submission', [{ path: 'questionnaireId', message: 'this questionnaire version is no longer current' }]);
    case 'key_exists': {
      const stored = await findIdempotencyKey(deps.db, principal.userId, opts.idempotencyKey!);
      if (!stored) throw new AppError(500, 'internal', 'idempotency key vanished');
      if (stored.fingerprint !== attempt.row.idempotency!.fingerprint) {
        throw unprocessable('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
      }
      return { status: stored.responseStatus, replayed: true, body: stored.responseBody as SubmissionReply };
    }
  }

  // After commit (rule 1). A failure here loses nothing: the sweep re-enqueues pending referrals.
  if (attempt.reply.referrals.length) {
    await deps.jobs.enqueueSafely(
      'forward-referral',
      attempt.reply.referrals.map((r) => ({ referralId: r.id, requestId: opts.requestId })),
    );
  }
  return { status: 201, replayed: false, body: attempt.reply };
}

/** A submission with each referral's current status: its submitter, or the hub. */
export async function getSubmission(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  const s = await findSubmission(deps.db, id);
  if (!s || (s.submittedBy !== principal.userId && !isHub(principal))) throw notFound('submission');
  const referrals = await findReferralsOfSubmission(deps.db, id);
  if (isHub(principal) && s.submittedBy !== principal.userId) {
    await recordAudit(deps.db, { principal, action: 'read', entity: 'submission', entityId: id, requestId, at: deps.clock.now() });
  }
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
