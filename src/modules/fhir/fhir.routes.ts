/**
 * The FHIR R4 API at /fhir (docs/fhir.md): application/fhir+json, the same bearer tokens and
 * access rules as /api/v1, every error an OperationOutcome. The capability statement is public;
 * everything else is authenticated from the header before the body is read.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { badRequest, notFound } from '../../kernel/errors.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { HUB, principalOf, requestIdOf, requireRole } from '../../platform/http/guards.js';
import { TokenVerifier, authenticate } from '../accounts/index.js';
import { capabilityStatement } from './capability.js';
import { fhirErrorHandler, fhirHeaders, fhirNotFound, methodNotAllowed, negotiate, parseBody, requireBodyType, sendResource, type ExpressionOf } from './fhir-http.js';
import { activeQuestionnaires, changeTask, createFromResponse, outcomeCodes, readPatient, readQuestionnaire, readQuestionnaireResponse, readServiceRequest, readTask } from './fhir.service.js';
import { TASK_EXPRESSION } from './task-change.js';
import { parseTaskQuery, searchTasks } from './task-search.js';

const VERSION = '0.1.0';
// Idempotency-Key (as /api/v1/submissions) or If-None-Exist: up to 255 visible characters
const keySchema = z.string().regex(/^[\x20-\x7e]{1,255}$/);

/** A FHIR id of ours is a UUID; anything else names nothing (404, as FHIR reads do). */
function idOf(req: Request, type: string): string {
  const id = z.uuid().safeParse(req.params.id);
  if (!id.success) throw notFound(type);
  return id.data.toLowerCase();
}

const taskExpression: ExpressionOf = (path) => TASK_EXPRESSION[path] ?? path;

