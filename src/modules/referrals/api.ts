import { Router } from 'express';
import type { ServiceDeps } from '../../platform/deps.js';
import { getReferralForActor, listReferrals, referralListQuerySchema, transitionReferral, transitionSchema } from './referral.service.js';
import type { TransitionReply } from './api.schemas.js';
import { HUB, principalOf, requestIdOf, requireRole } from '../../platform/http/guards.js';
import { uuidParam } from '../../platform/http/params.js';

export function referralsApiRouter(deps: ServiceDeps): Router {
  const r = Router();

  /** The agency inbox (own agency only, always) and the hub's list: newest first, keyset pages. */
  r.get('/referrals', requireRole('agency', ...HUB), async (req, res) => {
    const query = referralListQuerySchema.parse(req.query);
    res.json(await listReferrals(deps, principalOf(res), query, requestIdOf(req)));
  });

  /** Link workers and other agencies get 404 here, as if the referral did not exist. */
  r.get('/referrals/:id', async (req, res) => {
    res.json(await getReferralForActor(deps, principalOf(res), uuidParam(req.params.id), requestIdOf(req)));
  });

  r.post('/referrals/:id/transitions', requireRole('agency', ...HUB), async (req, res) => {
    const id = uuidParam(req.params.id);
    const body = transitionSchema.parse(req.body);
    const out = await transitionReferral(deps, { principal: principalOf(res), requestId: requestIdOf(req) }, id, body);
    res.json({
      id: out.id,
      reference: out.reference,
      submissionId: out.submissionId,
      agencyId: out.agencyId,
      status: out.status,
      receivedAt: out.receivedAt,
      heldUntil: out.heldUntil,
      forwardDueAt: out.forwardDueAt,
      forwardedAt: out.forwardedAt,
      contactDueAt: out.contactDueAt,
      contactedAt: out.contactedAt,
      closedAt: out.closedAt,
      outcome: out.outcome,
      onHoldUntil: out.onHoldUntil,
      reroutedFromId: out.reroutedFromId,
      reroutedToId: out.reroutedToId,
      updatedAt: out.updatedAt,
      allowedNext: out.allowedNext,
      replacement: out.replacement,
    } satisfies TransitionReply);
  });

  return r;
}
