import { Router } from 'express';
import { notFound } from '../../kernel/errors.js';
import type { ServiceDeps } from '../../platform/deps.js';
import {
  createQuestionnaireDraft,
  currentQuestionnaire,
  getQuestionnaire,
  listQuestionnaires,
  newQuestionnaireSchema,
  publishQuestionnaire,
  questionnairePatchSchema,
  updateQuestionnaireDraft,
} from './questionnaire.service.js';
import type { CurrentQuestionnaireReply, QuestionnaireListReply } from './api.schemas.js';
import { HUB, requireRole } from '../../platform/http/guards.js';
import { uuidParam } from '../../platform/http/params.js';

export function questionnairesApiRouter(deps: ServiceDeps): Router {
  const r = Router();

  /** The current published version, as link workers fill it in. */
  r.get('/questionnaire', async (_req, res) => {
    const q = await currentQuestionnaire(deps);
    if (!q) throw notFound('a published questionnaire');
    res.json({
      id: q.id,
      version: q.version,
      title: q.title,
      publishedAt: q.publishedAt,
      sections: q.sections.map((s) => ({
        id: s.id,
        title: s.title,
        questions: s.questions.map((x) => ({ id: x.id, text: x.text, agencyId: x.agencyId, agencyName: x.agencyName, fallbackAgencyId: x.fallbackAgencyId })),
      })),
    } satisfies CurrentQuestionnaireReply);
  });

  // Managing versions: the hub only.
  r.get('/questionnaires', requireRole(...HUB), async (_req, res) => {
    const items = await listQuestionnaires(deps);
    res.json({ items: items.map(({ id, version, title, status, isCurrent, createdAt, publishedAt }) => ({ id, version, title, status, isCurrent, createdAt, publishedAt })) } satisfies QuestionnaireListReply);
  });

  r.post('/questionnaires', requireRole(...HUB), async (req, res) => {
    const body = newQuestionnaireSchema.parse(req.body ?? {});
    const q = await createQuestionnaireDraft(deps, body);
    res.status(201).location(`/api/v1/questionnaires/${q.id}`).json(q);
  });

  r.get('/questionnaires/:id', requireRole(...HUB), async (req, res) => {
    res.json(await getQuestionnaire(deps, uuidParam(req.params.id)));
  });

  r.patch('/questionnaires/:id', requireRole(...HUB), async (req, res) => {
    const id = uuidParam(req.params.id);
    const body = questionnairePatchSchema.parse(req.body);
    res.json(await updateQuestionnaireDraft(deps, id, body));
  });

  r.post('/questionnaires/:id/publish', requireRole(...HUB), async (req, res) => {
    res.json(await publishQuestionnaire(deps, uuidParam(req.params.id)));
  });

  return r;
}
