/**
 * The summary report of a period (GET /api/v1/reports/summary, the hub's reports page, the
 * quarterly return) and each agency's own performance beside the whole hub's.
 *
 * The figures are about what was received in the period (London's whole days `from` to `to`):
 * its checklists and their referrals, followed to now. They add up the daily rollup
 * (modules/reports/report-summary.repository.ts), which is brought up to date for the period first, plus the
 * clocks still running, counted live; the people are counted live too. See modules/reports/report-summary.ts
 * for the rules (duration buckets, on-time rate, small numbers).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { londonDayBounds } from './report.repository.js';
import {
  countPeople,
  openClocks,
  reportLabels,
  rollUpReportDays,
  sumFacetDays,
  sumReportDays,
  type AgencyDayTotals,
  type ClockSums,
  type FacetRow,
  type OpenClockRow,
  type SummaryFilter,
} from './report-summary.repository.js';
import { londonDay } from '../../kernel/uk-dates.js';
import { ORGANISATION_TYPE_LABELS, SELF_REFERRAL_LABEL, SELF_REFERRAL_TYPE, type OrganisationType } from '../../kernel/organisation-types.js';
import {
  BUCKET_COUNT,
  CLOCKS,
  percentileFromBuckets,
  previousPeriod,
  rate,
  type AgencyFigures,
  type AgencyPerformance,
  type ClockFigures,
  type ClockName,
  type NeedsMetFigures,
  type SummaryComparison,
  type SummaryReport,
  type WellbeingChange,
} from './report-summary.js';
import { forbidden, notFound } from '../../kernel/errors.js';
import { isHub, type Principal } from '../../kernel/principal.js';
import { wellbeingFromSums, type WellbeingMeasure, type WellbeingSums } from '../../kernel/wellbeing.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { recordAudit } from '../audit/index.js';
import { wellbeingChange } from '../wellbeing/index.js';

const DAY = 86_400_000;
/** The longest period a summary covers: five years of days. */
export const MAX_SUMMARY_DAYS = 5 * 366;

const period = z
  .object({
    from: z.iso.date('must be a date, YYYY-MM-DD'),
    to: z.iso.date('must be a date, YYYY-MM-DD'),
  })
  .strict();
const checkPeriod = <T extends { from: string; to: string }>(q: T, ctx: z.RefinementCtx) => {
  const days = (Date.parse(q.to) - Date.parse(q.from)) / DAY + 1;
  if (days < 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be the same day as from or after it' });
  else if (days > MAX_SUMMARY_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `a period is at most ${MAX_SUMMARY_DAYS} days` });
};

export const periodQuerySchema = period.superRefine(checkPeriod);
export const summaryQuerySchema = period
  .extend({
    agencyId: z.uuid('must be an agency id').optional(),
    organisationId: z.uuid('must be an organisation id').optional(),
  })
  .strict()
  .superRefine(checkPeriod);
export type SummaryQuery = z.infer<typeof summaryQuerySchema>;

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'logger'>;
type Labels = Awaited<ReturnType<typeof reportLabels>>;

const AGE_BAND_ORDER = ['under 50', '50 to 59', '60 to 64', '65 to 69', '70 to 74', '75 to 79', '80 to 84', '85 to 89', '90 and over', 'not known'];
/** Outside the hub there is no wellbeing: averages of a few people's scores are their health. */
const NO_WELLBEING: WellbeingChange = { people: 0, measures: [] };

function clockFigures(clock: ClockName, sums: ClockSums, open: { overdue: number; notYetDue: number }): ClockFigures {
  const due = sums.onTime + sums.late + open.overdue;
  return {
    clock,
    onTime: sums.onTime,
    late: sums.late,
    overdue: open.overdue,
    notYetDue: open.notYetDue,
    ended: sums.ended,
    onTimeRate: rate(sums.onTime, due),
    medianHours: percentileFromBuckets(sums.buckets, 50),
    p90Hours: percentileFromBuckets(sums.buckets, 90),
    buckets: sums.buckets,
  };
}

