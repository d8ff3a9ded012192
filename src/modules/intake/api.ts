import { Router } from 'express';
import { z } from 'zod';
import { badRequest } from '../../kernel/errors.js';
import type { ServiceDeps } from '../../platform/deps.js';
import { channelFieldsSchema, resolveChannel } from './channel.service.js';
import { submitQuestionnaire } from './submission.service.js';
import { getSubmission } from './submission-read.service.js';
import { submissionBodySchema } from './submission.schema.js';
import { HUB, principalOf, requestIdOf, requireRole } from '../../platform/http/guards.js';

// Idempotency-Key (IETF httpapi draft): an opaque string; we accept up to 255 visible characters.
const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/);

export function submissionsApiRouter(deps: ServiceDeps): Router {
  const r = Router();

  r.post('/submissions', requireRole('link_worker', ...HUB), async (req, res) => {
    const header = req.get('idempotency-key');
    if (header !== undefined && !idempotencyKeySchema.safeParse(header).success) {
      throw badRequest('invalid Idempotency-Key', [{ path: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }]);
    }
    const body = submissionBodySchema.parse(req.body);
    // how it came in: the API's own (link workers), or paper/phone keyed in by the hub
    const { via, receivedAt } = await resolveChannel(deps, principalOf(res), channelFieldsSchema.parse(req.body));
    const result = await submitQuestionnaire(deps, principalOf(res), body, {
      idempotencyKey: header,
      rawBody: req.body,
      requestId: requestIdOf(req),
      via,
      receivedAt,
    });
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    res.status(result.status).location(`/api/v1/submissions/${result.body.id}`).json(result.body);
  });

  r.get('/submissions/:id', async (req, res) => {
    const id = z.uuid().safeParse(req.params.id);
    if (!id.success) throw badRequest('invalid id', [{ path: 'id', message: 'must be a UUID' }]);
    const { personId: _personId, answers: _answers, ...submission } = await getSubmission(deps, principalOf(res), id.data, requestIdOf(req));
    res.json(submission);
  });

  return r;
}
