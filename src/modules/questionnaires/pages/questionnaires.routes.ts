/** The hub's checklist versions: the list, a draft's editor, and publishing it. */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { ServiceDeps } from '../../../platform/deps.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { formProblems, formValues } from '../../../platform/pages/forms.js';
import { requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { createQuestionnaireDraft, getQuestionnaire, listQuestionnaires, publishQuestionnaire, questionnairePatchSchema, updateQuestionnaireDraft } from '../questionnaire.service.js';
import { listAgencies } from '../../directory/index.js';

const uuid = z.uuid();
const problems = (err: unknown, prefix: string) => formProblems(err, prefix, { title: 'Title', sections: 'Sections' });

export function questionnairePagesRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub/questionnaires', requireUser(...HUB_ROLES));

  // ---- checklist versions ----
  r.get('/hub/questionnaires', async (req, res) => {
    page(res, 'hub-questionnaires.njk', { title: 'Checklist versions', section: 'questionnaires', versions: await listQuestionnaires(deps), flash: req.query.done ? 'Published. New checklists use this version from now on.' : undefined });
  });

  r.post('/hub/questionnaires', async (_req, res) => {
    const q = await createQuestionnaireDraft(deps, { copyFrom: 'current' });
    res.redirect(303, `/hub/questionnaires/${q.id}`);
  });

  const showDraft = async (res: Response, id: string, extra: Record<string, unknown> = {}, status = 200) => {
    const [q, agencies] = await Promise.all([getQuestionnaire(deps, id), listAgencies(deps)]);
    page(res, 'hub-questionnaire.njk', { title: `Checklist version ${q.version}`, section: 'questionnaires', q, agencies, fieldErrors: {}, back: { href: '/hub/questionnaires', text: 'Back to versions' }, ...extra }, status);
  };

  r.get('/hub/questionnaires/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    await showDraft(res, id.data, { flash: req.query.done ? 'Draft saved.' : undefined });
  });

  /**
   * The draft editor posts every section and question as flat fields (s0_title, s0_q1_text,
   * s0_q1_agency, s0_q1_fallback); a blank question text drops the question, a blank section
   * title the section, a blank fallback means none.
   * One empty row per section and one empty section let a coordinator add without JavaScript.
   */
  r.post('/hub/questionnaires/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const v = formValues(req.body);
    try {
      if (v.action === 'publish') {
        await publishQuestionnaire(deps, id.data);
        return res.redirect(303, '/hub/questionnaires?done=1');
      }
      const sections = [];
      for (let s = 0; v[`s${s}_title`] !== undefined; s++) {
        const title = v[`s${s}_title`]!.trim();
        const questions = [];
        for (let q = 0; v[`s${s}_q${q}_text`] !== undefined; q++) {
          const text = v[`s${s}_q${q}_text`]!.trim();
          if (text) questions.push({ text, agencyId: v[`s${s}_q${q}_agency`] ?? '', fallbackAgencyId: v[`s${s}_q${q}_fallback`] || null });
        }
        if (title) sections.push({ title, questions });
      }
      await updateQuestionnaireDraft(deps, id.data, questionnairePatchSchema.parse({ title: v.title, sections }));
      res.redirect(303, `/hub/questionnaires/${id.data}?done=1`);
    } catch (err) {
      const p = problems(err, 'q');
      if (!p) throw err;
      await showDraft(res, id.data, p, 400);
    }
  });

  return r;
}
