/**
 * The hub's summary report of a period as the reports page shows it: the headline figures beside
 * the previous period's, then one section per part of the report, each a table (what screen
 * readers and printers use) with a bar chart of the same figures where a chart helps. Pure: the
 * figures come from modules/reports/report-summary.service.ts.
 *
 * Wellbeing (ONS4 answers are health data): on the page and on the printed return alike, a
 * measure answered by fewer than SMALL_NUMBER_THRESHOLD people shows how many, but not its means
 * or how many were better, the same or worse: with one person those are that person's scores,
 * which the hub otherwise reads only on the person's page, audited.
 */
import { CLOCK_LABELS, type AgencyFigures, type ClockFigures, type NeedsMetFigures, type SummaryComparison, type SummaryReport } from '../report-summary.js';
import type { WellbeingMeasureChange } from '../../../kernel/wellbeing.js';
import { barChart } from '../../../platform/pages/charts.js';
import { EXACT, Suppressor, changeOf, clockDue, clockTimed, hoursText, pointsOf, rateOf, type Figure, type Numbers, type ReportSection } from './report-format.js';

const NUM = 'numeric' as const;
const col = (text: string) => ({ text });
const num = (text: string) => ({ text, format: NUM });

export const NEEDS_MET_LABELS: [keyof NeedsMetFigures, string][] = [
  ['yes', 'Yes'],
  ['partly', 'Partly'],
  ['no', 'No'],
  ['notYet', 'Not yet'],
];

/** The headline counts of the period beside the previous period's, with the change. */
export function headlineFigure(c: SummaryComparison, f: Numbers = EXACT): Figure {
  const line = (label: string, pick: (r: SummaryReport) => number) => [label, f.count(pick(c.current)), f.count(pick(c.previous)), changeOf(f, pick(c.current), pick(c.previous))];
  return {
    id: 'headline',
    caption: 'The period in figures',
    head: [col('Figure'), num('This period'), num('Previous period'), col('Change')],
    // for one agency, a checklist is one of its referrals, and "no needs" has no agency
    rows: [
      ...(c.current.filter.agencyId
        ? [line('Checklists with a referral to this agency', (r) => r.checklists)]
        : [line('Checklists received', (r) => r.checklists), line('Checklists with no needs identified', (r) => r.noNeeds)]),
      line('People', (r) => r.people),
      line('Referrals made', (r) => r.referrals),
      ...c.current.clocks.map((k) => {
        const prev = c.previous.clocks.find((p) => p.clock === k.clock);
        const prevDue = prev ? clockDue(prev) : 0;
        return [`On time: ${CLOCK_LABELS[k.clock].toLowerCase()}`, rateOf(f, k.onTimeRate, clockDue(k)), rateOf(f, prev?.onTimeRate ?? null, prevDue), pointsOf(f, k.onTimeRate, clockDue(k), prev?.onTimeRate ?? null, prevDue)];
      }),
    ],
  };
}

const clockRow = (f: Numbers, label: string, k: ClockFigures) => [label, f.count(clockDue(k)), f.count(k.onTime), f.count(k.late), f.count(k.overdue), f.count(k.notYetDue), rateOf(f, k.onTimeRate, clockDue(k)), timeOf(f, k.medianHours, k), timeOf(f, k.p90Hours, k)];
const timeOf = (f: Numbers, h: number | null, k: ClockFigures) => (f.withheld(clockTimed(k)) ? f.notShown : hoursText(h));
const CLOCK_HEAD = [num('Due'), num('On time'), num('Late'), num('Overdue now'), num('Not yet due'), num('On-time rate'), col('Median time'), col('90th percentile')];

