import { describe, expect, it } from 'vitest';
import { checkBodyShape, jsonShapeProblem, MAX_DEPTH, MAX_NODES } from './body-shape.js';

/** A value nested `depth` levels deep, built without recursion. */
function deep(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('jsonShapeProblem', () => {
  it('counts nesting outside strings only, escapes included', () => {
    const over = (json: string, max: number) => jsonShapeProblem(Buffer.from(json), max) === 'deep';
    expect(over('[[[[[[[[]]]]]]]]', 8)).toBe(false);
    expect(over('[[[[[[[[[]]]]]]]]]', 8)).toBe(true);
    expect(over(String.raw`{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}`, 8)).toBe(false);
    // an escaped quote does not end the string ...
    expect(over(String.raw`{"a":"\"[[[[[[[[[["}`, 1)).toBe(false);
    // ... an escaped backslash before a quote does
    expect(over(String.raw`{"a":"\\","b":[[1]]}`, 2)).toBe(true);
    expect(over(String.raw`{"a":"\\","b":[1]}`, 2)).toBe(false);
  });

  it('counts values by the commas outside strings', () => {
    expect(jsonShapeProblem(Buffer.from(`[${'1,'.repeat(MAX_NODES - 2)}1]`))).toBeUndefined();
    expect(jsonShapeProblem(Buffer.from(`[${'1,'.repeat(MAX_NODES)}1]`))).toBe('big');
    expect(jsonShapeProblem(Buffer.from(JSON.stringify({ a: ','.repeat(MAX_NODES * 2) })))).toBeUndefined();
  });
});

describe('checkBodyShape', () => {
  it('stops at the depth limit after visiting no more than that many values, however deep the body', () => {
    for (const depth of [MAX_DEPTH + 1, 100_000]) {
      const r = checkBodyShape(deep(depth));
      expect(r.tooDeep).toBe(true);
      expect(r.visited).toBeLessThanOrEqual(MAX_DEPTH + 1);
    }
    expect(checkBodyShape(deep(MAX_DEPTH - 1)).tooDeep).toBe(false);
  });

  it('stops at the size limit after visiting no more than that many values, however wide the body', () => {
    const wide = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i]));
    const r = checkBodyShape(wide);
    expect(r.tooBig).toBe(true);
    expect(r.visited).toBeLessThanOrEqual(MAX_NODES + 1);
  });

  it('names each field holding a NUL or a lone surrogate, in order, keys included', () => {
    const r = checkBodyShape({ person: { givenName: 'A\u0000', accessNeeds: 'x \ud800' }, answers: { ['q\udc00']: true }, ok: 'é 👍' });
    expect(r.problems).toEqual([
      { path: 'person.givenName', message: 'must not contain NUL characters' },
      { path: 'person.accessNeeds', message: 'must be valid Unicode text (it holds a lone surrogate)' },
      { path: 'answers.q\ufffd', message: 'a key must be valid Unicode text (it holds a lone surrogate)' },
    ]);
  });
});
