/**
 * An agency's change to its Task (a JSON Patch, or a whole Task put with If-Match), read as one
 * step of the referral's state machine: the new businessStatus (or, where it says one hub status,
 * the new Task.status), statusReason as the reason, output as the outcome code, a new note as
 * the note, the on-hold-until extension as the day. Any other element may not change (400 naming
 * it). The step itself is the referrals module's, so its rules, 409s and side effects hold.
 *
 * The JSON Patch is applied here rather than by a library: only `add`, `replace`, `remove` and
 * `test` on the few elements above are allowed, and a general applier would first let a patch
 * reach anywhere, then need the same check.
 */
import { badRequest, type ErrorDetail } from '../../kernel/errors.js';
import { REFERRAL_STATUSES, type ReferralStatus } from '../../kernel/referral-state.js';
import type { TransitionInput } from '../referrals/index.js';
import { HUB_STATUS_OF_TASK_STATUS, ON_HOLD_UNTIL_EXTENSION, OUTCOME_SYSTEM, REFERRAL_STATUS_SYSTEM } from './fhir-codes.js';

type Json = Record<string, unknown>;
const CHANGEABLE = new Set(['status', 'businessStatus', 'statusReason', 'output', 'note', 'extension']);
/** Elements the server keeps itself: a PUT may send them as they are, or leave them out. */
const SERVER_KEPT = new Set(['meta', 'lastModified']);

const unescape = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');

function applyOne(doc: Json, op: Json, i: number): void {
  const path = typeof op.path === 'string' ? op.path : undefined;
  const bad = (message: string) => badRequest('invalid JSON Patch', [{ path: `${i}`, message }]);
  if (!['add', 'replace', 'remove', 'test'].includes(String(op.op))) throw bad('op must be add, replace, remove or test');
  if (!path || !path.startsWith('/')) throw bad('path must be a JSON Pointer');
  const parts = path.slice(1).split('/').map(unescape);
  // an own-property walk only: a pointer through __proto__ must never reach Object.prototype
  if (parts.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) throw bad(`${path} is not an element of a Task`);
  if (!CHANGEABLE.has(parts[0]!)) throw badRequest('this element cannot be changed', [{ path: `${i}.path`, message: `only ${[...CHANGEABLE].join(', ')} may be changed` }]);
  let parent: unknown = doc;
  for (const [k, key] of parts.slice(0, -1).entries()) {
    const next = Array.isArray(parent) ? parent[Number(key)] : (parent as Json | undefined)?.[key];
    if (next === undefined && op.op === 'add' && !Array.isArray(parent)) {
      // a missing container is made: an array where the pointer goes on with an index
      (parent as Json)[key] = /^(\d+|-)$/.test(parts[k + 1]!) ? [] : {};
      parent = (parent as Json)[key];
      continue;
    }
    if (typeof next !== 'object' || next === null) throw bad(`${path} does not exist`);
    parent = next;
  }
  const last = parts[parts.length - 1]!;
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw bad(`${path} is not an index of the array`);
    if (op.op === 'add') parent.splice(index, 0, op.value);
    else if (index >= parent.length) throw bad(`${path} does not exist`);
    else if (op.op === 'replace') parent[index] = op.value;
    else if (op.op === 'remove') parent.splice(index, 1);
    else if (JSON.stringify(parent[index]) !== JSON.stringify(op.value)) throw badRequest('a test operation failed', [{ path: `${i}`, message: `${path} is not the value tested` }]);
    return;
  }
  const target = parent as Json;
  if (op.op === 'test') {
    if (JSON.stringify(target[last]) !== JSON.stringify(op.value)) throw badRequest('a test operation failed', [{ path: `${i}`, message: `${path} is not the value tested` }]);
  } else if (op.op === 'remove') {
    if (!(last in target)) throw bad(`${path} does not exist`);
    delete target[last];
  } else {
    if (op.op === 'replace' && !(last in target)) throw bad(`${path} does not exist`);
    if (!('value' in op)) throw bad('value is required');
    target[last] = op.value;
  }
}

