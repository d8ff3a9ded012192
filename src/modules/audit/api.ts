/** The audit log (admins only): who saw a person, what a user saw, within a time range. */
import { Router } from 'express';
import { auditQuerySchema, listAudit } from './audit.service.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { principalOf, requestIdOf, requireRole } from '../../platform/http/guards.js';

export function auditApiRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.get('/audit', requireRole('admin'), async (req, res) => {
    const q = auditQuerySchema.parse(req.query);
    res.json(await listAudit(deps, principalOf(res), q, requestIdOf(req)));
  });
  return r;
}