function clockSections(f: Numbers, r: SummaryReport, previous: SummaryReport): ReportSection {
  const hub: Figure = {
    id: 'clocks-hub',
    caption: 'Every agency together',
    head: [col('Clock'), ...CLOCK_HEAD, num('On-time rate, previous period')],
    rows: r.clocks.map((k) => {
      const prev = previous.clocks.find((p) => p.clock === k.clock);
      return [...clockRow(f, CLOCK_LABELS[k.clock], k), rateOf(f, prev?.onTimeRate ?? null, prev ? clockDue(prev) : 0)];
    }),
  };
  const perAgency = r.clocks.map((k): Figure => {
    const rows = r.byAgency.map((a) => ({ a, f: a.clocks.find((x) => x.clock === k.clock) })).filter((x): x is { a: AgencyFigures; f: ClockFigures } => x.f !== undefined);
    const rated = rows.filter((x) => x.f.onTimeRate !== null);
    return {
      id: `clocks-${k.clock.replace('_', '-')}`,
      caption: `${CLOCK_LABELS[k.clock]}, by agency`,
      chartTitle: `On-time rate by agency: ${CLOCK_LABELS[k.clock].toLowerCase()}`,
      chart: rated.length ? barChart(rated.map((x) => ({ label: x.a.agency, value: x.f.onTimeRate!, ok: x.f.onTimeRate! >= 90 })), { max: 100, unit: '%' }) : undefined,
      head: [col('Agency'), ...CLOCK_HEAD],
      rows: rows.map((x) => clockRow(f, x.a.agency, x.f)),
      empty: 'No referrals in the period.',
    };
  });
  return {
    id: 'clocks',
    heading: 'The clocks',
    note: 'A clock is due when its step was done or its deadline has passed. Times are shown as the upper edge of the band they fall in ("within 2 days").',
    figures: [hub, ...perAgency],
  };
}

function needsMetRows(f: Numbers, current: NeedsMetFigures, previous: NeedsMetFigures) {
  return NEEDS_MET_LABELS.map(([k, label]) => [label, f.count(current[k]), f.count(previous[k]), changeOf(f, current[k], previous[k])]);
}

/** A wellbeing measure's row; what rests on fewer than the threshold's people is withheld. */
function wellbeingRow(f: Numbers, m: WellbeingMeasureChange, s: Suppressor): string[] {
  const hide = (text: string) => s.resting(text, m.n);
  return [m.label, f.count(m.n), hide(mean(m.meanBefore)), hide(mean(m.meanAfter)), hide(mean(m.meanImprovement)), hide(f.count(m.improved)), hide(f.count(m.same)), hide(f.count(m.worse))];
}

/**
 * Every section of the hub's report, in the order of the list; `threshold` is
 * SMALL_NUMBER_THRESHOLD. `f` writes the numbers: exactly on the hub's own page, through
 * small-number suppression for what leaves the hub (the quarterly return). The charts carry
 * exact values: what leaves the hub shows the tables alone.
 */