const emptyClock = (): ClockSums => ({ onTime: 0, late: 0, ended: 0, buckets: new Array<number>(BUCKET_COUNT).fill(0) });
function addClock(into: ClockSums, c: ClockSums) {
  into.onTime += c.onTime;
  into.late += c.late;
  into.ended += c.ended;
  c.buckets.forEach((n, i) => (into.buckets[i] = (into.buckets[i] ?? 0) + n));
}
const addNeeds = (a: NeedsMetFigures, b: NeedsMetFigures) => {
  a.yes += b.yes;
  a.partly += b.partly;
  a.no += b.no;
  a.notYet += b.notYet;
};

const NO_ORGANISATION = 'none';
const NO_ORGANISATION_LABEL = 'No organisation recorded';
/** A referrer's key in the report's maps: the organisation's id, self-referral, or none recorded. */
const referrerKey = (r: { organisationId: string | null; selfReferral: boolean }): string => r.organisationId ?? (r.selfReferral ? SELF_REFERRAL_TYPE : NO_ORGANISATION);

/** Adds a map's count for `key`. */
function bump<K>(m: Map<K, number>, key: K, n: number) {
  m.set(key, (m.get(key) ?? 0) + n);
}

const typeLabel = (type: string | null) => (type === SELF_REFERRAL_TYPE ? SELF_REFERRAL_LABEL : type ? ORGANISATION_TYPE_LABELS[type as OrganisationType] : NO_ORGANISATION_LABEL);

