/**
 * Postgres text cannot hold U+0000: a JSON string with "\u0000" reaching an INSERT fails there
 * with a database error, i.e. a 500 for bad input. This refuses such a body up front with a 400
 * naming every field that holds one. Mount right after the JSON body parser.
 */
import type { RequestHandler } from 'express';
import { badRequest, type ErrorDetail } from '../../errors.js';

const MAX_REPORTED = 20;

function findNulBytes(value: unknown, path: string[], out: ErrorDetail[]): void {
  if (out.length >= MAX_REPORTED) return;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push({ path: path.join('.') || '(body)', message: 'must not contain NUL characters' });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    if (key.includes('\u0000')) out.push({ path: [...path, key.replaceAll('\u0000', '\\u0000')].join('.'), message: 'a key must not contain NUL characters' });
    findNulBytes(v, [...path, key], out);
  }
}

export const rejectNulBytes: RequestHandler = (req, _res, next) => {
  const problems: ErrorDetail[] = [];
  findNulBytes(req.body, [], problems);
  if (problems.length) throw badRequest('the request is not valid', problems);
  next();
};