export function summarySections(c: SummaryComparison, threshold: number, f: Numbers = EXACT): ReportSection[] {
  const small = new Suppressor(threshold);
  const r = c.current;
  const p = c.previous;
  const prevAgency = new Map(p.byAgency.map((a) => [a.agencyId, a.referrals]));
  const prevType = new Map(p.byOrganisationType.map((t) => [t.type, t.checklists]));
  const prevNeeds = p.needsMet;
  return [
    {
      id: 'referrals',
      heading: 'Referrals by agency, question and section',
      figures: [
        {
          id: 'by-agency',
          caption: 'Referrals by agency',
          chartTitle: 'Referrals by agency',
          chart: r.byAgency.length ? barChart(r.byAgency.map((a) => ({ label: a.agency, value: a.referrals }))) : undefined,
          head: [col('Agency'), num('Referrals'), num('Previous period'), col('Change'), num('Re-routed elsewhere')],
          rows: r.byAgency.map((a) => [a.agency, f.count(a.referrals), f.count(prevAgency.get(a.agencyId) ?? 0), changeOf(f, a.referrals, prevAgency.get(a.agencyId) ?? 0), f.count(a.rerouted)]),
          empty: 'No referrals in the period.',
        },
        {
          id: 'by-section',
          caption: 'Referrals by checklist section',
          chartTitle: 'Referrals by checklist section',
          chart: r.bySection.length ? barChart(r.bySection.map((s) => ({ label: s.section, value: s.referrals }))) : undefined,
          head: [col('Section'), num('Referrals')],
          rows: r.bySection.map((s) => [s.section, f.count(s.referrals)]),
          empty: 'No referrals in the period.',
        },
        {
          id: 'by-question',
          caption: 'Referrals by question',
          note: 'A referral counts once for each question that flagged it.',
          head: [col('Section'), col('Question'), num('Referrals')],
          rows: r.byQuestion.map((q) => [q.section, q.question, f.count(q.referrals)]),
          empty: 'No referrals in the period.',
        },
      ],
    },
    {
      id: 'referrers',
      heading: 'Referrers',
      figures: [
        {
          id: 'by-organisation-type',
          caption: 'Checklists by type of referring organisation',
          chartTitle: 'Checklists by type of referring organisation',
          chart: r.byOrganisationType.length ? barChart(r.byOrganisationType.map((t) => ({ label: t.label, value: t.checklists }))) : undefined,
          head: [col('Type'), num('Checklists'), num('Referrals'), num('Checklists, previous period'), col('Change')],
          rows: r.byOrganisationType.map((t) => [t.label, f.count(t.checklists), f.count(t.referrals), f.count(prevType.get(t.type) ?? 0), changeOf(f, t.checklists, prevType.get(t.type) ?? 0)]),
          empty: 'No checklists in the period.',
        },
        {
          id: 'by-organisation',
          caption: 'Checklists by referring organisation',
          head: [col('Organisation'), col('Type'), num('Checklists'), num('Referrals')],
          rows: r.byOrganisation.map((o) => [o.organisation, r.byOrganisationType.find((t) => t.type === o.type)?.label ?? o.type ?? 'Not recorded', f.count(o.checklists), f.count(o.referrals)]),
          empty: 'No checklists in the period.',
        },
      ],
    },
    clockSections(f, r, p),
    {
      id: 'outcomes',
      heading: 'Outcomes',
      note: 'How agencies closed the referrals of the period, so far.',
      figures: [
        {
          id: 'outcomes-all',
          caption: 'Outcomes, every agency together',
          chartTitle: 'Referrals by outcome',
          chart: r.outcomes.length ? barChart(r.outcomes.map((o) => ({ label: o.label, value: o.referrals }))) : undefined,
          // the SNOMED CT column only when an outcome of the period has a concept
          ...(r.outcomes.some((o) => o.snomedCode)
            ? { head: [col('Outcome'), col('SNOMED CT'), num('Referrals')], rows: r.outcomes.map((o) => [o.label, o.snomedCode ?? 'No code', f.count(o.referrals)]) }
            : { head: [col('Outcome'), num('Referrals')], rows: r.outcomes.map((o) => [o.label, f.count(o.referrals)]) }),
          empty: 'No referral of the period has an outcome yet.',
        },
        {
          id: 'outcomes-by-agency',
          caption: 'Outcomes by agency',
          head: [col('Agency'), col('Outcome'), num('Referrals')],
          rows: r.byAgency.flatMap((a) => a.outcomes.map((o) => [a.agency, o.label, f.count(o.referrals)])),
          empty: 'No referral of the period has an outcome yet.',
        },
      ],
    },
    {
      id: 'needs-met',
      heading: 'Needs met, as the person told the hub at the follow-up call',
      figures: [
        {
          id: 'needs-met-all',
          caption: 'Were their needs met? Every agency together',
          chartTitle: 'Were their needs met?',
          chart: barChart(NEEDS_MET_LABELS.map(([k, label]) => ({ label, value: r.needsMet[k] }))),
          head: [col('Answer'), num('Referrals'), num('Previous period'), col('Change')],
          rows: needsMetRows(f, r.needsMet, prevNeeds),
        },
        {
          id: 'needs-met-by-agency',
          caption: 'Were their needs met? By agency',
          head: [col('Agency'), ...NEEDS_MET_LABELS.map(([, label]) => num(label))],
          rows: r.byAgency.map((a) => [a.agency, ...NEEDS_MET_LABELS.map(([k]) => f.count(a.needsMet[k]))]),
          empty: 'No referrals in the period.',
        },
      ],
    },
    {
      id: 'wellbeing',
      heading: 'Wellbeing change (ONS4)',
      note: `${f.count(r.wellbeing.people)} ${r.wellbeing.people === 1 ? 'person' : 'people'} answered the wellbeing questions both at the checklist and at the follow-up call. For anxiety, a lower score is better. A question answered by fewer than ${threshold} people shows how many, not their scores.`,
      figures: [
        {
          id: 'wellbeing-change',
          caption: 'Wellbeing before and after (scores 0 to 10)',
          head: [col('Question'), num('People'), num('Mean before'), num('Mean after'), num('Mean improvement'), num('Better'), num('Same'), num('Worse')],
          rows: r.wellbeing.measures.map((m) => wellbeingRow(f, m, small)),
          empty: 'No one answered the wellbeing questions twice in the period.',
        },
      ],
    },
    {
      id: 'people',
      heading: 'Age bands and postcode districts',
      figures: [
        {
          id: 'age-bands',
          caption: 'People by age band',
          chartTitle: 'People by age band',
          chart: r.ageBands.length ? barChart(r.ageBands.map((b) => ({ label: b.band, value: b.count }))) : undefined,
          head: [col('Age band'), num('People')],
          rows: r.ageBands.map((b) => [b.band, f.count(b.count)]),
          empty: 'No checklists in the period.',
        },
        {
          id: 'postcode-districts',
          caption: 'Checklists by postcode district',
          head: [col('District'), num('Checklists')],
          // the busiest districts; the rest together (all of them are in the API's summary)
          note: r.postcodeDistricts.length > TOP_DISTRICTS ? `The ${TOP_DISTRICTS} districts with most checklists, then the other ${r.postcodeDistricts.length - TOP_DISTRICTS} together.` : undefined,
          rows: [
            ...r.postcodeDistricts.slice(0, TOP_DISTRICTS).map((d) => [d.district, f.count(d.checklists)]),
            ...(r.postcodeDistricts.length > TOP_DISTRICTS ? [['Other districts', f.count(r.postcodeDistricts.slice(TOP_DISTRICTS).reduce((a, d) => a + d.checklists, 0))]] : []),
          ],
          empty: r.filter.agencyId ? 'Not given for one agency’s referrals.' : 'No checklists in the period.',
        },
      ],
    },
  ];
}

