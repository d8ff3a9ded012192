/** The coordinators' dashboard: what is at risk now, what waits, and the charts of the last weeks. */
import { Router, type Request } from 'express';
import { ukDayMonth } from '../../../kernel/uk-dates.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { barChart } from '../../../platform/pages/charts.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { hubDashboard } from '../dashboard.service.js';
import { capacityOverview } from '../../capacity/index.js';

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));

export function dashboardRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub', requireUser(...HUB_ROLES));

  r.get('/hub', async (req, res) => {
    const [d, capacity] = await Promise.all([hubDashboard(deps, principalFromSession(res), rid(req)), capacityOverview(deps, principalFromSession(res))]);
    page(res, 'hub-dashboard.njk', {
      title: 'Hub dashboard',
      section: 'hub',
      d,
      // agencies closed now, by name; those whose capacity is unconfirmed (not said for 30 days,
      // or reopened by date) only counted, with a link to the list of them
      capacityClosed: capacity.filter((c) => c.status === 'closed'),
      capacityUnconfirmed: capacity.filter((c) => c.unconfirmed).length,
      volumeChart: barChart(d.weekly.map((w) => ({ label: `w/b ${ukDayMonth(w.weekStart)}`, value: w.count }))),
      complianceChart: barChart(d.compliance.map((c) => ({ label: c.agencyName, value: c.percent, ok: c.percent >= 90 })), { max: 100, unit: '%' }),
    });
  });

  return r;
}