/** The summary of one period, from its rows (pure: the rollup's sums, the facets, the open clocks). */
export function assembleSummary(
  q: SummaryQuery,
  parts: { days: AgencyDayTotals[]; facets: FacetRow[]; open: OpenClockRow[]; people: number; wellbeing: WellbeingChange; labels: Labels; now: Date },
): SummaryReport {
  const { labels } = parts;
  const agencyName = new Map(labels.agencies.map((a) => [a.id, a.name]));
  const org = new Map(labels.organisations.map((o) => [o.id, o]));
  const outcome = new Map(labels.outcomes.map((o) => [o.code, o]));

  // per agency: the rollup's sums over organisations, the open clocks, outcomes
  const perAgency = new Map<string, { referrals: number; rerouted: number; clocks: Record<ClockName, ClockSums>; needs: NeedsMetFigures }>();
  const agencyEntry = (id: string) => {
    let e = perAgency.get(id);
    if (!e) {
      e = { referrals: 0, rerouted: 0, clocks: { forward: emptyClock(), contact: emptyClock(), follow_up: emptyClock() }, needs: { yes: 0, partly: 0, no: 0, notYet: 0 } };
      perAgency.set(id, e);
    }
    return e;
  };
  const referralsByOrg = new Map<string, number>();
  for (const d of parts.days) {
    const e = agencyEntry(d.agencyId);
    e.referrals += d.referrals;
    e.rerouted += d.rerouted;
    for (const c of CLOCKS) addClock(e.clocks[c], d.clocks[c]);
    addNeeds(e.needs, d.needsMet);
    bump(referralsByOrg, referrerKey(d), d.referrals);
  }
  const openByAgency = new Map<string, Record<ClockName, { overdue: number; notYetDue: number }>>();
  for (const o of parts.open) {
    agencyEntry(o.agencyId);
    const m = openByAgency.get(o.agencyId) ?? { forward: { overdue: 0, notYetDue: 0 }, contact: { overdue: 0, notYetDue: 0 }, follow_up: { overdue: 0, notYetDue: 0 } };
    m[o.clock] = { overdue: o.overdue, notYetDue: o.notYetDue };
    openByAgency.set(o.agencyId, m);
  }

  const facet = (name: FacetRow['facet']) => parts.facets.filter((f) => f.facet === name);
  const outcomesByAgency = new Map<string, Map<string, number>>();
  const outcomeTotals = new Map<string, number>();
  for (const f of facet('outcome')) {
    if (!f.agencyId) continue;
    const m = outcomesByAgency.get(f.agencyId) ?? new Map<string, number>();
    bump(m, f.key, f.n);
    outcomesByAgency.set(f.agencyId, m);
    bump(outcomeTotals, f.key, f.n);
  }
  const outcomeLabel = (code: string) => outcome.get(code)?.label ?? code;
  const outcomeOrder = (code: string) => outcome.get(code)?.position ?? Number.MAX_SAFE_INTEGER;

  const hubClocks: Record<ClockName, ClockSums> = { forward: emptyClock(), contact: emptyClock(), follow_up: emptyClock() };
  const hubOpen: Record<ClockName, { overdue: number; notYetDue: number }> = { forward: { overdue: 0, notYetDue: 0 }, contact: { overdue: 0, notYetDue: 0 }, follow_up: { overdue: 0, notYetDue: 0 } };
  const needsMet: NeedsMetFigures = { yes: 0, partly: 0, no: 0, notYet: 0 };
  const byAgency: AgencyFigures[] = [...perAgency.entries()]
    .map(([agencyId, e]) => {
      const open = openByAgency.get(agencyId);
      for (const c of CLOCKS) {
        addClock(hubClocks[c], e.clocks[c]);
        hubOpen[c].overdue += open?.[c].overdue ?? 0;
        hubOpen[c].notYetDue += open?.[c].notYetDue ?? 0;
      }
      addNeeds(needsMet, e.needs);
      return {
        agencyId,
        agency: agencyName.get(agencyId) ?? 'Unknown agency',
        referrals: e.referrals,
        rerouted: e.rerouted,
        clocks: CLOCKS.map((c) => clockFigures(c, e.clocks[c], open?.[c] ?? { overdue: 0, notYetDue: 0 })),
        outcomes: [...(outcomesByAgency.get(agencyId) ?? new Map<string, number>()).entries()]
          .sort(([a], [b]) => outcomeOrder(a) - outcomeOrder(b) || a.localeCompare(b))
          .map(([code, referrals]) => ({ code, label: outcomeLabel(code), referrals })),
        needsMet: e.needs,
      };
    })
    .sort((a, b) => a.agency.localeCompare(b.agency));
  const referrals = byAgency.reduce((n, a) => n + a.referrals, 0);

  // checklists: the hub's are the checklist rows; an agency's are its referrals
  const checklistsByOrg = new Map<string, number>();
  if (q.agencyId) for (const [o, n] of referralsByOrg) checklistsByOrg.set(o, n);
  else for (const f of facet('checklists')) bump(checklistsByOrg, referrerKey(f), f.n);
  const checklists = [...checklistsByOrg.values()].reduce((a, b) => a + b, 0);
  const noNeeds = q.agencyId ? 0 : facet('no_needs').reduce((n, f) => n + f.n, 0);

  const questionLabel = new Map(labels.questions.map((x) => [x.id, x]));
  const byQuestionMap = new Map<string, number>();
  for (const f of facet('question')) bump(byQuestionMap, f.key, f.n);
  const byQuestion = [...byQuestionMap.entries()]
    .map(([questionId, n]) => {
      const ql = questionLabel.get(questionId);
      return { questionId, question: ql?.text ?? 'A question no longer held', section: ql?.section ?? '', position: ql?.position ?? 0, sectionPosition: ql?.sectionPosition ?? 0, referrals: n };
    })
    .sort((a, b) => a.sectionPosition - b.sectionPosition || a.position - b.position || a.question.localeCompare(b.question))
    .map(({ sectionPosition: _s, ...rest }) => rest);
  const bySectionMap = new Map<string, number>();
  for (const x of byQuestion) bump(bySectionMap, x.section, x.referrals);

  // referrers: each organisation, self-referrals (no organisation, a line of their own), and the checklists with none recorded
  const referrers = new Set<string>([...checklistsByOrg.keys(), ...referralsByOrg.keys()]);
  const byOrganisation = [...referrers]
    .map((key) => {
      const self = key === SELF_REFERRAL_TYPE;
      const id = self || key === NO_ORGANISATION ? null : key;
      const o = id ? org.get(id) : undefined;
      return {
        organisationId: id,
        organisation: o?.name ?? (self ? SELF_REFERRAL_LABEL : NO_ORGANISATION_LABEL),
        type: o?.type ?? (self ? SELF_REFERRAL_TYPE : null),
        checklists: checklistsByOrg.get(key) ?? 0,
        referrals: referralsByOrg.get(key) ?? 0,
      };
    })
    .sort((a, b) => b.checklists - a.checklists || a.organisation.localeCompare(b.organisation));
  const byTypeMap = new Map<string | null, { checklists: number; referrals: number }>();
  for (const o of byOrganisation) {
    const t = byTypeMap.get(o.type) ?? { checklists: 0, referrals: 0 };
    t.checklists += o.checklists;
    t.referrals += o.referrals;
    byTypeMap.set(o.type, t);
  }

  const ages = new Map<string, number>();
  for (const f of facet('age_band')) if (q.agencyId ? f.agencyId === q.agencyId : f.agencyId === null) bump(ages, f.key, f.n);
  const districts = new Map<string, number>();
  if (!q.agencyId) for (const f of facet('district')) bump(districts, f.key, f.n);

  const agency = q.agencyId ? (agencyName.get(q.agencyId) ?? null) : null;
  const organisation = q.organisationId ? (org.get(q.organisationId)?.name ?? null) : null;
  return {
    period: { from: q.from, to: q.to, days: Math.round((Date.parse(q.to) - Date.parse(q.from)) / DAY) + 1 },
    filter: { agencyId: q.agencyId ?? null, agency, organisationId: q.organisationId ?? null, organisation },
    generatedAt: parts.now.toISOString(),
    checklists,
    noNeeds,
    people: parts.people,
    referrals,
    byAgency,
    clocks: CLOCKS.map((c) => clockFigures(c, hubClocks[c], hubOpen[c])),
    byQuestion,
    bySection: [...bySectionMap.entries()].map(([section, n]) => ({ section, referrals: n })),
    byOrganisation,
    byOrganisationType: [...byTypeMap.entries()]
      .map(([type, t]) => ({ type, label: typeLabel(type), ...t }))
      .sort((a, b) => b.checklists - a.checklists || a.label.localeCompare(b.label)),
    outcomes: [...outcomeTotals.entries()]
      .sort(([a], [b]) => outcomeOrder(a) - outcomeOrder(b) || a.localeCompare(b))
      .map(([code, n]) => ({ code, label: outcomeLabel(code), snomedCode: outcome.get(code)?.snomedCode ?? null, referrals: n })),
    needsMet,
    wellbeing: parts.wellbeing,
    ageBands: [...ages.entries()]
      .sort(([a], [b]) => AGE_BAND_ORDER.indexOf(a) - AGE_BAND_ORDER.indexOf(b))
      .map(([band, count]) => ({ band, count })),
    postcodeDistricts: [...districts.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([district, n]) => ({ district, checklists: n })),
  };
}

