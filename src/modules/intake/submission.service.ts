/**
 * Intake: a person's checklist becomes a submission and one referral per flagged agency,
 * durably and once. The rules are checked (modules/intake/submission-rules.ts), the answers routed
 * (modules/intake/routing.ts), the rows built (intake.ts), then stored in ONE statement (the intake
 * function, with the checklists that arrived meanwhile: intake-batcher.ts) and the forwards
 * enqueued after commit in one Redis call. Reads: submission-read.service.ts.
 */
import { closedAgencies } from '../../kernel/capacity.js';
import { heldDelayMs } from '../../kernel/promise.js';
import { agenciesConsulted, routeAnswers } from './routing.js';
import { checklistProblems, consentProblems } from './submission-rules.js';
import { AppError, badRequest, conflict, forbidden, unprocessable } from '../../kernel/errors.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Transaction } from 'kysely';
import { findIdempotencyKey, insertIntake, type IntakeChannel, type IntakeResult } from './submission.repository.js';
import { intakeBatcherFor } from './intake-batcher.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { withSpan } from '../../platform/tracing.js';
import { buildIntake, type IntakeInput, type SubmissionReply } from './intake.js';
import type { SubmissionBody } from './submission.schema.js';
import { readAgencyFacts } from '../../platform/deps.js';
import { capacitySeen, intakeCapacity } from './intake-capacity.js';

export type { SubmissionReply } from './intake.js';

export interface SubmitResult {
  /** 201 for a new submission; a replayed Idempotency-Key returns the stored status too */
  status: number;
  replayed: boolean;
  body: SubmissionReply;
}

/** How often a statement that lost a deadlock or a serialization conflict is tried, in all. */
const CONFLICT_ATTEMPTS = 4;

function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === '40P01' || code === '40001';
}

/** Runs `run` again (up to CONFLICT_ATTEMPTS in all) while it fails with a deadlock or a serialization failure; exported for its test. */
export async function retryOnConflict<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!isRetryableConflict(err) || attempt >= CONFLICT_ATTEMPTS) throw err;
      // a short, growing, jittered pause, so that the two sides do not meet again at once
      await new Promise((r) => setTimeout(r, attempt * 10 + Math.random() * 20));
    }
  }
}

function partition<T>(xs: T[], pred: (x: T) => boolean): [T[], T[]] {
  return [xs.filter(pred), xs.filter((x) => !pred(x))];
}

function isReferenceCollision(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && (e.constraint === 'submissions_reference_key' || e.constraint === 'referrals_reference_key');
}

/**
 * Stores one checklist (below), as the span 'intake submit' (docs/ops/tracing.md): its channel,
 * and once stored the submission's id, its referrals' count and whether the Idempotency-Key
 * replayed it; the forward jobs it enqueues continue its trace.
 */
export function submitQuestionnaire(...args: Parameters<typeof storeChecklist>): Promise<SubmitResult> {
  return withSpan('intake submit', { attributes: { 'signpost.intake.channel': args[3].via?.channel ?? 'api' } }, async (span) => {
    const result = await storeChecklist(...args);
    span.setAttributes({ 'signpost.submission.id': result.body.id, 'signpost.submission.referrals': result.body.referrals.length, 'signpost.intake.replayed': result.replayed });
    return result;
  });
}