/** How many postcode districts a page lists by name. */
const TOP_DISTRICTS = 25;

const mean = (x: number | null) => (x === null ? 'none' : x.toFixed(1));

/**
 * The one-page quarterly return: the headline figures, the clocks per agency, outcomes, needs
 * met, wellbeing change and referrers by type; tables only, to print on one A4 sheet. The return
 * goes to the hub's funders, outside the hub, so every figure on it passes through small-number
 * suppression: a count from 1 to threshold - 1 shows as "<threshold", and a rate, time or change
 * resting on fewer items is not shown.
 */
export function returnFigures(c: SummaryComparison, threshold: number): Figure[] {
  const s = new Suppressor(threshold);
  const all = summarySections(c, threshold, s).flatMap((x) => x.figures);
  const pick = (id: string): Figure => ({ ...all.find((f) => f.id === id)!, chart: undefined, note: undefined });
  // one plain thing: the rate and the median; the rate alone when the median rests on too few;
  // "fewer than 5" once when the rate does (the median rests on no more)
  const cell = (k: ClockFigures | undefined) => {
    if (!k || clockDue(k) === 0) return rateOf(s, null, 0);
    if (s.withheld(clockDue(k))) return s.notShown;
    const rate = rateOf(s, k.onTimeRate, clockDue(k));
    return s.withheld(clockTimed(k)) || k.medianHours === null ? rate : `${rate}, median ${hoursText(k.medianHours)}`;
  };
  const clocks: Figure = {
    id: 'clocks-by-agency',
    caption: 'On-time rate and median time of each clock, by agency',
    head: [col('Agency'), ...c.current.clocks.map((k) => col(CLOCK_LABELS[k.clock]))],
    rows: [
      ...c.current.byAgency.map((a) => [a.agency, ...c.current.clocks.map((k) => cell(a.clocks.find((x) => x.clock === k.clock)))]),
      ['Every agency', ...c.current.clocks.map((k) => cell(k))],
    ],
  };
  return [headlineFigure(c, s), clocks, pick('outcomes-all'), pick('needs-met-all'), pick('wellbeing-change'), pick('by-organisation-type')];
}
