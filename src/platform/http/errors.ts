/**
 * The one error middleware, mounted last: zod errors become 400 with field paths, AppErrors
 * their own status and code, body-parser errors 400/413, anything else a logged, generic 500.
 * A stack never reaches a client.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AppError, isServiceUnavailable, isUnstorableText } from '../../kernel/errors.js';

export function zodDetails(err: ZodError, prefix = '') {
  return err.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: i.message,
  }));
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `no route for ${req.method} ${req.path}` }, requestId: req.id });
};

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const requestId = req.id;
  if (res.headersSent) {
    req.log?.error({ err }, 'error after response started');
    return;
  }
  if (err instanceof ZodError) {
    res.status(400).json({ error: { code: 'invalid_request', message: 'the request is not valid', details: zodDetails(err) }, requestId });
    return;
  }
  if (err instanceof AppError) {
    if (err.status >= 500) req.log?.error({ err }, err.message);
    res.status(err.status).json({
      error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) },
      requestId,
    });
    return;
  }
  const e = err as { type?: string; status?: number };
  if (e.type === 'entity.parse.failed') {
    res.status(400).json({ error: { code: 'invalid_json', message: 'the body is not valid JSON' }, requestId });
    return;
  }
  if (e.type === 'entity.too.large') {
    res.status(413).json({ error: { code: 'too_large', message: 'the body is too large' }, requestId });
    return;
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    res.status(e.status).json({ error: { code: 'bad_request', message: 'the request could not be read' }, requestId });
    return;
  }
  // a safety net behind the input checks: text Postgres cannot store (a NUL character, a lone
  // surrogate) is the caller's input, never our fault
  if (isUnstorableText(err)) {
    res.status(400).json({ error: { code: 'invalid_request', message: 'the request contains a character that cannot be stored' }, requestId });
    return;
  }
  if (isServiceUnavailable(err)) {
    req.log?.warn({ err }, 'a backing service is unavailable');
    res.status(503).set('Retry-After', '5').json({ error: { code: 'unavailable', message: 'the service is briefly unavailable; nothing was saved, please retry' }, requestId });
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  res.status(500).json({ error: { code: 'internal', message: 'something went wrong; the request id helps us find it' }, requestId });
};
