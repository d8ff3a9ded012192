import { Router } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { agencyPatchSchema, createAgency, listAgencies, newAgencySchema, updateAgency } from '../agency.service.js';
import { HUB, principalOf, requireRole } from '../../../platform/http/guards.js';
import { uuidParam } from '../../../platform/http/params.js';

export function agenciesApiRouter(deps: ServiceDeps): Router {
  const r = Router();

  /** Every signed-in user: the questionnaire and the referral lists name agencies. */
  r.get('/agencies', async (_req, res) => {
    res.json({ items: await listAgencies(deps) });
  });

  r.post('/agencies', requireRole(...HUB), async (req, res) => {
    const body = newAgencySchema.parse(req.body);
    const agency = await createAgency(deps, principalOf(res), body);
    res.status(201).location(`/api/v1/agencies/${agency.id}`).json(agency);
  });

  r.patch('/agencies/:id', requireRole(...HUB), async (req, res) => {
    const id = uuidParam(req.params.id);
    const body = agencyPatchSchema.parse(req.body);
    res.json(await updateAgency(deps, principalOf(res), id, body));
  });

  return r;
}
