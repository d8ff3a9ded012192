/**
 * The shape of a parsed body (JSON or a form), checked once, iteratively, before any route sees
 * it. A request must not be able to hold the event loop, or blow the stack, because of how its
 * body is built:
 *  - nesting deeper than MAX_DEPTH is refused (400): no Signpost body nests beyond 4 levels,
 *    and a deep body would cost every later walk over it (validation, fingerprinting, logging);
 *  - more than MAX_NODES values in all is refused (400): bounds the walk itself;
 *  - text Postgres cannot hold (U+0000) or that is not well-formed UTF-16 (a lone surrogate,
 *    which jsonb refuses) is refused (400) naming the field, instead of failing in the database.
 * The walk uses an explicit stack and stops at the first limit it meets, so its cost is bounded
 * by MAX_NODES whatever the body. Paths are built only for the (few) fields it reports.
 */
import type { RequestHandler } from 'express';
import { AppError, type ErrorDetail } from '../errors.js';

export const MAX_DEPTH = 8;
export const MAX_NODES = 10_000;
const MAX_REPORTED = 20;

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | undefined;
}

function pathOf(frame: Frame, key?: string): string {
  const parts: string[] = key === undefined ? [] : [key];
  for (let f: Frame | undefined = frame; f && f.key !== undefined; f = f.parent) parts.push(f.key);
  return parts.reverse().join('.') || '(body)';
}

/** What is wrong with a string as stored text, or undefined. */
function textProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (!s.isWellFormed()) return 'must be valid Unicode text (it holds a lone surrogate)';
  return undefined;
}

const printableKey = (k: string) => k.replaceAll('\u0000', '\\u0000').replace(/[\ud800-\udfff]/g, '\ufffd');

export function checkBodyShape(body: unknown): { tooDeep: boolean; tooBig: boolean; problems: ErrorDetail[]; visited: number } {
  const problems: ErrorDetail[] = [];
  const stack: Frame[] = [{ value: body, depth: 0, parent: undefined, key: undefined }];
  let nodes = 0;
  while (stack.length) {
    const frame = stack.pop()!;
    if (++nodes > MAX_NODES) return { tooDeep: false, tooBig: true, problems, visited: nodes };
    const v = frame.value;
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p && problems.length < MAX_REPORTED) problems.push({ path: pathOf(frame), message: p });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (frame.depth >= MAX_DEPTH) return { tooDeep: true, tooBig: false, problems, visited: nodes };
    const keys = Object.keys(v);
    // pushed last to first, so that fields are visited (and reported) in their order
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({ value: (v as Record<string, unknown>)[key], depth: frame.depth + 1, parent: frame, key: printableKey(key) });
    }
    for (const key of keys) {
      const p = textProblem(key);
      if (p && problems.length < MAX_REPORTED) problems.push({ path: pathOf(frame, printableKey(key)), message: `a key ${p}` });
    }
  }
  return { tooDeep: false, tooBig: false, problems, visited: nodes };
}

/** Mount right after the body parser (JSON or urlencoded). */
export const checkRequestBody: RequestHandler = (req, _res, next) => {
  if (req.body === undefined || req.body === null || typeof req.body !== 'object') return next();
  const { tooDeep, tooBig, problems } = checkBodyShape(req.body);
  if (tooDeep) throw new AppError(400, 'invalid_request', `the body nests deeper than ${MAX_DEPTH} levels`, [{ path: '(body)', message: `must not nest deeper than ${MAX_DEPTH} levels` }]);
  if (tooBig) throw new AppError(400, 'invalid_request', `the body holds more than ${MAX_NODES} values`, [{ path: '(body)', message: `must hold at most ${MAX_NODES} values` }]);
  if (problems.length) throw new AppError(400, 'invalid_request', 'the request is not valid', problems);
  next();
};
