/**
 * GET /fhir/Task: the referrals' Tasks as a searchset Bundle, through the referrals module's own
 * list (the same rule as /api/v1/referrals: an agency sees only what was forwarded to it, and an
 * owner other than its own finds nothing), newest first, in keyset pages linked by `next`; with
 * `_lastUpdated`, the changes, oldest first (by updated_at, then id), so that a poller resumes
 * where it stopped. The checklists' own Tasks are read by id, not searched.
 */
import { z } from 'zod';
import { badRequest, type ErrorDetail } from '../../kernel/errors.js';
import { FHIR_TASK_STATUS, REFERRAL_STATUSES, type ReferralStatus } from '../../kernel/referral-state.js';
import type { Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { getReferralsWithPersonId, listReferrals } from '../referrals/index.js';
import { toTask, type OutcomeCode } from './task.mapping.js';

const TASK_STATUSES = [...new Set(Object.values(FHIR_TASK_STATUS))];
const MAX_COUNT = 200;

export interface TaskQuery {
  owner?: string;
  statuses?: ReferralStatus[];
  updatedAfter?: Date;
  count: number;
  cursor?: string;
  /** the parameters as they were understood, for the Bundle's links */
  understood: URLSearchParams;
}

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);

export function parseTaskQuery(query: Record<string, unknown>): TaskQuery {
  const problems: ErrorDetail[] = [];
  const understood = new URLSearchParams();
  const out: TaskQuery = { count: 50, understood };
  const owner = one(query.owner);
  if (owner !== undefined) {
    const id = z.uuid().safeParse(owner.replace(/^Organization\//, ''));
    if (!id.success) problems.push({ path: 'owner', message: 'must be Organization/{agency id}' });
    else out.owner = id.data;
    understood.set('owner', owner);
  }
  let statuses: Set<ReferralStatus> | undefined;
  const status = one(query.status);
  if (status !== undefined) {
    const codes = list(status);
    const unknown = codes.filter((c) => !TASK_STATUSES.includes(c));
    if (unknown.length || !codes.length) problems.push({ path: 'status', message: `must be a comma-separated list of: ${TASK_STATUSES.join(', ')}` });
    statuses = new Set(REFERRAL_STATUSES.filter((s) => codes.includes(FHIR_TASK_STATUS[s])));
    understood.set('status', status);
  }
  const business = one(query['business-status']);
  if (business !== undefined) {
    const codes = list(business);
    if (!codes.length || codes.some((c) => !(REFERRAL_STATUSES as readonly string[]).includes(c))) {
      problems.push({ path: 'business-status', message: `must be a comma-separated list of: ${REFERRAL_STATUSES.join(', ')}` });
    }
    const wanted = new Set(codes as ReferralStatus[]);
    statuses = new Set([...(statuses ?? wanted)].filter((s) => wanted.has(s)));
    understood.set('business-status', business);
  }
  if (statuses) out.statuses = [...statuses];
  const last = one(query._lastUpdated);
  if (last !== undefined) {
    const m = /^gt(\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))?)$/.exec(last);
    const at = m ? new Date(m[1]!) : undefined;
    if (!at || Number.isNaN(at.getTime())) problems.push({ path: '_lastUpdated', message: 'must be gt followed by a date or an instant, for example gt2026-01-05T09:00:00Z' });
    else out.updatedAfter = at;
    understood.set('_lastUpdated', last);
  }
  const count = one(query._count);
  if (count !== undefined) {
    const n = Number(count);
    if (!/^\d+$/.test(count) || n < 1 || n > MAX_COUNT) problems.push({ path: '_count', message: `must be a whole number from 1 to ${MAX_COUNT}` });
    else out.count = n;
    understood.set('_count', count);
  }
  const cursor = one(query._cursor);
  if (cursor !== undefined) out.cursor = cursor;
  if (problems.length) throw badRequest('invalid search', problems);
  return out;
}

export async function searchTasks(deps: ServiceDeps, principal: Principal, q: TaskQuery, outcomes: readonly OutcomeCode[], base: string, requestId?: string) {
  const self = `${base}/Task${q.understood.size ? `?${q.understood}` : ''}`;
  const empty = q.statuses !== undefined && q.statuses.length === 0;
  const page = empty
    ? { items: [], nextCursor: null }
    : await listReferrals(deps, principal, { status: q.statuses, agencyId: q.owner, cursor: q.cursor, limit: q.count, updatedAfter: q.updatedAfter }, requestId);
  // the page's referrals in four statements, whatever its size (the list's rule already chose them)
  const tasks = (await getReferralsWithPersonId(deps, principal, page.items.map((i) => i.id), requestId)).map((r) => toTask(r, outcomes));
  const next = new URLSearchParams(q.understood);
  if (page.nextCursor) next.set('_cursor', page.nextCursor);
  return {
    resourceType: 'Bundle' as const,
    type: 'searchset' as const,
    link: [{ relation: 'self', url: q.cursor ? `${self}${q.understood.size ? '&' : '?'}_cursor=${encodeURIComponent(q.cursor)}` : self }, ...(page.nextCursor ? [{ relation: 'next', url: `${base}/Task?${next}` }] : [])],
    entry: tasks.map((t) => ({ fullUrl: `${base}/Task/${t.id}`, resource: t, search: { mode: 'match' as const } })),
  };
}