/** The Task after the patch (a copy): only the changeable elements can differ. */
export function applyTaskPatch(task: unknown, patch: unknown): Json {
  if (!Array.isArray(patch) || patch.length === 0 || patch.length > 20) throw badRequest('invalid JSON Patch', [{ path: '(body)', message: 'must be an array of 1 to 20 operations' }]);
  const doc = structuredClone(task) as Json;
  patch.forEach((op, i) => {
    if (typeof op !== 'object' || op === null || Array.isArray(op)) throw badRequest('invalid JSON Patch', [{ path: `${i}`, message: 'must be an operation object' }]);
    applyOne(doc, op as Json, i);
  });
  return doc;
}

/** JSON with each object's keys in order: a client that sends the Task back need not keep our key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Json;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function codeIn(concept: unknown, system: string): string | undefined {
  const c = arr(obj(concept).coding).map(obj).find((x) => x.system === system);
  return typeof c?.code === 'string' ? c.code : undefined;
}

/** The step a changed Task asks for, or a 400 naming what cannot be read. */
export function stepFromTask(current: Json, next: Json): TransitionInput {
  const problems: ErrorDetail[] = [];
  for (const key of new Set([...Object.keys(current), ...Object.keys(next)])) {
    if (CHANGEABLE.has(key) || SERVER_KEPT.has(key)) continue;
    if (!same(current[key], next[key])) problems.push({ path: `Task.${key}`, message: `cannot be changed; only ${[...CHANGEABLE].join(', ')} may be` });
  }
  if (problems.length) throw badRequest('this element cannot be changed', problems);

  let to: string | undefined;
  const business = codeIn(next.businessStatus, REFERRAL_STATUS_SYSTEM);
  if (!same(current.businessStatus, next.businessStatus)) {
    if (!business || !(REFERRAL_STATUSES as readonly string[]).includes(business)) {
      throw badRequest('unknown businessStatus', [{ path: 'Task.businessStatus', message: `must have a coding of ${REFERRAL_STATUS_SYSTEM} with one of: ${REFERRAL_STATUSES.join(', ')}` }]);
    }
    to = business;
  } else if (!same(current.status, next.status)) {
    to = HUB_STATUS_OF_TASK_STATUS[String(next.status)];
    if (!to) {
      throw badRequest('this Task.status stands for several of the hub’s statuses', [
        { path: 'Task.status', message: `set businessStatus (${REFERRAL_STATUS_SYSTEM}) instead, or one of: ${Object.keys(HUB_STATUS_OF_TASK_STATUS).join(', ')}` },
      ]);
    }
  }
  if (!to) throw badRequest('nothing to do', [{ path: 'Task.businessStatus', message: 'change businessStatus or status to move the referral' }]);

  const reason = obj(next.statusReason).text;
  const outcome = codeIn(obj(arr(next.output)[0]).valueCodeableConcept, OUTCOME_SYSTEM);
  const before = arr(current.note).length;
  const added = arr(next.note).slice(before).map((n) => obj(n).text).filter((t): t is string => typeof t === 'string');
  const onHold = obj(arr(next.extension).find((e) => obj(e).url === ON_HOLD_UNTIL_EXTENSION)).valueDate;
  if (arr(next.output).length && !outcome) problems.push({ path: 'Task.output[0].valueCodeableConcept', message: `must have a coding of ${OUTCOME_SYSTEM}` });
  if (problems.length) throw badRequest('invalid Task', problems);
  return {
    to: to as ReferralStatus,
    reason: !same(current.statusReason, next.statusReason) && typeof reason === 'string' ? reason : undefined,
    outcome: outcome && !same(current.output, next.output) ? outcome : undefined,
    note: added.length ? added.join('\n') : undefined,
    onHoldUntil: typeof onHold === 'string' ? onHold : undefined,
  };
}

/** The FHIR element each of the step's fields comes from, for the state machine's 400s. */
export const TASK_EXPRESSION: Record<string, string> = {
  to: 'Task.businessStatus',
  reason: 'Task.statusReason',
  outcome: 'Task.output',
  note: 'Task.note',
  onHoldUntil: `Task.extension('${ON_HOLD_UNTIL_EXTENSION}')`,
};
