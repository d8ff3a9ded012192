/**
 * Hand-made summary reports for the report pages' view tests: every figure chosen, so that a
 * view test can say exactly what a page must show.
 */
import { BUCKET_COUNT, type ClockFigures, type ClockName, type SummaryReport } from '../../src/modules/reports/report-summary.js';

/** A clock's figures with `timed` durations in the bucket `at` (index into the buckets). */
export function clock(name: ClockName, f: Partial<Omit<ClockFigures, 'clock' | 'buckets'>> & { timed?: number; at?: number } = {}): ClockFigures {
  const buckets = Array.from({ length: BUCKET_COUNT }, () => 0);
  buckets[f.at ?? 5] = f.timed ?? 0;
  const { timed: _t, at: _a, ...rest } = f;
  return { clock: name, onTime: 0, late: 0, overdue: 0, notYetDue: 0, ended: 0, onTimeRate: null, medianHours: null, p90Hours: null, buckets, ...rest };
}

const zeroClocks = () => [clock('forward'), clock('contact'), clock('follow_up')];

export function report(over: Partial<SummaryReport> = {}): SummaryReport {
  return {
    period: { from: '2026-04-01', to: '2026-06-30', days: 91 },
    filter: { agencyId: null, agency: null, organisationId: null, organisation: null },
    generatedAt: '2026-07-02T09:00:00.000Z',
    checklists: 0,
    noNeeds: 0,
    people: 0,
    referrals: 0,
    byAgency: [],
    clocks: zeroClocks(),
    byQuestion: [],
    bySection: [],
    byOrganisation: [],
    byOrganisationType: [],
    outcomes: [],
    needsMet: { yes: 0, partly: 0, no: 0, notYet: 0 },
    wellbeing: { people: 0, measures: [] },
    ageBands: [],
    postcodeDistricts: [],
    ...over,
  };
}

/** A quarter with two agencies, every section filled. */
export function fullQuarter(): SummaryReport {
  const fire = {
    agencyId: '00000000-0000-4000-8000-000000000001',
    agency: 'County fire and rescue',
    referrals: 12,
    rerouted: 1,
    clocks: [clock('forward', { onTime: 11, late: 1, onTimeRate: 91.7, medianHours: 1, p90Hours: 24, timed: 12, at: 0 }), clock('contact', { onTime: 3, late: 1, overdue: 1, notYetDue: 4, onTimeRate: 60, medianHours: 168, p90Hours: 336, timed: 4, at: 10 }), clock('follow_up', { onTime: 2, notYetDue: 8, onTimeRate: 100, medianHours: 336, p90Hours: 336, timed: 2, at: 12 })],
    outcomes: [{ code: 'service_provided', label: 'Service provided', referrals: 3 }],
    needsMet: { yes: 2, partly: 0, no: 0, notYet: 0 },
  };
  const advice = {
    agencyId: '00000000-0000-4000-8000-000000000002',
    agency: 'Money advice team',
    referrals: 5,
    rerouted: 0,
    clocks: [clock('forward', { onTime: 5, onTimeRate: 100, medianHours: 1, p90Hours: 1, timed: 5, at: 0 }), clock('contact', { onTime: 5, onTimeRate: 100, medianHours: 48, p90Hours: 96, timed: 5, at: 6 }), clock('follow_up', { notYetDue: 5 })],
    outcomes: [{ code: 'service_provided', label: 'Service provided', referrals: 5 }],
    needsMet: { yes: 0, partly: 0, no: 0, notYet: 0 },
  };
  return report({
    checklists: 15,
    noNeeds: 2,
    people: 14,
    referrals: 17,
    byAgency: [fire, advice],
    clocks: [clock('forward', { onTime: 16, late: 1, onTimeRate: 94.1, medianHours: 1, p90Hours: 24, timed: 17, at: 0 }), clock('contact', { onTime: 8, late: 1, overdue: 1, notYetDue: 4, onTimeRate: 80, medianHours: 96, p90Hours: 336, timed: 9, at: 8 }), clock('follow_up', { onTime: 2, notYetDue: 13, onTimeRate: 100, medianHours: 336, p90Hours: 336, timed: 2, at: 12 })],
    byQuestion: [
      { questionId: 'q1', question: 'Would they like a free home fire safety visit, with smoke alarms fitted?', section: 'Staying safe at home', position: 1, referrals: 12 },
      { questionId: 'q2', question: 'Are they worried about money or paying their bills?', section: 'Money', position: 2, referrals: 5 },
    ],
    bySection: [
      { section: 'Staying safe at home', referrals: 12 },
      { section: 'Money', referrals: 5 },
    ],
    byOrganisation: [{ organisationId: 'o1', organisation: 'Borough council adult social care', type: 'council', checklists: 15, referrals: 17 }],
    byOrganisationType: [{ type: 'council', label: 'Council', checklists: 15, referrals: 17 }],
    outcomes: [{ code: 'service_provided', label: 'Service provided', snomedCode: '871731000000106', referrals: 8 }],
    needsMet: { yes: 2, partly: 0, no: 0, notYet: 0 },
    wellbeing: { people: 2, measures: [{ measure: 'life_satisfaction', label: 'Life satisfaction', n: 2, meanBefore: 4, meanAfter: 6.5, meanImprovement: 2.5, improved: 2, same: 0, worse: 0 }] },
    ageBands: [
      { band: '65-74', count: 6 },
      { band: '75-84', count: 8 },
    ],
    postcodeDistricts: [
      { district: 'SW1A', checklists: 9 },
      { district: 'N1', checklists: 6 },
    ],
  });
}
