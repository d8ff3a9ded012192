/** Referrer organisations: read by everyone signed in, managed by the hub. */
import { Router } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { createOrganisation, listOrganisations, newOrganisationSchema, organisationPatchSchema, updateOrganisation } from '../organisation.service.js';
import { HUB, principalOf, requireRole } from '../../../platform/http/guards.js';
import { uuidParam } from '../../../platform/http/params.js';

export function organisationsApiRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.get('/organisations', async (_req, res) => {
    res.json({ items: await listOrganisations(deps) });
  });
  r.post('/organisations', requireRole(...HUB), async (req, res) => {
    const o = await createOrganisation(deps, principalOf(res), newOrganisationSchema.parse(req.body));
    res.status(201).location(`/api/v1/organisations/${o.id}`).json(o);
  });
  r.patch('/organisations/:id', requireRole(...HUB), async (req, res) => {
    res.json(await updateOrganisation(deps, principalOf(res), uuidParam(req.params.id), organisationPatchSchema.parse(req.body)));
  });
  return r;
}
