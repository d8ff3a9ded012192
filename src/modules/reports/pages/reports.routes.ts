/**
 * The hub's reports: the summary of a period beside the previous period (tables with charts),
 * the printable one-page quarterly return, and the referrals of a period as CSV. Periods are
 * presets (this month, last month, the last full quarter, the financial years from 1 April) or
 * whole days chosen in a GET form, so the address holds dates and ids only, no personal data.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { londonDay } from '../../../kernel/uk-dates.js';
import { sendCsv } from '../../../platform/http/csv-response.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { referralExportRecords, referralExportSchema } from '../report-export.service.js';
import { MAX_SUMMARY_DAYS, summaryQuerySchema, summaryReport } from '../report-summary.service.js';
import { formValues } from '../../../platform/pages/forms.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { errorList, periodValues, presetPeriods, readPeriod } from './report-period.js';
import { headlineFigure, returnFigures, summarySections } from './report-view.js';
import { page } from '../../../platform/pages/render.js';
import { listAgencies, listOrganisations } from '../../directory/index.js';

export { presetPeriods } from './report-period.js';

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));
const optionalId = z.union([z.literal('').transform(() => undefined), z.uuid()]).optional();

/** The address of a report page for this query (dates and ids only). */
const href = (path: string, q: Record<string, string | undefined>) => `${path}?${new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined)).toString()}`;

export function reportsRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub/reports', requireUser(...HUB_ROLES));
  const presets = () => presetPeriods(londonDay(deps.clock.now()));

  const show = async (res: Response, extra: Record<string, unknown>, status = 200) => {
    const [agencies, organisations] = await Promise.all([listAgencies(deps), listOrganisations(deps)]);
    const values = (extra.values ?? {}) as Record<string, string>;
    page(res, 'hub-reports.njk', {
      title: 'Reports',
      section: 'reports',
      presets: presets(),
      fieldErrors: {},
      ...extra,
      agencyItems: [{ value: '', text: 'Every agency' }, ...agencies.map((a) => ({ value: a.id, text: a.name, selected: a.id === values.agencyId }))],
      organisationItems: [{ value: '', text: 'Every organisation' }, ...organisations.map((o) => ({ value: o.id, text: o.name, selected: o.id === values.organisationId }))],
    }, status);
  };

  /** The query of a report page, or the form's errors; with no days given, `fallback`. */
  const readQuery = (req: Request, fallback: { from: string; to: string }) => {
    const v = formValues(req.query);
    const p = readPeriod(v);
    const fieldErrors = { ...p.fieldErrors };
    const ids = z.object({ agencyId: optionalId, organisationId: optionalId }).safeParse({ agencyId: v.agencyId, organisationId: v.organisationId });
    if (!ids.success) for (const i of ids.error.issues) fieldErrors[String(i.path[0])] = i.path[0] === 'agencyId' ? 'Choose an agency from the list' : 'Choose an organisation from the list';
    const period = p.none ? { from: fallback.from, to: fallback.to } : { from: p.from, to: p.to };
    const q = summaryQuerySchema.safeParse({ ...period, ...(ids.success ? ids.data : {}) });
    // the days are real and in order by now: what is left is the longest period a report covers
    if (!Object.keys(fieldErrors).length && !q.success) fieldErrors.to = `Choose a period of at most ${MAX_SUMMARY_DAYS} days`;
    return { v, fieldErrors, q: Object.keys(fieldErrors).length || !q.success ? undefined : q.data };
  };

  r.get('/hub/reports', async (req, res) => {
    const { v, fieldErrors, q } = readQuery(req, presets()[0]!);
    if (!q) return show(res, { values: v, fieldErrors, errors: errorList(fieldErrors) }, 400);
    const report = await summaryReport(deps, principalFromSession(res), q, rid(req));
    await show(res, {
      values: { ...periodValues(q.from, q.to), agencyId: q.agencyId ?? '', organisationId: q.organisationId ?? '' },
      report,
      headline: headlineFigure(report),
      sections: summarySections(report, deps.env.SMALL_NUMBER_THRESHOLD),
      returnHref: href('/hub/reports/return', q),
      csvHref: href('/hub/reports/referrals.csv', { from: q.from, to: q.to }),
    });
  });

  r.get('/hub/reports/return', async (req, res) => {
    const { fieldErrors, q } = readQuery(req, presets()[2]!);
    if (!q) return page(res, 'error.njk', { title: 'There is a problem', message: Object.values(fieldErrors).join('. '), section: 'reports' }, 400);
    const report = await summaryReport(deps, principalFromSession(res), q, rid(req));
    page(res, 'hub-report-return.njk', {
      title: `Quarterly return, ${q.from} to ${q.to}`,
      section: 'reports',
      hubName: deps.env.HUB_NAME,
      report,
      figures: returnFigures(report, deps.env.SMALL_NUMBER_THRESHOLD),
      reportHref: href('/hub/reports', q),
    });
  });

  r.get('/hub/reports/referrals.csv', async (req, res) => {
    const v = formValues(req.query);
    const p = readPeriod(v);
    const fieldErrors = p.none ? { from: 'Enter the first day', to: 'Enter the last day' } : p.fieldErrors;
    const q = referralExportSchema.safeParse({ from: p.from, to: p.to });
    if (!Object.keys(fieldErrors).length && !q.success) fieldErrors.to = 'The last day must be the same as the first day or after it';
    if (Object.keys(fieldErrors).length || !q.success) return show(res, { values: v, fieldErrors, errors: errorList(fieldErrors) }, 400);
    await sendCsv(res, `signpost-referrals-${q.data.from}-to-${q.data.to}.csv`, referralExportRecords(deps, principalFromSession(res), q.data, rid(req)));
  });

  return r;
}