export function fhirRouter(deps: ServiceDeps): Router {
  const r = Router();
  const base = `${deps.env.PUBLIC_URL.replace(/\/$/, '')}/fhir`;
  const started = deps.clock.now().toISOString();
  r.use(fhirHeaders);
  r.use(negotiate);

  r.get('/metadata', (_req, res) => sendResource(res, 200, capabilityStatement(deps.env.PUBLIC_URL, { version: VERSION }, started)));
  r.all('/metadata', methodNotAllowed('GET'));

  r.use(authenticate(new TokenVerifier(deps.db, deps.clock, deps.env.AUTH_CACHE_TTL_MS)));
  r.use(requireBodyType);
  r.use(parseBody);

  r.get('/Questionnaire', async (req, res) => {
    const status = typeof req.query.status === 'string' ? req.query.status : undefined;
    const found = await activeQuestionnaires(deps, status);
    const self = `${base}/Questionnaire${status ? `?status=${encodeURIComponent(status)}` : ''}`;
    sendResource(res, 200, {
      resourceType: 'Bundle',
      type: 'searchset',
      total: found.length,
      link: [{ relation: 'self', url: self }],
      entry: found.map((q) => ({ fullUrl: `${base}/Questionnaire/${q.id}`, resource: q, search: { mode: 'match' } })),
    });
  });
  r.all('/Questionnaire', methodNotAllowed('GET'));
  r.get('/Questionnaire/:id', async (req, res) => {
    const q = await readQuestionnaire(deps, idOf(req, 'Questionnaire'));
    res.set('ETag', `W/"${q.meta.versionId}"`);
    sendResource(res, 200, q);
  });
  r.all('/Questionnaire/:id', methodNotAllowed('GET'));

  r.post('/QuestionnaireResponse', requireRole('link_worker', ...HUB), async (req, res) => {
    const idempotency = req.get('idempotency-key');
    const ifNoneExist = req.get('if-none-exist');
    for (const [name, value] of [['Idempotency-Key', idempotency], ['If-None-Exist', ifNoneExist]] as const) {
      if (value !== undefined && !keySchema.safeParse(value).success) throw badRequest(`invalid ${name}`, [{ path: name, message: 'must be 1 to 255 visible ASCII characters' }]);
    }
    const key = idempotency ?? (ifNoneExist !== undefined ? `If-None-Exist ${ifNoneExist}` : undefined);
    const out = await createFromResponse(deps, principalOf(res), req.body, {
      idempotencyKey: key,
      requestId: requestIdOf(req),
      onExpression: (map) => (res.locals.fhirExpression = map),
    });
    res.set({ Location: `${base}/QuestionnaireResponse/${out.id}/_history/1`, ETag: 'W/"1"' });
    if (out.replayed) res.set('Idempotent-Replayed', 'true');
    // a conditional create that matched answers 200 (FHIR); a replayed Idempotency-Key, as the JSON API, 201
    sendResource(res, out.replayed && idempotency === undefined ? 200 : 201, out.resource);
  });
  r.all('/QuestionnaireResponse', methodNotAllowed('POST'));
  // read, and vread of its one version (the create's Location names it): a checklist never changes
  const sendResponse = async (req: Request, res: Response) => {
    const qr = await readQuestionnaireResponse(deps, principalOf(res), idOf(req, 'QuestionnaireResponse'), requestIdOf(req));
    res.set('ETag', `W/"${qr.meta.versionId}"`);
    sendResource(res, 200, qr);
  };
  r.get('/QuestionnaireResponse/:id', sendResponse);
  r.all('/QuestionnaireResponse/:id', methodNotAllowed('GET'));
  r.get('/QuestionnaireResponse/:id/_history/:vid', async (req, res) => {
    if (req.params.vid !== '1') throw notFound('QuestionnaireResponse version');
    await sendResponse(req, res);
  });
  r.all('/QuestionnaireResponse/:id/_history/:vid', methodNotAllowed('GET'));

  r.get('/Task', requireRole('agency', ...HUB), async (req, res) => {
    const query = parseTaskQuery(req.query as Record<string, unknown>);
    const principal = principalOf(res);
    sendResource(res, 200, await searchTasks(deps, principal, query, await outcomeCodes(deps, principal), base, requestIdOf(req)));
  });
  r.all('/Task', methodNotAllowed('GET'));
  r.get('/Task/:id', async (req, res) => {
    const t = await readTask(deps, principalOf(res), idOf(req, 'Task'), requestIdOf(req));
    res.set('ETag', t.etag);
    sendResource(res, 200, t.resource);
  });
  const mayChange = requireRole('agency', ...HUB);
  r.patch('/Task/:id', mayChange, async (req, res) => {
    res.locals.fhirExpression = taskExpression;
    const t = await changeTask(deps, principalOf(res), idOf(req, 'Task'), { patch: req.body }, req.get('if-match'), requestIdOf(req));
    res.set('ETag', t.etag);
    sendResource(res, 200, t.resource);
  });
  r.put('/Task/:id', mayChange, async (req, res) => {
    res.locals.fhirExpression = taskExpression;
    const t = await changeTask(deps, principalOf(res), idOf(req, 'Task'), { task: req.body }, req.get('if-match'), requestIdOf(req));
    res.set('ETag', t.etag);
    sendResource(res, 200, t.resource);
  });
  r.all('/Task/:id', methodNotAllowed('GET, PUT, PATCH'));

  r.get('/ServiceRequest/:id', async (req, res) => {
    const s = await readServiceRequest(deps, principalOf(res), idOf(req, 'ServiceRequest'), requestIdOf(req));
    res.set('ETag', s.etag);
    sendResource(res, 200, s.resource);
  });
  r.all('/ServiceRequest/:id', methodNotAllowed('GET'));
  r.get('/Patient/:id', requireRole('agency', ...HUB), async (req, res) => {
    sendResource(res, 200, await readPatient(deps, principalOf(res), idOf(req, 'Patient'), requestIdOf(req)));
  });
  r.all('/Patient/:id', methodNotAllowed('GET'));

  r.use(fhirNotFound);
  r.use(fhirErrorHandler);
  return r;
}
