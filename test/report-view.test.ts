/**
 * The report pages' views from hand-made reports (helpers/report-fixture.ts): each figure in words,
 * the previous period and the change, small-number suppression, and valid HTML.
 */
import { HtmlValidate } from 'html-validate';
import { describe, expect, it } from 'vitest';
import type { AgencyPerformance } from '../src/modules/reports/report-summary.js';
import { clock, fullQuarter, report } from './helpers/report-fixture.js';
import { performanceFigures } from '../src/modules/reports/pages/performance-view.js';
import { changeText, hoursText, pointsText } from '../src/modules/reports/pages/report-format.js';
import { headlineFigure, returnFigures, summarySections } from '../src/modules/reports/pages/report-view.js';
import { createViews } from '../src/platform/pages/render.js';

const previous = () => report({ period: { from: '2026-01-01', to: '2026-03-31', days: 90 }, checklists: 10, noNeeds: 2, people: 10, referrals: 20, byAgency: [] });
const cells = (html: string) => [...html.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((m) => m[1]!.replace(/<span class="nhsuk-table__heading"[^>]*>[\s\S]*?<\/span>/g, '').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim());

describe('the report pages in words', () => {
  it('puts times, changes and rates into words', () => {
    expect([1, 4, 24, 48, 168, 672, Number.POSITIVE_INFINITY, null].map(hoursText)).toEqual(['within 1 hour', 'within 4 hours', 'within 24 hours', 'within 2 days', 'within 7 days', 'within 28 days', 'over 28 days', 'none yet']);
    expect([changeText(15, 10), changeText(8, 10), changeText(3, 3), changeText(4, 0)]).toEqual(['5 more (up 50%)', '2 fewer (down 20%)', 'no change', '4 more']);
    expect([pointsText(94.1, 90), pointsText(80, 85.5), pointsText(null, 80)]).toEqual(['up 4.1 points', 'down 5.5 points', 'cannot compare']);
  });

  it('shows each headline figure beside the previous period with the change', () => {
    const h = headlineFigure({ current: fullQuarter(), previous: previous() });
    expect(h.rows.slice(0, 4)).toEqual([
      ['Checklists received', '15', '10', '5 more (up 50%)'],
      ['Checklists with no needs identified', '2', '2', 'no change'],
      ['People', '14', '10', '4 more (up 40%)'],
      ['Referrals made', '17', '20', '3 fewer (down 15%)'],
    ]);
    expect(h.rows[4]).toEqual(['On time: forwarded to the agency (the hub)', '94.1%', 'nothing due', 'cannot compare']);
    const one = headlineFigure({ current: { ...fullQuarter(), filter: { agencyId: 'a', agency: 'Fire', organisationId: null, organisation: null } }, previous: previous() });
    expect(one.rows.slice(0, 3).map((r) => r[0])).toEqual(['Checklists with a referral to this agency', 'People', 'Referrals made']);
  });

  it('has every section of the report as a table, charts only beside a table', () => {
    const sections = summarySections({ current: fullQuarter(), previous: previous() }, 2);
    const figures = Object.fromEntries(sections.flatMap((s) => s.figures).map((f) => [f.id, f]));
    expect(Object.keys(figures)).toEqual(['by-agency', 'by-section', 'by-question', 'by-organisation-type', 'by-organisation', 'clocks-hub', 'clocks-forward', 'clocks-contact', 'clocks-follow-up', 'outcomes-all', 'outcomes-by-agency', 'needs-met-all', 'needs-met-by-agency', 'wellbeing-change', 'age-bands', 'postcode-districts']);
    expect(figures['by-agency']!.rows).toEqual([
      ['County fire and rescue', '12', '0', '12 more', '1'],
      ['Money advice team', '5', '0', '5 more', '0'],
    ]);
    expect(figures['clocks-contact']!.rows[0]).toEqual(['County fire and rescue', '5', '3', '1', '1', '4', '60%', 'within 7 days', 'within 14 days']);
    expect(figures['clocks-contact']!.chart!.bars.map((b) => [b.label, b.value, b.cls])).toEqual([
      ['County fire and rescue', '60%', 'bar bar--late'],
      ['Money advice team', '100%', 'bar bar--ok'],
    ]);
    // the advice team's follow-ups are none of them due: no rate, so no bar
    expect(figures['clocks-follow-up']!.chart!.bars.map((b) => b.label)).toEqual(['County fire and rescue']);
    expect(figures['needs-met-all']!.rows).toEqual([
      ['Yes', '2', '0', '2 more'],
      ['Partly', '0', '0', 'no change'],
      ['No', '0', '0', 'no change'],
      ['Not yet', '0', '0', 'no change'],
    ]);
    // two people, at a threshold of 2: shown
    expect(figures['wellbeing-change']!.rows).toEqual([['Life satisfaction', '2', '4.0', '6.5', '2.5', '2', '0', '0']]);
    expect(figures['postcode-districts']!.rows).toEqual([['SW1A', '9'], ['N1', '6']]);
    expect(figures['outcomes-all']!.rows).toEqual([['Service provided', '871731000000106', '8']]);
    for (const f of Object.values(figures)) if (f.chart) expect(f.rows.length, f.id).toBeGreaterThan(0);
  });

  it('withholds the wellbeing scores of fewer people than the threshold, on the page and in the return alike', () => {
    const c = { current: fullQuarter(), previous: previous() };
    const hidden = 'fewer than 5';
    const withheld = ['Life satisfaction', '2', hidden, hidden, hidden, hidden, hidden, hidden];
    const page = summarySections(c, 5).flatMap((s) => s.figures).find((f) => f.id === 'wellbeing-change')!;
    const printed = returnFigures(c, 5).find((f) => f.id === 'wellbeing-change')!;
    expect(page.rows).toEqual([withheld]);
    // the return leaves the hub: the count of people is held back too
    expect(printed.rows).toEqual([['Life satisfaction', '<5', ...withheld.slice(2)]]);
    expect(returnFigures(c, 2).find((f) => f.id === 'wellbeing-change')!.rows).toEqual([['Life satisfaction', '2', '4.0', '6.5', '2.5', '2', '0', '0']]);
  });

  it('holds back every small figure of the quarterly return, which leaves the hub, and none of the page', () => {
    const c = { current: fullQuarter(), previous: report({ period: { from: '2026-01-01', to: '2026-03-31', days: 90 }, checklists: 10, noNeeds: 3, people: 9, referrals: 20, needsMet: { yes: 6, partly: 0, no: 0, notYet: 0 } }) };
    const hidden = 'fewer than 5';
    const printed = Object.fromEntries(returnFigures(c, 5).map((f) => [f.id, f]));
    expect(printed['headline']!.rows).toEqual([
      ['Checklists received', '15', '10', '5 more (up 50%)'],
      // 2 now and 3 before: both held back, and so is the difference, which would give them away
      ['Checklists with no needs identified', '<5', '<5', hidden],
      ['People', '14', '9', '5 more (up 55.6%)'],
      ['Referrals made', '17', '20', '3 fewer (down 15%)'],
      ['On time: forwarded to the agency (the hub)', '94.1%', 'nothing due', 'cannot compare'],
      // 10 contact clocks due; 2 follow-ups due: the rate rests on fewer than 5
      ['On time: person contacted (the agency)', '80%', 'nothing due', 'cannot compare'],
      ['On time: follow-up call (the hub)', hidden, 'nothing due', hidden],
    ]);
    expect(printed['clocks-by-agency']!.rows).toEqual([
      // fire's contact clock: 5 due (the rate shows), 4 timed (the median does not)
      // one plain thing a cell: the rate alone when the median rests on too few, "fewer than 5" once
      ['County fire and rescue', '91.7%, median within 1 hour', '60%', hidden],
      ['Money advice team', '100%, median within 1 hour', '100%, median within 2 days', 'nothing due'],
      ['Every agency', '94.1%, median within 1 hour', '80%, median within 4 days', hidden],
    ]);
    expect(printed['outcomes-all']!.rows).toEqual([['Service provided', '871731000000106', '8']]);
    expect(printed['needs-met-all']!.rows).toEqual([
      ['Yes', '<5', '6', hidden],
      ['Partly', '0', '0', 'no change'],
      ['No', '0', '0', 'no change'],
      ['Not yet', '0', '0', 'no change'],
    ]);
    expect(printed['by-organisation-type']!.rows).toEqual([['Council', '15', '17', '0', '15 more']]);
    for (const f of Object.values(printed)) expect(f.chart, f.id).toBeUndefined();
    // the hub's own page keeps the exact figures
    const page = Object.fromEntries(summarySections(c, 5).flatMap((x) => x.figures).map((f) => [f.id, f]));
    expect(page['needs-met-all']!.rows[0]).toEqual(['Yes', '2', '6', '4 fewer (down 66.7%)']);
    expect(headlineFigure(c).rows[1]).toEqual(['Checklists with no needs identified', '2', '3', '1 fewer (down 33.3%)']);
  });

  it('shows the SNOMED CT column only when an outcome of the period has a concept, on the page and the return', () => {
    const withCode = fullQuarter();
    const without = { ...withCode, outcomes: withCode.outcomes.map((o) => ({ ...o, snomedCode: null })) };
    const mixed = { ...withCode, outcomes: [...withCode.outcomes, { code: 'declined', label: 'Declined the service', snomedCode: null, referrals: 6 }] };
    const onPage = (r: typeof withCode) => summarySections({ current: r, previous: previous() }, 5).flatMap((s) => s.figures).find((f) => f.id === 'outcomes-all')!;
    const onReturn = (r: typeof withCode) => returnFigures({ current: r, previous: previous() }, 5).find((f) => f.id === 'outcomes-all')!;
    for (const figure of [onPage(without), onReturn(without)]) {
      expect(figure.head.map((h) => h.text)).toEqual(['Outcome', 'Referrals']);
      expect(figure.rows).toEqual([['Service provided', '8']]);
    }
    expect(onPage(mixed).head.map((h) => h.text)).toEqual(['Outcome', 'SNOMED CT', 'Referrals']);
    expect(onPage(mixed).rows).toEqual([['Service provided', '871731000000106', '8'], ['Declined the service', 'No code', '6']]);
    expect(onReturn(mixed).rows.flat().join(' ')).not.toMatch(/none/);
  });

  it('renders the reports page, the return and an empty period as valid HTML', async () => {
    const views = createViews();
    const validator = new HtmlValidate({ extends: ['html-validate:standard'] });
    const c = { current: fullQuarter(), previous: previous() };
    const common = { presets: [], values: {}, fieldErrors: {}, agencyItems: [{ value: '', text: 'Every agency' }], organisationItems: [{ value: '', text: 'Every organisation' }] };
    const full = views.render('hub-reports.njk', { ...common, title: 'Reports', report: c, headline: headlineFigure(c), sections: summarySections(c, 5), returnHref: '/hub/reports/return?from=2026-04-01&to=2026-06-30', csvHref: '/x.csv' });
    const empty = { current: report(), previous: report() };
    const none = views.render('hub-reports.njk', { ...common, title: 'Reports', report: empty, headline: headlineFigure(empty), sections: summarySections(empty, 5), returnHref: '/r', csvHref: '/x.csv' });
    const ret = views.render('hub-report-return.njk', { title: 'Return', hubName: 'The hub', report: c, figures: returnFigures(c, 5), reportHref: '/hub/reports' });
    for (const html of [full, none, ret]) {
      const result = await validator.validateString(html);
      expect(result.results.flatMap((r) => r.messages.map((m) => `${m.ruleId}: ${m.message}`))).toEqual([]);
    }
    expect(cells(full)).toContain('Borough council adult social care');
    expect(full.match(/<div class="sp-chart" role="img"/g)?.length).toBe(9);
    expect(none).toContain('No referrals in the period.');
    // no chart without a bar
    expect(none).not.toMatch(/<div class="sp-chart"[^>]*>\s*<\/div>/);
    expect(ret).not.toContain('<svg');
    expect(cells(ret)).toEqual(expect.arrayContaining(['County fire and rescue', '91.7%, median within 1 hour', 'Every agency', '94.1%, median within 1 hour']));
  });
});

describe("an agency's performance page", () => {
  const perf = (agencyOver: Parameters<typeof report>[0], hubOver: Parameters<typeof report>[0]): AgencyPerformance => ({
    agency: report({ filter: { agencyId: 'a', agency: 'Fire', organisationId: null, organisation: null }, ...agencyOver }),
    hub: report(hubOver),
  });

  it('shows 1 to 4 as <5 and holds back a rate or time resting on fewer than 5, the hub’s too', () => {
    const f = performanceFigures(
      perf(
        { referrals: 3, clocks: [clock('forward', { onTime: 3, onTimeRate: 100, medianHours: 1, p90Hours: 1, timed: 3, at: 0 }), clock('contact', { onTime: 4, late: 1, onTimeRate: 80, medianHours: 48, p90Hours: 168, timed: 5, at: 6 }), clock('follow_up')], outcomes: [{ code: 'done', label: 'Service provided', snomedCode: null, referrals: 1 }], needsMet: { yes: 5, partly: 0, no: 2, notYet: 0 } },
        { referrals: 5, clocks: [clock('forward', { onTime: 5, onTimeRate: 100, medianHours: 1, p90Hours: 2, timed: 5, at: 0 }), clock('contact', { onTime: 4, late: 1, onTimeRate: 80, timed: 4, at: 6, medianHours: 48, p90Hours: 168 }), clock('follow_up')], outcomes: [{ code: 'done', label: 'Service provided', snomedCode: null, referrals: 6 }], needsMet: { yes: 5, partly: 0, no: 4, notYet: 0 } },
      ),
      5,
    );
    expect(f.headline.rows[0]).toEqual(['Referrals', '<5', '5']);
    const forward = Object.fromEntries(f.clocks[0]!.rows.map((r) => [r[0], r.slice(1)]));
    expect(forward['On-time rate']).toEqual(['fewer than 5', '100%']);
    expect(forward['Median time']).toEqual(['fewer than 5', 'within 1 hour']);
    expect(forward['Done on time']).toEqual(['<5', '5']);
    const contact = Object.fromEntries(f.clocks[1]!.rows.map((r) => [r[0], r.slice(1)]));
    // five due (rate shown) but four timed in the hub's figures: its times are held back
    expect(contact['On-time rate']).toEqual(['80%', '80%']);
    expect(contact['Median time']).toEqual(['within 2 days', 'fewer than 5']);
    expect(contact['Done late']).toEqual(['<5', '<5']);
    expect(contact['Overdue now']).toEqual(['0', '0']);
    expect(f.clocks[2]!.rows[0]).toEqual(['On-time rate', 'nothing due', 'nothing due']);
    expect(f.outcomes.rows).toEqual([['Service provided', '<5', '6']]);
    expect(f.needsMet.rows).toEqual([['Yes', '5', '5'], ['Partly', '0', '0'], ['No', '<5', '<5'], ['Not yet', '0', '0']]);
    expect(f.headline.head.map((h) => h.text)).toEqual(['Figure', 'Fire', 'All agencies']);
  });

  it('renders as valid HTML, the suppressed figures in its tables', async () => {
    const p = perf({ referrals: 3, outcomes: [{ code: 'done', label: 'Service provided', snomedCode: null, referrals: 2 }] }, { referrals: 12 });
    const html = createViews().render('agency-performance.njk', { title: 'Performance', agencyName: 'Fire', perf: p, figures: performanceFigures(p, 5), threshold: 5, presets: [], values: {}, fieldErrors: {}, formAction: '/agency/performance' });
    const result = await new HtmlValidate({ extends: ['html-validate:standard'] }).validateString(html);
    expect(result.results.flatMap((r) => r.messages.map((m) => `${m.ruleId}: ${m.message}`))).toEqual([]);
    expect(cells(html)).toEqual(expect.arrayContaining(['Referrals', '&lt;5', '12', 'Service provided']));
    expect(html).toContain('a count below 5 shows as “&lt;5”');
  });

  it('follows a configured threshold', () => {
    const f = performanceFigures(perf({ referrals: 9 }, { referrals: 10 }), 10);
    expect(f.headline.rows[0]).toEqual(['Referrals', '<10', '10']);
  });
});
