/**
 * The hub's reports page: the referrals of a period as CSV, for the whole days chosen or a
 * preset period (this month, last month, the last quarter, this financial year from 1 April).
 * The form is a GET of dates only, so the address holds no personal data.
 */
import { Router, type Response } from 'express';
import { sendCsv } from '../middleware/csv-response.js';
import { londonDay } from '../domain/uk-dates.js';
import { referralExportRecords, referralExportSchema } from '../services/report-export.service.js';
import type { ServiceDeps } from '../services/deps.js';
import { formValues } from './checklist-form.js';
import { dateFromInput } from './form-dates.js';
import { HUB_ROLES } from './hub-charts.js';
import { principalFromSession, requireUser } from './middleware.js';
import { page } from './render.js';

const iso = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);

/** The preset periods, as London's calendar has them today. */
export function presetPeriods(today: string): { text: string; from: string; to: string }[] {
  const [y, m] = today.split('-').map(Number) as [number, number];
  const quarterStart = Math.floor((m - 1) / 3) * 3 + 1;
  const lastQuarterStart = quarterStart - 3 < 1 ? [y - 1, quarterStart + 9] : [y, quarterStart - 3];
  const fyStart = m >= 4 ? y : y - 1;
  return [
    { text: 'This month so far', from: iso(y, m, 1), to: today },
    { text: 'Last month', from: iso(y, m - 1, 1), to: iso(y, m, 0) },
    { text: 'The last full quarter', from: iso(lastQuarterStart[0]!, lastQuarterStart[1]!, 1), to: iso(lastQuarterStart[0]!, lastQuarterStart[1]! + 3, 0) },
    { text: `This financial year so far (from 1 April ${fyStart})`, from: iso(fyStart, 4, 1), to: today },
    { text: `Last financial year (April ${fyStart - 1} to March ${fyStart})`, from: iso(fyStart - 1, 4, 1), to: iso(fyStart, 3, 31) },
  ];
}

export function reportsRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub/reports', requireUser(...HUB_ROLES));

  const show = (res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    page(res, 'hub-reports.njk', { title: 'Reports', section: 'reports', presets: presetPeriods(londonDay(deps.clock.now())), values: {}, fieldErrors: {}, ...extra }, status);

  r.get('/hub/reports', (_req, res) => show(res));

  r.get('/hub/reports/referrals.csv', async (req, res) => {
    const v = formValues(req.query);
    const fieldErrors: Record<string, string> = {};
    // a preset link carries ISO dates; the form, a day, a month and a year each
    const day = (name: 'from' | 'to', words: string) => {
      if (/^\d{4}-\d{2}-\d{2}$/.test(v[name] ?? '')) return v[name];
      const d = dateFromInput(v, name);
      if (d === 'missing') fieldErrors[name] = `Enter the ${words} day`;
      else if (d === 'invalid') fieldErrors[name] = `Enter a real date for the ${words} day, for example 1 4 2026`;
      else return iso(d.year, d.month, d.day);
      return undefined;
    };
    const from = day('from', 'first');
    const to = day('to', 'last');
    const q = referralExportSchema.safeParse({ from, to });
    if (!Object.keys(fieldErrors).length && !q.success) fieldErrors.to = 'The last day must be the same as the first day or after it';
    if (Object.keys(fieldErrors).length || !q.success) {
      return show(res, { values: v, fieldErrors, errors: Object.entries(fieldErrors).map(([id, text]) => ({ text, href: `#${id}` })) }, 400);
    }
    await sendCsv(res, `signpost-referrals-${q.data.from}-to-${q.data.to}.csv`, referralExportRecords(deps, principalFromSession(res), q.data, req.id === undefined ? undefined : String(req.id)));
  });

  return r;
}
