/** The hub's follow-up worklist and recording a follow-up call (coordinators and admins). */
import { Router } from 'express';
import { z } from 'zod';
import { badRequest } from '../../kernel/errors.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { followUpListQuerySchema as listQuery, type FollowUpWorklistReply } from './api.schemas.js';
import { listFollowUpWorklist, recordFollowUp, recordFollowUpSchema } from './follow-up-record.service.js';
import { HUB, principalOf, requestIdOf, requireRole } from '../../platform/http/guards.js';


export function followUpsApiRouter(deps: ServiceDeps): Router {
  const r = Router();

  r.get('/follow-ups', requireRole(...HUB), async (req, res) => {
    const q = listQuery.parse(req.query);
    const items = await listFollowUpWorklist(deps, principalOf(res), q.state, q.limit, requestIdOf(req));
    res.json({ state: q.state, items } satisfies FollowUpWorklistReply);
  });

  r.post('/follow-ups/:id', requireRole(...HUB), async (req, res) => {
    const id = z.uuid().safeParse(req.params.id);
    if (!id.success) throw badRequest('invalid id', [{ path: 'id', message: 'must be a UUID' }]);
    const body = recordFollowUpSchema.parse(req.body ?? {});
    res.json(await recordFollowUp(deps, principalOf(res), id.data, body, requestIdOf(req)));
  });

  return r;
}
