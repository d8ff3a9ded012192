/** The link worker's pages: the checklist, the confirmation and postcard, and "My submissions". */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { AppError } from '../../../kernel/errors.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { checklistWaits } from '../../../kernel/capacity.js';
import { readAgencyFacts } from '../../../platform/deps.js';
import { submitQuestionnaire } from '../submission.service.js';
import { listMySubmissions } from '../submission-read.service.js';
import { bodyFromForm, problemsFrom, sectionTicks } from './checklist-form.js';
import { formValues, type FormValues } from '../../../platform/pages/forms.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { currentQuestionnaire } from '../../questionnaires/index.js';
import { WELLBEING_FIELDS, asksWellbeingAt } from '../../wellbeing/index.js';

const SUBMITTERS = ['link_worker', 'coordinator', 'admin'] as const;
const KEY = /^[A-Za-z0-9-]{8,100}$/;

export function linkWorkerRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use(['/checklist', '/submissions'], requireUser(...SUBMITTERS));

  const current = () => currentQuestionnaire(deps);
  // the ONS4 questions, where the hub asks them at the checklist (WELLBEING_ASKED_AT)
  const askWellbeing = asksWellbeingAt(deps.env.WELLBEING_ASKED_AT, 'checklist');
  const hubContact = { HUB_NAME: deps.env.HUB_NAME, HUB_PHONE: deps.env.HUB_PHONE, HUB_HOURS: deps.env.HUB_HOURS, MAIL_REPLY_TO: deps.env.MAIL_REPLY_TO };

  const showForm = async (res: Parameters<typeof page>[0], values: FormValues, extra: Record<string, unknown> = {}, status = 200) => {
    const questionnaire = await current();
    if (!questionnaire) {
      return page(res, 'error.njk', { title: 'No checklist is published', message: 'Ask a hub coordinator to publish the checklist.' }, 503);
    }
    page(
      res,
      'checklist.njk',
      {
        title: questionnaire.title,
        section: 'checklist',
        questionnaire,
        values,
        // one key per form shown: a double click, the back button or a retry all replay it
        idempotencyKey: values.idempotencyKey && KEY.test(values.idempotencyKey) ? values.idempotencyKey : randomUUID(),
        consentRecordedAt: values.consentRecordedAt ?? deps.clock.now().toISOString(),
        sections: {},
        wellbeingQuestions: askWellbeing ? WELLBEING_FIELDS : [],
        // beside each question: its agency's wait, or where it goes while closed (a cached read)
        waits: checklistWaits((await readAgencyFacts(deps, deps.clock.now())).capacity, questionnaire),
        hub: hubContact,
        fieldErrors: {},
        ...extra,
      },
      status,
    );
  };

  r.get('/checklist', async (_req, res) => {
    // The blank form holds no personal data. Letting the browser keep it (not no-store) means
    // the back button shows the SAME form, with the same idempotency key: sending it again
    // replays the first submission instead of making a second.
    res.set('Cache-Control', 'private, no-cache');
    await showForm(res, {});
  });

  r.post('/checklist', async (req, res) => {
    const values = formValues(req.body);
    const questionnaire = await current();
    if (!questionnaire || values.questionnaireId !== questionnaire.id) {
      return showForm(res, values, { errors: [{ text: 'The checklist changed while you were filling it in. Check your answers and send it again.', href: '#main-form' }] }, 409);
    }
    const texts = new Map(questionnaire.sections.flatMap((s) => s.questions.map((q) => [q.id, q.text] as const)));
    const ticks = sectionTicks(req.body, questionnaire);
    const { body, issues } = bodyFromForm(values, ticks, questionnaire, deps.clock.now(), { wellbeing: askWellbeing });
    if (!body) return showForm(res, values, { sections: ticks, ...problemsFrom(issues, texts) }, 400);
    const key = values.idempotencyKey && KEY.test(values.idempotencyKey) ? values.idempotencyKey : undefined;
    // the fingerprint covers what was entered (every tick too), not the per-page CSRF token
    const { _csrf: _ignored, ...typed } = values;
    const rawBody = { ...typed, ...Object.fromEntries(Object.entries(ticks).map(([k, v]) => [`s_${k}`, [...v].sort()])) };
    try {
      const result = await submitQuestionnaire(deps, principalFromSession(res), body, { idempotencyKey: key, rawBody, requestId: req.id === undefined ? undefined : String(req.id), via: { channel: 'web' } });
      res.redirect(303, `/submissions/${result.body.id}?sent=1`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      if (Array.isArray(err.details) && err.details.length) {
        return showForm(res, values, { sections: ticks, ...problemsFrom(err.details as { path: string; message: string }[], texts) }, err.status);
      }
      const text =
        err.code === 'request_in_flight'
          ? 'This checklist is still being sent. Wait a moment, then check My submissions.'
          : err.code === 'idempotency_key_reused'
            ? 'This checklist was already sent, with different answers. To refer someone else, start a new checklist.'
            : err.message;
      return showForm(res, values, { sections: ticks, errors: [{ text, href: '#main-form' }] }, err.status);
    }
  });

  r.get('/submissions', async (req, res) => {
    const submissions = await listMySubmissions(deps, principalFromSession(res), req.id === undefined ? undefined : String(req.id));
    page(res, 'submissions.njk', { title: 'My submissions', section: 'submissions', submissions });
  });

  return r;
}
