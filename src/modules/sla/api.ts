/** SLA views for the hub: GET /sla/breaches and GET /sla/summary (coordinators and admins). */
import { Router } from 'express';
import type { ServiceDeps } from '../../platform/deps.js';
import { breachQuerySchema as breachQuery, type SlaSummaryReply } from './api.schemas.js';
import { getBreaches, getSlaSummary } from './sla-report.service.js';
import { HUB, requireRole } from '../../platform/http/guards.js';


export function slaApiRouter(deps: ServiceDeps): Router {
  const r = Router();

  r.get('/sla/breaches', requireRole(...HUB), async (req, res) => {
    const q = breachQuery.parse(req.query);
    const items = await getBreaches(deps, q);
    res.json({ items });
  });

  r.get('/sla/summary', requireRole(...HUB), async (_req, res) => {
    res.json((await getSlaSummary(deps)) satisfies SlaSummaryReply);
  });

  return r;
}