async function storeChecklist(
  deps: ServiceDeps,
  principal: Principal,
  body: SubmissionBody,
  opts: {
    idempotencyKey?: string | undefined;
    rawBody: unknown;
    requestId?: string | undefined;
    /** how it came in (channel.service.ts checks who may say what); the API's own path leaves it out */
    via?: IntakeChannel | undefined;
    /** when the hub received it, if earlier than now (paper, phone, a released self-referral): the clocks run from it */
    receivedAt?: Date | undefined;
    /** writes that must commit with the intake (a self-referral's release): a guard before it, a record after it */
    within?: { before(trx: Transaction<Database>): Promise<void>; after(trx: Transaction<Database>, reply: SubmissionReply): Promise<void> } | undefined;
  },
): Promise<SubmitResult> {
  if (principal.role !== 'link_worker' && !isHub(principal)) throw forbidden('only link workers and coordinators submit checklists');
  const noConsent = consentProblems(body.consent);
  if (noConsent.length) {
    throw unprocessable('consent_required', 'the person (or their representative) must consent and agree to sharing; nothing was stored', noConsent);
  }
  const questionnaire = await deps.questionnaires.get(body.questionnaireId);
  if (!questionnaire) throw badRequest('invalid submission', [{ path: 'questionnaireId', message: 'no published questionnaire has this id' }]);
  const questions = questionnaire.sections.flatMap((s) => s.questions);
  const now = deps.clock.now();
  const problems = checklistProblems(body, questions, now);
  if (problems.length) throw badRequest('invalid submission', problems);

  const agencyNames = new Map(questions.flatMap((q) => [[q.agencyId, q.agencyName] as const, ...(q.fallbackAgencyId ? [[q.fallbackAgencyId, q.fallbackAgencyName ?? ''] as const] : [])]));
  const consulted = agenciesConsulted(questions, body.answers);
  // Routing reads capacity from the process's cache; the intake function refuses a stale read
  // ('capacity_changed') and the checklist is routed again from a fresh one.
  const calendar = await deps.holidays.get();
  const build = async (freshCapacity: boolean) => {
    const { capacity: caps, clocks } = await readAgencyFacts(deps, now, freshCapacity);
    const closed = closedAgencies(caps);
    const routed = routeAnswers(questions, body.answers, closed);
    const input: IntakeInput = {
      principal,
      body,
      questionnaireId: questionnaire.id,
      routed,
      agencyNames,
      // a checklist the hub received earlier (paper, phone, a self-referral released from triage)
      receivedAt: opts.receivedAt ?? now,
      routedAt: now,
      calendar,
      clocks,
      closed,
      idempotencyKey: opts.idempotencyKey,
      rawBody: opts.rawBody,
    };
    const intake = buildIntake(deps, input);
    const { waits, routing } = intakeCapacity(routed, intake.reply.referrals.map((r) => r.id), caps, (id) => agencyNames.get(id) ?? '');
    intake.reply.referrals.forEach((r, i) => (r.capacity = waits[i]));
    intake.row.capacitySeen = capacitySeen(caps, clocks, consulted);
    intake.row.routing = routing;
    return intake;
  };
  let intake = await build(false);
  const store = async (db: Executor): Promise<IntakeResult> => {
    let r: IntakeResult = { outcome: 'capacity_changed' };
    let redrawn = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // inside a caller's transaction: alone; otherwise with the checklists arriving meanwhile
        r = db.isTransaction ? await insertIntake(db, intake.row, opts.via) : await intakeBatcherFor(db).store(intake.row, opts.via);
      } catch (err) {
        // a 40-bit reference collided: draw new ones once (outside a transaction, which the
        // failed statement would have aborted: there the caller sees an error and tries again)
        if (!isReferenceCollision(err) || redrawn || db.isTransaction) throw err;
        redrawn = true;
        intake = await build(false);
        continue;
      }
      if (r.outcome !== 'capacity_changed') break;
      intake = await build(true);
    }
    return r;
  };
  const within = opts.within;
  // A deadlock or a serialization failure is Postgres choosing this statement (or transaction)
  // to give way: it rolled back whole, so it is tried again, a few times, never a 500.
  const result: IntakeResult = await retryOnConflict(() =>
    within
      ? deps.db.transaction().execute(async (trx) => {
          await within.before(trx);
          const r = await store(trx);
          if (r.outcome === 'inserted') await within.after(trx, r.reply as SubmissionReply);
          return r;
        })
      : store(deps.db),
  );

  switch (result.outcome) {
    case 'in_flight':
      throw conflict('request_in_flight', 'a request with this Idempotency-Key is still being processed; retry shortly');
    case 'retry': // the batcher stores such a checklist again on its own: it never ends here
      throw new AppError(503, 'try_again', 'the checklist could not be stored just now and nothing was stored; send it again');
    case 'capacity_changed':
      throw new AppError(503, 'capacity_changing', 'agencies are changing what they can take; try again in a moment');
    case 'not_current':
      throw badRequest('invalid submission', [{ path: 'questionnaireId', message: 'this questionnaire version is no longer current' }]);
    case 'key_exists': {
      const stored = await findIdempotencyKey(deps.db, principal.userId, opts.idempotencyKey!);
      if (!stored) throw new AppError(500, 'internal', 'idempotency key vanished');
      if (stored.fingerprint !== intake.row.idempotency!.fingerprint) {
        throw unprocessable('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
      }
      return { status: stored.responseStatus, replayed: true, body: stored.responseBody as SubmissionReply };
    }
    case 'inserted':
      break;
  }
  // the reply as the function completed it: the person, and "yes" answers that joined a live referral
  const reply = result.reply as SubmissionReply;

  // After commit (rule 1), and not waited for: the reply says what Postgres holds, and the
  // forwards follow from it whatever Redis does (the reconciliation sweep re-enqueues a pending
  // referral whose job was lost; enqueueSafely never throws). Waiting for Redis put its round
  // trip, and any pause of the event loop before it, into every checklist's answer time.
  enqueueForwards(deps, reply, now, opts.requestId).catch((err: unknown) =>
    // never an unhandled rejection (the process would stop): a referral left pending is the sweep's
    deps.logger.warn({ err: (err as Error).message, submissionId: reply.id }, 'forward enqueue failed; the reconciliation sweep will pick it up'),
  );
  return { status: 201, replayed: false, body: reply };
}

async function enqueueForwards(deps: ServiceDeps, reply: SubmissionReply, now: Date, requestId: string | undefined): Promise<void> {
  const [held, toSend] = partition(reply.referrals, (r) => r.heldUntil !== null);
  const sends: Promise<boolean>[] = [];
  // one job for the referrals of every checklist that finishes in this turn (the producer merges them)
  if (toSend.length) sends.push(deps.jobs.enqueueSafely('forward-batch', { referralIds: toSend.map((r) => r.id), requestId }));
  // one held for a closed agency is sent on the day it reopens (the sweep times it again if lost)
  for (const r of held) sends.push(deps.jobs.enqueueSafely('forward-referral', { referralId: r.id, requestId }, { delayMs: heldDelayMs(r.heldUntil!, now) }));
  await Promise.all(sends);
}
