/**
 * People, for the hub: finding a person, their whole record in time order, the likely
 * duplicates found at intake, and merging two records into one. Every read that shows a person
 * is audited with the person's id, so "who has seen this person" can be answered.
 */
import { z } from 'zod';
import { moveConsentsOnMerge } from './consent.repository.js';
import { findMatchFlag, listOpenMatchFlags, moveMatchFlagsOnMerge, resolveMatchFlag } from './person-match.repository.js';
import { keepFirstVersion, lockPerson, mergePersonRows, refreshPersonActivity } from './person.repository.js';
import { searchPeopleRows } from './person-search.repository.js';
import { listAccessToPerson, readPersonData } from './subject-access.repository.js';
import { indexNewSearchNames, type NameIndexRun } from './person-search-names.repository.js';
import { normaliseName, normalisePostcode } from '../../kernel/person-match.js';
import { badRequest, conflict, forbidden, notFound } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { organisationOf } from '../../kernel/actors.js';
import { checklistFrom, personTimeline } from './person-timeline.js';
import { recordAudit, recordAudits } from '../audit/index.js';
import { movePersonSubmissions } from '../intake/index.js';
import { moveWellbeingOnMerge } from '../wellbeing/index.js';

/**
 * One run of the person search's name indexer (the 'person-search-index' job, every
 * PERSON_SEARCH_INDEX_EVERY_MS: workers/records.ts): the people of the checklists written since
 * the last run join the trigram index, so that a misspelt name finds them too. Logs counts only.
 */
export async function indexPersonSearchNames(deps: Pick<ServiceDeps, 'db' | 'logger'>): Promise<NameIndexRun> {
  const run = await indexNewSearchNames(deps.db);
  if (run.rebuilt) deps.logger.warn({ indexed: run.indexed }, 'person search names rebuilt: the progress was ahead of this database (restored from another cluster?)');
  else if (run.skipped) deps.logger.info({ indexed: run.indexed, skipped: run.skipped }, 'person search names indexed; some people were busy and wait for the next run');
  else if (run.indexed) deps.logger.debug({ indexed: run.indexed }, 'person search names indexed');
  return run;
}

const requireHub = (p: Principal) => {
  if (!isHub(p)) throw forbidden('only coordinators and admins see people’s records');
};

