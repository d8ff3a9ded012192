/** The outcome codes: read by everyone signed in (the active ones; the hub sees all), managed by the hub. */
import { Router } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { createOutcome, listOutcomes, newOutcomeSchema, outcomePatchSchema, updateOutcome } from '../outcome.service.js';
import { notFound } from '../../../kernel/errors.js';
import { HUB, principalOf, requireRole } from '../../../platform/http/guards.js';

const CODE = /^[a-z][a-z0-9_]{1,39}$/;

export function outcomesApiRouter(deps: ServiceDeps): Router {
  const r = Router();

  r.get('/outcomes', async (_req, res) => {
    res.json({ items: await listOutcomes(deps, principalOf(res)) });
  });

  r.post('/outcomes', requireRole(...HUB), async (req, res) => {
    const outcome = await createOutcome(deps, principalOf(res), newOutcomeSchema.parse(req.body));
    res.status(201).location(`/api/v1/outcomes/${outcome.code}`).json(outcome);
  });

  r.patch('/outcomes/:code', requireRole(...HUB), async (req, res) => {
    const code = String(req.params.code);
    if (!CODE.test(code)) throw notFound('outcome');
    res.json(await updateOutcome(deps, principalOf(res), code, outcomePatchSchema.parse(req.body)));
  });

  return r;
}
