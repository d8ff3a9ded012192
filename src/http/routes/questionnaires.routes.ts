import { Router } from 'express';
import { notFound } from '../../errors.js';
import { findCurrentQuestionnaireId } from '../../db/questionnaire.repository.js';
import type { ServiceDeps } from '../../services/deps.js';

export function questionnairesRouter(deps: ServiceDeps): Router {
  const r = Router();

  /** The current published version, as link workers fill it in. */
  r.get('/questionnaire', async (_req, res) => {
    const id = await findCurrentQuestionnaireId(deps.db);
    const q = id ? await deps.questionnaires.get(id) : undefined;
    if (!q) throw notFound('a published questionnaire');
    res.json({
      id: q.id,
      version: q.version,
      title: q.title,
      publishedAt: q.publishedAt,
      sections: q.sections.map((s) => ({
        id: s.id,
        title: s.title,
        questions: s.questions.map((x) => ({ id: x.id, text: x.text, agencyId: x.agencyId, agencyName: x.agencyName })),
      })),
    });
  });

  return r;
}
