/**
 * An agency's own performance page: its clocks, outcomes and needs met beside the whole hub's,
 * for the same period. The page is seen outside the hub, so every figure on it, the hub's
 * included, passes through small-number suppression: a count from 1 to threshold - 1 shows as
 * "<threshold", and a rate or time resting on fewer items than the threshold is not shown.
 */
import { CLOCK_LABELS, type AgencyPerformance, type ClockFigures, type SummaryReport } from '../report-summary.js';
import { NEEDS_MET_LABELS } from './report-view.js';
import { Suppressor, clockDue, clockTimed, hoursText, rateText, type Figure } from './report-format.js';

const NUM = 'numeric' as const;

function clockFigure(s: Suppressor, k: ClockFigures, hub: ClockFigures | undefined, agencyName: string): Figure {
  const both = (f: (c: ClockFigures) => string) => [f(k), hub ? f(hub) : s.count(0)];
  return {
    id: `clock-${k.clock.replace('_', '-')}`,
    caption: CLOCK_LABELS[k.clock],
    head: [{ text: 'Figure' }, { text: agencyName }, { text: 'All agencies' }],
    rows: [
      ['On-time rate', ...both((c) => s.resting(rateText(c.onTimeRate), clockDue(c)))],
      ['Median time', ...both((c) => s.resting(hoursText(c.medianHours), clockTimed(c)))],
      ['90th percentile', ...both((c) => s.resting(hoursText(c.p90Hours), clockTimed(c)))],
      ['Done on time', ...both((c) => s.count(c.onTime))],
      ['Done late', ...both((c) => s.count(c.late))],
      ['Overdue now', ...both((c) => s.count(c.overdue))],
      ['Not yet due', ...both((c) => s.count(c.notYetDue))],
    ],
  };
}

/** The agency's own figures (the filter's share of the report) beside the whole hub's. */
export function performanceFigures(p: AgencyPerformance, threshold: number): { headline: Figure; clocks: Figure[]; outcomes: Figure; needsMet: Figure } {
  const s = new Suppressor(threshold);
  const a: SummaryReport = p.agency;
  const h: SummaryReport = p.hub;
  const name = a.filter.agency ?? 'This agency';
  const head = [{ text: 'Figure' }, { text: name, format: NUM }, { text: 'All agencies', format: NUM }];
  const outcomeCodes = [...new Map([...a.outcomes, ...h.outcomes].map((o) => [o.code, o.label])).entries()];
  return {
    headline: {
      id: 'referrals',
      caption: 'Referrals received in the period',
      head,
      rows: [
        ['Referrals', s.count(a.referrals), s.count(h.referrals)],
        ['Re-routed to another agency', s.count(a.byAgency.reduce((t, x) => t + x.rerouted, 0)), s.count(h.byAgency.reduce((t, x) => t + x.rerouted, 0))],
      ],
    },
    clocks: a.clocks.map((k) => clockFigure(s, k, h.clocks.find((x) => x.clock === k.clock), name)),
    outcomes: {
      id: 'outcomes',
      caption: 'Outcomes recorded so far',
      head: [{ text: 'Outcome' }, { text: name, format: NUM }, { text: 'All agencies', format: NUM }],
      rows: outcomeCodes.map(([code, label]) => [label, s.count(a.outcomes.find((o) => o.code === code)?.referrals ?? 0), s.count(h.outcomes.find((o) => o.code === code)?.referrals ?? 0)]),
      empty: 'No referral of the period has an outcome yet.',
    },
    needsMet: {
      id: 'needs-met',
      caption: 'Were their needs met? (the person’s answer at the hub’s follow-up call)',
      head: [{ text: 'Answer' }, { text: name, format: NUM }, { text: 'All agencies', format: NUM }],
      rows: NEEDS_MET_LABELS.map(([k, label]) => [label, s.count(a.needsMet[k]), s.count(h.needsMet[k])]),
    },
  };
}
