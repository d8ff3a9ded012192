/** SLA views for the hub: GET /sla/breaches and GET /sla/summary (coordinators and admins). */
import { Router } from 'express';
import { z } from 'zod';
import type { ServiceDeps } from '../../platform/deps.js';
import { getBreaches, getSlaSummary } from './sla-report.service.js';
import { HUB, requireRole } from '../../platform/http/guards.js';

const breachQuery = z.object({
  open: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  clock: z.enum(['forward', 'contact', 'follow_up']).optional(),
  agencyId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function slaApiRouter(deps: ServiceDeps): Router {
  const r = Router();

  r.get('/sla/breaches', requireRole(...HUB), async (req, res) => {
    const q = breachQuery.parse(req.query);
    const items = await getBreaches(deps, q);
    res.json({ items });
  });

  r.get('/sla/summary', requireRole(...HUB), async (_req, res) => {
    res.json(await getSlaSummary(deps));
  });

  return r;
}