/** The wellbeing change from the rollup's rows: the hub's (no agency) or the agency's. */
export function wellbeingFromFacets(q: Pick<SummaryQuery, 'agencyId' | 'organisationId'>, facets: FacetRow[]): WellbeingChange {
  const mine = (f: FacetRow) => (q.agencyId ? f.agencyId === q.agencyId : f.agencyId === null);
  const sums: Partial<Record<WellbeingMeasure, WellbeingSums>> = {};
  const stat: Record<string, keyof WellbeingSums> = { n: 'n', before: 'sumBefore', after: 'sumAfter', improved: 'improved', same: 'same', worse: 'worse' };
  for (const f of facets) {
    if (f.facet !== 'wellbeing' || !mine(f)) continue;
    const [measure, name] = f.key.split(':') as [WellbeingMeasure, string];
    const field = stat[name];
    if (!field) continue;
    const x = (sums[measure] ??= { n: 0, sumBefore: 0, sumAfter: 0, improved: 0, same: 0, worse: 0 });
    x[field] += f.n;
  }
  const peopleFacet = q.agencyId ? 'people_wb_agency' : q.organisationId ? 'people_wb_org' : 'people_wb';
  const people = facets.filter((f) => f.facet === peopleFacet && mine(f)).reduce((n, f) => n + f.n, 0);
  return wellbeingFromSums(people, sums);
}

