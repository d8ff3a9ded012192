/**
 * The HTTP edges of the FHIR API: what it speaks (application/fhir+json; 406 for an Accept it
 * cannot meet, 415 for a body it cannot read), the body parser with the JSON API's shape guards,
 * and every error as an OperationOutcome (401, 403, 404, 405, 409, 412, 400 with the field as a
 * FHIRPath expression, and the generic 500 that never shows a stack).
 */
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AppError, isServiceUnavailable, isUnstorableText } from '../../kernel/errors.js';
import { checkRequestBody, refuseMisshapenJson } from '../../platform/http/body-shape.js';

export const FHIR_JSON = 'application/fhir+json';
const JSON_PATCH = 'application/json-patch+json';

export interface Issue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: string;
  diagnostics?: string;
  expression?: string[];
}

export function operationOutcome(issues: Issue[]) {
  return { resourceType: 'OperationOutcome' as const, issue: issues };
}

/** An error the FHIR routes raise that is not one of the JSON API's (405, 406, 412, 415). */
export const fhirError = (status: number, code: string, message: string, details?: unknown) => new AppError(status, code, message, details);

/** How a field path of the JSON API's rules is said as a FHIRPath expression in this request. */
export type ExpressionOf = (path: string) => string;

export const fhirHeaders: RequestHandler = (_req, res, next) => {
  // personal data: never cached; and the body is what it says it is
  res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  next();
};

const ACCEPTABLE = [FHIR_JSON, 'application/json', 'application/*', '*/*'];

/** 406 when the client accepts none of the JSON forms (XML and RDF are not served). */
export const negotiate: RequestHandler = (req, _res, next) => {
  const format = typeof req.query._format === 'string' ? req.query._format : undefined;
  if (format !== undefined && !['json', FHIR_JSON, 'application/json'].includes(format)) {
    throw fhirError(406, 'not_acceptable', `only JSON is served (_format=json or ${FHIR_JSON})`);
  }
  const accept = req.get('accept');
  if (accept && !req.accepts(ACCEPTABLE)) throw fhirError(406, 'not_acceptable', `only ${FHIR_JSON} is served`);
  next();
};

/** 415 unless a write comes as FHIR JSON (or plain JSON), and a PATCH as a JSON Patch. */
export const requireBodyType: RequestHandler = (req, _res, next) => {
  if (!['POST', 'PUT', 'PATCH'].includes(req.method)) return next();
  const types = req.method === 'PATCH' ? [JSON_PATCH] : [FHIR_JSON, 'application/json'];
  if (!req.is(types)) throw fhirError(415, 'unsupported_media_type', `the body must be ${types.join(' or ')}`);
  next();
};

export const parseBody: RequestHandler[] = [express.json({ type: [FHIR_JSON, 'application/json', JSON_PATCH], limit: '100kb', verify: refuseMisshapenJson }), checkRequestBody];

/** A route that exists, asked with a method it does not take. */
export const methodNotAllowed =
  (allowed: string): RequestHandler =>
  (req, res) => {
    res.set('Allow', allowed);
    throw fhirError(405, 'method_not_allowed', `${req.method} is not supported here; use ${allowed}`);
  };

export const fhirNotFound: RequestHandler = (req) => {
  throw new AppError(404, 'not_found', `no FHIR interaction for ${req.method} ${req.path}`);
};

const ISSUE_CODE: Record<number, string> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  406: 'not-supported',
  409: 'conflict',
  412: 'conflict',
  413: 'too-costly',
  415: 'not-supported',
  422: 'business-rule',
  503: 'transient',
};

function detailIssues(details: unknown, code: string, expressionOf: ExpressionOf | undefined): Issue[] {
  if (!Array.isArray(details)) return [];
  return details
    .filter((d): d is { path?: string; message: string } => typeof d === 'object' && d !== null && typeof (d as { message?: unknown }).message === 'string')
    .map((d) => ({
      severity: 'error' as const,
      code,
      diagnostics: d.path ? `${d.path}: ${d.message}` : d.message,
      ...(d.path ? { expression: [expressionOf ? expressionOf(d.path) : d.path] } : {}),
    }));
}

/** The FHIR router's own error handler, mounted last on it: the JSON API's rules, said as OperationOutcomes. */
export const fhirErrorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (res.headersSent) {
    req.log?.error({ err }, 'error after response started');
    return;
  }
  const expressionOf = res.locals.fhirExpression as ExpressionOf | undefined;
  const send = (status: number, issues: Issue[]) => res.status(status).type(FHIR_JSON).send(JSON.stringify(operationOutcome(issues)));
  if (err instanceof ZodError) {
    const details = err.issues.map((i) => ({ path: i.path.map(String).join('.') || undefined, message: i.message }));
    send(400, [{ severity: 'error', code: 'invalid', diagnostics: 'the request is not valid' }, ...detailIssues(details, 'invalid', expressionOf)]);
    return;
  }
  if (err instanceof AppError) {
    if (err.status >= 500) req.log?.error({ err }, err.message);
    const code = ISSUE_CODE[err.status] ?? (err.status >= 500 ? 'exception' : 'processing');
    if (err.status === 401) res.set('WWW-Authenticate', 'Bearer');
    if (err.status === 503) res.set('Retry-After', '5');
    // a refused step says where the referral may go from here (the JSON API's details.allowed)
    const allowed = (err.details as { allowed?: unknown } | undefined)?.allowed;
    const next: Issue[] = err.status === 409 && Array.isArray(allowed) ? [{ severity: 'information', code: 'informational', diagnostics: `allowed next: ${allowed.join(', ') || 'none'}` }] : [];
    send(err.status, [{ severity: 'error', code, diagnostics: err.message }, ...detailIssues(err.details, code, expressionOf), ...next]);
    return;
  }
  const e = err as { type?: string; status?: number };
  if (e.type === 'entity.parse.failed') return void send(400, [{ severity: 'error', code: 'structure', diagnostics: 'the body is not valid JSON' }]);
  if (e.type === 'entity.too.large') return void send(413, [{ severity: 'error', code: 'too-costly', diagnostics: 'the body is too large' }]);
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return void send(e.status, [{ severity: 'error', code: 'invalid', diagnostics: 'the request could not be read' }]);
  if (isUnstorableText(err)) return void send(400, [{ severity: 'error', code: 'invalid', diagnostics: 'the request contains a character that cannot be stored' }]);
  if (isServiceUnavailable(err)) {
    req.log?.warn({ err }, 'a backing service is unavailable');
    res.set('Retry-After', '5');
    return void send(503, [{ severity: 'error', code: 'transient', diagnostics: 'the service is briefly unavailable; nothing was saved, please retry' }]);
  }
  req.log?.error({ err }, 'unhandled error');
  send(500, [{ severity: 'error', code: 'exception', diagnostics: `something went wrong; the request id helps us find it (${String(req.id ?? '')})` }]);
};

/** Sends a resource as FHIR JSON. */
export function sendResource(res: express.Response, status: number, resource: unknown): void {
  res.status(status).type(FHIR_JSON).send(JSON.stringify(resource));
}
