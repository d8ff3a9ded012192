/**
 * The shape of a body, checked before any route sees it. A request must not be able to hold
 * the event loop, or blow the stack, because of how its body is built:
 *  - JSON nesting deeper than MAX_DEPTH, or with more than MAX_NODES values, is refused (400) by
 *    a linear scan of the raw bytes BEFORE they are parsed (jsonShapeProblem, the JSON parser's
 *    `verify` hook): JSON.parse itself takes tens of milliseconds over 50,000 levels, and
 *    milliseconds over thousands of keys. No Signpost body nests beyond 5 levels;
 *  - a parsed body (JSON or form) of more than MAX_NODES values in all is refused (400);
 *  - text Postgres cannot hold (U+0000) or that is not well-formed UTF-16 (a lone surrogate,
 *    which jsonb refuses) is refused (400) naming the field, instead of failing in the database.
 * The walk over a parsed body uses an explicit stack, checks the budget before it expands a
 * container, and builds paths only for the (few) fields it reports, so its cost is bounded by
 * MAX_NODES whatever the body.
 */
import type { RequestHandler } from 'express';
import { AppError, type ErrorDetail } from '../../kernel/errors.js';

export const MAX_DEPTH = 8;
/** A checklist is about 40 values, a 100-question checklist draft about 500; forms allow 500 fields. */
export const MAX_NODES = 2_000;
const MAX_REPORTED = 20;

const tooDeepError = () =>
  new AppError(400, 'invalid_request', `the body nests deeper than ${MAX_DEPTH} levels`, [{ path: '(body)', message: `must not nest deeper than ${MAX_DEPTH} levels` }]);
const tooBigError = () => new AppError(400, 'invalid_request', `the body holds more than ${MAX_NODES} values`, [{ path: '(body)', message: `must hold at most ${MAX_NODES} values` }]);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]); // [ {
const CLOSE = new Set([0x5d, 0x7d]); // ] }

const COMMA = 0x2c;

/**
 * What is wrong with the shape of JSON text, from one pass over its bytes (outside strings):
 * 'deep' when arrays and objects nest deeper than `maxDepth`, 'big' when it separates more than
 * `maxValues` values; undefined otherwise (the text may still not be valid JSON).
 */
export function jsonShapeProblem(buf: Uint8Array, maxDepth: number = MAX_DEPTH, maxValues: number = MAX_NODES): 'deep' | 'big' | undefined {
  let depth = 0;
  let commas = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === COMMA) {
      if (++commas >= maxValues) return 'big';
    } else if (OPEN.has(c)) {
      if (++depth > maxDepth) return 'deep';
    } else if (CLOSE.has(c)) depth--;
  }
  return undefined;
}

/** For express.json({ verify }): refuses too-deep or too-big JSON before it is parsed. */
export function refuseMisshapenJson(_req: unknown, _res: unknown, buf: Buffer): void {
  const problem = jsonShapeProblem(buf);
  if (problem === 'deep') throw tooDeepError();
  if (problem === 'big') throw tooBigError();
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | undefined;
}

const printableKey = (k: string) => k.replaceAll('\u0000', '\\u0000').replace(/[\ud800-\udfff]/g, '\ufffd');

function pathOf(frame: Frame, key?: string): string {
  const parts: string[] = key === undefined ? [] : [printableKey(key)];
  for (let f: Frame | undefined = frame; f && f.key !== undefined; f = f.parent) parts.push(printableKey(f.key));
  return parts.reverse().join('.') || '(body)';
}

/** What is wrong with a string as stored text, or undefined. */
function textProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (!s.isWellFormed()) return 'must be valid Unicode text (it holds a lone surrogate)';
  return undefined;
}

export interface BodyShape {
  tooDeep: boolean;
  tooBig: boolean;
  problems: ErrorDetail[];
  /** values looked at: at most MAX_NODES + 1 */
  visited: number;
}

export function checkBodyShape(body: unknown): BodyShape {
  const problems: ErrorDetail[] = [];
  const report = (p: ErrorDetail) => {
    if (problems.length < MAX_REPORTED) problems.push(p);
  };
  const stack: Frame[] = [{ value: body, depth: 0, parent: undefined, key: undefined }];
  let visited = 0;
  let seen = 1; // values visited or waiting on the stack
  while (stack.length) {
    const frame = stack.pop()!;
    visited++;
    const v = frame.value;
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p) report({ path: pathOf(frame), message: p });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (frame.depth >= MAX_DEPTH) return { tooDeep: true, tooBig: false, problems, visited };
    const isArray = Array.isArray(v);
    const size = isArray ? v.length : Object.keys(v).length;
    if (seen + size > MAX_NODES) return { tooDeep: false, tooBig: true, problems, visited };
    seen += size;
    if (isArray) {
      // pushed last to first, so that items are visited (and reported) in order
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: frame.depth + 1, parent: frame, key: String(i) });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (v as Record<string, unknown>)[keys[i]!], depth: frame.depth + 1, parent: frame, key: keys[i]! });
    for (const key of keys) {
      const p = textProblem(key);
      if (p) report({ path: pathOf(frame, key), message: `a key ${p}` });
    }
  }
  return { tooDeep: false, tooBig: false, problems, visited };
}

/** Mount right after the body parser (JSON or urlencoded). */
export const checkRequestBody: RequestHandler = (req, _res, next) => {
  if (req.body === undefined || req.body === null || typeof req.body !== 'object') return next();
  const { tooDeep, tooBig, problems } = checkBodyShape(req.body);
  if (tooDeep) throw tooDeepError();
  if (tooBig) throw tooBigError();
  if (problems.length) throw new AppError(400, 'invalid_request', 'the request is not valid', problems);
  next();
};