/** `wellbeingFor`: the hub user the wellbeing change is read for, or null for a summary without it (an agency's performance). */
async function summaryOf(deps: Deps, q: SummaryQuery, labels: Labels, now: Date, wellbeingFor: Principal | null): Promise<SummaryReport> {
  const { start, end } = await londonDayBounds(deps.db, q.from, q.to);
  const f: SummaryFilter = { from: q.from, to: q.to, start, end, agencyId: q.agencyId, organisationId: q.organisationId };
  const [days, facets, open, people, wellbeing] = await Promise.all([
    sumReportDays(deps.db, f),
    sumFacetDays(deps.db, f),
    openClocks(deps.db, f, now),
    // the rollup's people (domain: a person's first checklist in the period); both filters at once: counted live
    q.agencyId && q.organisationId ? countPeople(deps.db, f) : Promise.resolve(null),
    // wellbeing from the rollup; both filters at once: the pairs read live
    wellbeingFor && q.agencyId && q.organisationId ? wellbeingChange(deps, wellbeingFor, { from: start, to: end, agencyId: q.agencyId, organisationId: q.organisationId }) : null,
  ]);
  const peopleFacet = q.agencyId ? 'people_agency' : q.organisationId ? 'people_org' : 'people';
  const fromRollup = facets.filter((x) => x.facet === peopleFacet).reduce((n, x) => n + x.n, 0);
  return assembleSummary(q, { days, facets, open, people: people ?? fromRollup, wellbeing: wellbeingFor ? (wellbeing ?? wellbeingFromFacets(q, facets)) : NO_WELLBEING, labels, now });
}

/** Brings the rollup up to date for the days from `from` to `to`. */
async function rollUp(deps: Deps, from: string, to: string, now: Date) {
  const rolled = await rollUpReportDays(deps.db, from, to, now);
  if (rolled > 0) deps.logger.debug({ rolled }, 'report days rolled up');
}

async function checkFilter(deps: Deps, q: SummaryQuery) {
  if (q.agencyId && !(await deps.db.selectFrom('agencies').select('id').where('id', '=', q.agencyId).executeTakeFirst())) throw notFound('agency');
  if (q.organisationId && !(await deps.db.selectFrom('organisations').select('id').where('id', '=', q.organisationId).executeTakeFirst())) throw notFound('organisation');
}

/** The summary of a period beside the period before it (coordinators and admins). */
export async function summaryReport(deps: Deps, principal: Principal, q: SummaryQuery, requestId?: string): Promise<SummaryComparison> {
  if (!isHub(principal)) throw forbidden('only coordinators and admins read the hub-wide reports');
  await checkFilter(deps, q);
  const now = deps.clock.now();
  const prev = previousPeriod(q.from, q.to);
  await rollUp(deps, prev.from, q.to, now);
  const labels = await reportLabels(deps.db);
  const [current, previous] = await Promise.all([summaryOf(deps, q, labels, now, principal), summaryOf(deps, { ...q, ...prev }, labels, now, principal)]);
  await recordAudit(deps.db, { principal, action: 'report.summary', entity: 'report', entityId: randomUUID(), requestId, at: now });
  return { current, previous };
}

/**
 * An agency's own figures for a period beside the whole hub's (an agency user for its own
 * agency; coordinators and admins for any). Small numbers are suppressed where it is shown.
 */
export async function agencyPerformance(deps: Deps, principal: Principal, agencyId: string, p: { from: string; to: string }, requestId?: string): Promise<AgencyPerformance> {
  if (!isHub(principal) && !(principal.role === 'agency' && principal.agencyId === agencyId)) throw forbidden('an agency sees its own performance only');
  const q = summaryQuerySchema.parse({ from: p.from, to: p.to, agencyId });
  await checkFilter(deps, q);
  const now = deps.clock.now();
  await rollUp(deps, q.from, q.to, now);
  const labels = await reportLabels(deps.db);
  const [agency, hub] = await Promise.all([summaryOf(deps, q, labels, now, null), summaryOf(deps, { from: q.from, to: q.to }, labels, now, null)]);
  await recordAudit(deps.db, { principal, action: 'report.agency_performance', entity: 'agency', entityId: agencyId, requestId, at: now });
  return { agency, hub };
}

/** The sweep's part: rolls up, oldest first, days that are stale or were never rolled up since the first checklist. */
export async function rollUpReportBacklog(deps: Deps, now: Date, maxDays: number): Promise<number> {
  const first = await deps.db.selectFrom('submissions').select((eb) => eb.fn.min('receivedAt').as('first')).executeTakeFirst();
  if (!first?.first) return 0;
  return rollUpReportDays(deps.db, londonDay(new Date(first.first)), londonDay(now), now, maxDays);
}