export const personSearchSchema = z.object({
  q: z.string().trim().min(2, 'type at least 2 characters').max(100),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

const REFERENCE = /^SP-[0-9A-Z]{1,4}(?:-[0-9A-Z]{0,4}(?:-[0-9]+R*)?)?$/;
const POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/;

/** A day that is on the calendar (not 30 February), as YYYY-MM-DD. */
function calendarDay(year: string, month: string, day: string): string {
  const iso = `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  const d = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso) {
    throw badRequest('invalid search', [{ path: 'q', message: `${iso} is not a real date` }]);
  }
  return iso;
}

/**
 * "1941-03-02", "2/3/1941" or "02/03/1941" (day first) as YYYY-MM-DD; undefined when not shaped
 * like a date; a 400 when shaped like one but not on the calendar.
 */
function asDate(s: string): string | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m) return calendarDay(m[1]!, m[2]!, m[3]!);
  m = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(s);
  if (m) return calendarDay(m[3]!, m[2]!, m[1]!);
  return undefined;
}

/** What a search box holds: a reference, a postcode, or name parts and a date of birth. */
export function parsePersonQuery(q: string): { names: string[]; dateOfBirth?: string; normPostcode?: string; reference?: string } {
  const upper = q.trim().toUpperCase();
  if (REFERENCE.test(upper)) return { names: [], reference: upper };
  if (POSTCODE.test(upper)) return { names: [], normPostcode: normalisePostcode(upper) };
  let dateOfBirth: string | undefined;
  const names: string[] = [];
  for (const token of q.trim().split(/[\s,]+/)) {
    const d = asDate(token);
    if (d) dateOfBirth = d;
    else {
      const n = normaliseName(token);
      if (n) names.push(n);
    }
  }
  return { names, ...(dateOfBirth ? { dateOfBirth } : {}) };
}

export async function searchPeople(deps: ServiceDeps, principal: Principal, input: z.infer<typeof personSearchSchema>, requestId?: string) {
  requireHub(principal);
  const parsed = parsePersonQuery(input.q);
  if (!parsed.names.length && !parsed.dateOfBirth && !parsed.normPostcode && !parsed.reference) {
    throw badRequest('invalid search', [{ path: 'q', message: 'search by name, date of birth, postcode or reference' }]);
  }
  const rows = await searchPeopleRows(deps.db, { ...parsed, limit: input.limit });
  const at = deps.clock.now();
  await recordAudits(deps.db, rows.map((r) => ({ principal, action: 'list', entity: 'person', entityId: r.id, personId: r.id, requestId, at })));
  return rows;
}

/** A person's whole record, in time order, with who has seen it. Audited. */
export async function getPersonRecord(deps: ServiceDeps, principal: Principal, personId: string, requestId?: string) {
  requireHub(principal);
  const data = await readPersonData(deps.db, personId);
  const person = data.people.find((p) => p.id === personId);
  if (!person) throw notFound('person');
  const at = deps.clock.now();
  const flags = person.mergedInto ? [] : await listOpenMatchFlags(deps.db, 20, personId);
  // reading a likely duplicate's details is a read of that person too
  const others = [...new Set(flags.map((f) => (f.person.id === personId ? f.candidate.id : f.person.id)))];
  await recordAudits(deps.db, [
    { principal, action: 'read', entity: 'person', entityId: personId, personId, requestId, at },
    ...others.map((id) => ({ principal, action: 'read', entity: 'person', entityId: id, personId: id, requestId, at })),
  ]);
  const access = await listAccessToPerson(deps.db, data.ids, 50);
  return {
    person,
    mergedFrom: data.people.filter((p) => p.id !== personId),
    matchFlags: flags,
    versions: data.versions,
    consents: data.consents,
    withdrawals: data.withdrawals,
    checklists: data.submissions.map((s) => ({ id: s.id, reference: s.reference, receivedAt: s.receivedAt, status: s.status, closedAt: s.closedAt, submittedByName: s.submittedByName, from: checklistFrom(s) })),
    referrals: data.referrals.map((r) => ({
      id: r.id,
      reference: r.reference,
      submissionId: r.submissionId,
      agencyId: r.agencyId,
      agencyName: r.agencyName,
      status: r.status,
      receivedAt: r.receivedAt,
      forwardedAt: r.forwardedAt,
      contactedAt: r.contactedAt,
      closedAt: r.closedAt,
      outcome: r.outcome,
      needsMet: data.outcomes.find((o) => o.referralId === r.id)?.needsMet ?? null,
    })),
    followUps: data.followUps.map((f) => ({ id: f.id, submissionId: f.submissionId, dueAt: f.dueAt, status: f.status, completedAt: f.completedAt })),
    /** ONS4 answers (health data) at each checklist and follow-up call, oldest first: part of this audited read */
    wellbeing: data.wellbeing.map((w) => ({
      occasion: w.occasion,
      submissionId: w.submissionId,
      checklistReference: data.submissions.find((s) => s.id === w.submissionId)?.reference ?? null,
      measuredAt: w.measuredAt,
      lifeSatisfaction: w.lifeSatisfaction,
      worthwhile: w.worthwhile,
      happy: w.happy,
      anxious: w.anxious,
    })),
    timeline: personTimeline(data),
    access: access.map((a) => ({ at: a.at, who: a.actorLabel, organisation: organisationOf(a, deps.env.HUB_NAME), action: a.action, entity: a.entity })),
  };
}

export type PersonRecord = Awaited<ReturnType<typeof getPersonRecord>>;

export const mergeSchema = z.strictObject({ otherId: z.uuid('must be a person id') });

/**
 * Merges `otherId` into `keepId`: the other's checklists (with their referrals, events and
 * follow-ups), its details as given, its consents and withdrawals all become the kept person's;
 * the other record keeps only a pointer. Both rows locked in id order (no deadlock).
 */
export async function mergePeople(deps: ServiceDeps, principal: Principal, keepId: string, otherId: string, requestId?: string) {
  requireHub(principal);
  if (keepId === otherId) throw badRequest('invalid merge', [{ path: 'otherId', message: 'must be another person’s record' }]);
  const at = deps.clock.now();
  const moved = await deps.db.transaction().execute(async (trx) => {
    const [first, second] = [keepId, otherId].sort();
    const locked = new Map([[first!, await lockPerson(trx, first!)], [second!, await lockPerson(trx, second!)]]);
    const keep = locked.get(keepId);
    const other = locked.get(otherId);
    if (!keep) throw notFound('person');
    if (!other) throw badRequest('invalid merge', [{ path: 'otherId', message: 'no person has this id' }]);
    for (const p of [keep, other]) {
      if (p.mergedInto) throw conflict('person_merged', 'one of these records was already merged into another', { id: p.id, mergedInto: p.mergedInto });
      if (p.erasedAt) throw conflict('person_erased', "one of these records was erased; it cannot be merged", { id: p.id });
    }
    // what each record's first checklist said, before their checklists are one person's
    await keepFirstVersion(trx, keepId);
    await keepFirstVersion(trx, otherId);
    const checklists = await movePersonSubmissions(trx, keepId, otherId);
    await mergePersonRows(trx, keepId, otherId, principal.userId, at);
    await moveConsentsOnMerge(trx, keepId, otherId);
    await moveWellbeingOnMerge(trx, keepId, otherId);
    await moveMatchFlagsOnMerge(trx, keepId, otherId, principal.userId, at);
    await refreshPersonActivity(trx, keepId);
    await recordAudits(trx, [
      { principal, action: 'person.merge', entity: 'person', entityId: keepId, personId: keepId, requestId, at },
      { principal, action: 'person.merged_into', entity: 'person', entityId: otherId, personId: otherId, requestId, at },
    ]);
    return checklists;
  });
  return { id: keepId, merged: otherId, checklistsMoved: moved };
}

/** The oldest open likely-duplicate pairs (the API's list: up to 100; the page's: MATCHES_PER_PAGE); each record shown is audited. */
export async function listMatches(deps: ServiceDeps, principal: Principal, requestId?: string, limit = 100) {
  requireHub(principal);
  const flags = await listOpenMatchFlags(deps.db, limit);
  const at = deps.clock.now();
  const shown = [...new Set(flags.flatMap((f) => [f.person.id, f.candidate.id]))];
  await recordAudits(deps.db, shown.map((id) => ({ principal, action: 'list', entity: 'person', entityId: id, personId: id, requestId, at })));
  return flags;
}

/** "Not the same person": the flag closes; both records stay as they are. */
export async function dismissMatch(deps: ServiceDeps, principal: Principal, flagId: string, requestId?: string) {
  requireHub(principal);
  const flag = await findMatchFlag(deps.db, flagId);
  if (!flag) throw notFound('match');
  const at = deps.clock.now();
  if (!(await resolveMatchFlag(deps.db, flagId, 'dismissed', principal.userId, at))) throw conflict('match_resolved', 'this match was already merged or dismissed');
  await recordAudit(deps.db, { principal, action: 'person.match_dismissed', entity: 'person', entityId: flag.personId, personId: flag.personId, requestId, at });
  return { id: flagId, status: 'dismissed' as const };
}
