import { Router } from 'express';
import type { ServiceDeps } from '../../platform/deps.js';
import { capacityActorOf, capacityInputSchema, getAgencyCapacity, setAgencyCapacity } from './capacity.service.js';
import { HUB, principalOf, requireRole } from '../../platform/http/guards.js';
import { uuidParam } from '../../platform/http/params.js';

/** An agency's capacity: its own users and the hub read and set it (modules/capacity/capacity.service.ts). */
export function capacityApiRouter(deps: ServiceDeps): Router {
  const r = Router();

  r.get('/agencies/:id/capacity', requireRole('agency', ...HUB), async (req, res) => {
    const id = uuidParam(req.params.id);
    res.json(await getAgencyCapacity(deps, capacityActorOf(principalOf(res)), id, { history: true }));
  });

  /** The whole capacity; sending the same again confirms it. */
  r.put('/agencies/:id/capacity', requireRole('agency', ...HUB), async (req, res) => {
    const id = uuidParam(req.params.id);
    const body = capacityInputSchema.parse(req.body);
    res.json(await setAgencyCapacity(deps, capacityActorOf(principalOf(res)), id, body, 'api'));
  });

  return r;
}
