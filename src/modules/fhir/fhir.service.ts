/**
 * What the FHIR routes ask of the hub, each through the module that owns it: the checklist
 * (questionnaires), a submission (intake's submitQuestionnaire, so the same validation, consent,
 * matching and idempotency), a referral's read and step (referrals, whose access rule and audit
 * apply), the person (referrals' getPersonForActor: audited), the outcome codes (directory).
 */
import { AppError, notFound } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { listOutcomes } from '../directory/index.js';
import { getSubmission, submissionBodySchema, submitQuestionnaire } from '../intake/index.js';
import { currentQuestionnaire, findCurrentQuestionnaireId } from '../questionnaires/index.js';
import { getPersonForActor, getReferralWithPersonId, transitionReferral, transitionSchema } from '../referrals/index.js';
import { fhirError } from './fhir-http.js';
import { toPatient } from './patient.mapping.js';
import { toQuestionnaire } from './questionnaire.mapping.js';
import { toQuestionnaireResponse } from './questionnaire-response.mapping.js';
import { submissionFromResponse } from './submission.mapping.js';
import { applyTaskPatch, stepFromTask } from './task-change.js';
import { etagOf, toChecklistTask, toServiceRequest, toTask, versionOf, type OutcomeCode } from './task.mapping.js';

export async function outcomeCodes(deps: ServiceDeps, principal: Principal): Promise<OutcomeCode[]> {
  return (await listOutcomes(deps, principal)).map((o) => ({ code: o.code, label: o.label, snomedCode: o.snomedCode ?? null, snomedTerm: o.snomedTerm ?? null }));
}

/** The checklist in use now, when `status` is left out or asks for active ones. */
export async function activeQuestionnaires(deps: ServiceDeps, status: string | undefined) {
  if (status !== undefined && !status.split(',').includes('active')) return [];
  const q = await currentQuestionnaire(deps);
  return q ? [toQuestionnaire(q)] : [];
}

/** A published (or retired) version: drafts are the hub's work in progress, not served here. */
export async function readQuestionnaire(deps: ServiceDeps, id: string) {
  // the version's content is cached for the process's life (it never changes); whether it is
  // still the current one is read fresh, or a retired version would still say active
  const [q, currentId] = await Promise.all([deps.questionnaires.get(id), findCurrentQuestionnaireId(deps.db)]);
  if (!q) throw notFound('Questionnaire');
  return toQuestionnaire({ ...q, isCurrent: q.id === currentId });
}

export async function createFromResponse(
  deps: ServiceDeps,
  principal: Principal,
  input: unknown,
  opts: { idempotencyKey?: string | undefined; requestId?: string | undefined; onExpression: (map: (path: string) => string) => void },
) {
  const mapped = submissionFromResponse(input);
  opts.onExpression(mapped.expressionOf);
  const body = submissionBodySchema.parse(mapped.body);
  const result = await submitQuestionnaire(deps, principal, body, { idempotencyKey: opts.idempotencyKey, rawBody: input, requestId: opts.requestId });
  const reply = result.body;
  // what was stored, said by the one mapping the read uses (not the request echoed back)
  const resource = toQuestionnaireResponse(
    { id: reply.id, reference: reply.reference, receivedAt: reply.receivedAt, questionnaireId: body.questionnaireId, person: body.person, consent: body.consent, answers: body.answers },
    await deps.questionnaires.get(body.questionnaireId),
    isHub(principal),
  );
  return { replayed: result.replayed, id: reply.id, resource };
}

/**
 * A checklist as its QuestionnaireResponse, for its submitter and the hub (the intake's own
 * read: the same rule as GET /api/v1/submissions/{id}, and audited as it is). An agency never
 * reads one, and anyone else gets 404, not 403, so that ids cannot be probed.
 */
export async function readQuestionnaireResponse(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  if (principal.role === 'agency') throw notFound('QuestionnaireResponse');
  const s = await getSubmission(deps, principal, id, requestId).catch((err: unknown) => {
    if (err instanceof AppError && err.status === 404) throw notFound('QuestionnaireResponse');
    throw err;
  });
  return toQuestionnaireResponse(s, await deps.questionnaires.get(s.questionnaireId), isHub(principal));
}

/** A Task by id: a referral's (its agency, the hub), or else a checklist's own (its submitter, the hub). */
export async function readTask(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  try {
    const r = await getReferralWithPersonId(deps, principal, id, requestId);
    const task = toTask(r, await outcomeCodes(deps, principal));
    return { resource: task, etag: etagOf(task.meta.versionId) };
  } catch (err) {
    if (!(err instanceof AppError && err.status === 404)) throw err;
  }
  const s = await getSubmission(deps, principal, id, requestId).catch((err: unknown) => {
    if (err instanceof AppError && err.status === 404) throw notFound('Task');
    throw err;
  });
  const task = toChecklistTask(s);
  return { resource: task, etag: etagOf(task.meta.versionId) };
}

export async function readServiceRequest(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  const r = await getReferralWithPersonId(deps, principal, id, requestId);
  return { resource: toServiceRequest(r), etag: etagOf(versionOf(r)) };
}

export async function readPatient(deps: ServiceDeps, principal: Principal, id: string, requestId?: string) {
  const p = await getPersonForActor(deps, principal, id, requestId);
  if (p.personErased) throw notFound('Patient');
  return toPatient(p);
}

/**
 * An agency's (or the hub's) change to a referral's Task: a JSON Patch, or a whole Task (PUT),
 * as one step of the state machine. `ifMatch`, when given, must name the current version (412);
 * a PUT must give it.
 */
export async function changeTask(
  deps: ServiceDeps,
  principal: Principal,
  id: string,
  change: { patch: unknown } | { task: unknown },
  ifMatch: string | undefined,
  requestId?: string,
) {
  const r = await getReferralWithPersonId(deps, principal, id, requestId).catch((err: unknown) => {
    if (err instanceof AppError && err.status === 404) throw notFound('Task');
    throw err;
  });
  const outcomes = await outcomeCodes(deps, principal);
  const current = toTask(r, outcomes);
  if ('task' in change && ifMatch === undefined) throw fhirError(412, 'precondition_failed', 'a PUT must send If-Match with the Task’s current ETag');
  if (ifMatch !== undefined && ifMatch.replace(/^W\//, '') !== etagOf(current.meta.versionId).replace(/^W\//, '')) {
    throw fhirError(412, 'precondition_failed', `the Task has changed: its version is now ${current.meta.versionId}; read it again`);
  }
  let next: Record<string, unknown>;
  if ('patch' in change) next = applyTaskPatch(current, change.patch);
  else {
    const t = change.task as Record<string, unknown> | null;
    if (!t || t.resourceType !== 'Task') throw fhirError(400, 'invalid_request', 'the body must be a Task', [{ path: 'Task.resourceType', message: 'must be Task' }]);
    if (t.id !== id) throw fhirError(400, 'invalid_request', 'the Task’s id must be the one in the URL', [{ path: 'Task.id', message: `must be ${id}` }]);
    next = t;
  }
  const step = transitionSchema.parse(stepFromTask(current as unknown as Record<string, unknown>, next));
  // the version the If-Match named is held to under the step's own read, not only here
  await transitionReferral(deps, { principal, requestId }, id, step, ifMatch !== undefined ? { status: r.status, updatedAt: r.updatedAt } : undefined);
  return readTask(deps, principal, id, requestId);
}
