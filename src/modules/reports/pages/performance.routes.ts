/**
 * Each agency's own performance page: its clocks, outcomes and needs met for a period, beside
 * every agency's together, all through small-number suppression (performance-view.ts). An
 * agency user sees its own agency's (`/agency/performance`); coordinators and admins open any
 * agency's (`/hub/agencies/:id/performance`). The address holds dates and an agency id only.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { londonDay } from '../../../kernel/uk-dates.js';
import { forbidden } from '../../../kernel/errors.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { agencyPerformance, MAX_SUMMARY_DAYS, periodQuerySchema } from '../report-summary.service.js';
import { formValues } from '../../../platform/pages/forms.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { performanceFigures } from './performance-view.js';
import { errorList, periodValues, presetPeriods, readPeriod } from './report-period.js';
import { page } from '../../../platform/pages/render.js';

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));

export function performanceRouter(deps: ServiceDeps): Router {
  const r = Router();

  const show = async (req: Request, res: Response, agencyId: string, formAction: string, extra: Record<string, unknown>) => {
    const presets = presetPeriods(londonDay(deps.clock.now()));
    const v = formValues(req.query);
    const p = readPeriod(v);
    // real days in order, but longer than a report covers: the form says so (never the service's 500)
    if (!p.none && p.from && p.to && !Object.keys(p.fieldErrors).length && !periodQuerySchema.safeParse({ from: p.from, to: p.to }).success) {
      p.fieldErrors.to = `Choose a period of at most ${MAX_SUMMARY_DAYS} days`;
    }
    const base = { title: 'Performance', presets, formAction, threshold: deps.env.SMALL_NUMBER_THRESHOLD, ...extra };
    if (p.none || (p.from && p.to && !Object.keys(p.fieldErrors).length)) {
      const period = p.none ? presets[0]! : { from: p.from!, to: p.to! };
      const perf = await agencyPerformance(deps, principalFromSession(res), agencyId, period, rid(req));
      const agencyName = perf.agency.filter.agency ?? 'Your agency';
      return page(res, 'agency-performance.njk', { ...base, title: `${agencyName}: performance`, agencyName, perf, figures: performanceFigures(perf, deps.env.SMALL_NUMBER_THRESHOLD), values: periodValues(period.from, period.to), fieldErrors: {} });
    }
    page(res, 'agency-performance.njk', { ...base, agencyName: extra.agencyName ?? 'Your agency', values: v, fieldErrors: p.fieldErrors, errors: errorList(p.fieldErrors) }, 400);
  };

  r.get('/agency/performance', requireUser('agency'), async (req, res) => {
    const { agencyId } = principalFromSession(res);
    if (!agencyId) throw forbidden('this account belongs to no agency');
    await show(req, res, agencyId, '/agency/performance', { section: 'performance' });
  });

  r.get('/hub/agencies/:id/performance', requireUser(...HUB_ROLES), async (req, res, next) => {
    const id = z.uuid().safeParse(req.params.id);
    if (!id.success) return next();
    await show(req, res, id.data, `/hub/agencies/${id.data}/performance`, { section: 'agencies', back: { href: '/hub/agencies', text: 'Back to agencies' } });
  });

  return r;
}
