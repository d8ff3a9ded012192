/** The link worker's pages: the checklist, the confirmation and postcard, and "My submissions". */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../../kernel/errors.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { currentQuestionnaire } from '../../questionnaires/questionnaire.service.js';
import { checklistWaits } from '../../capacity/capacity.service.js';
import { submitQuestionnaire } from '../submission.service.js';
import { listMySubmissions, submissionWithPromises } from '../submission-read.service.js';
import { submissionPersonView, withdrawConsentForSubmission } from '../web-submission.js';
import { withdrawDefaults, withdrawValuesOf, withdrawalFromForm, withdrawalRefusal } from '../../people/pages/consent-form.js';
import { bodyFromForm, problemsFrom, sectionTicks } from './checklist-form.js';
import { formValues, type FormValues } from '../../../platform/pages/forms.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { WELLBEING_FIELDS } from '../../people/pages/wellbeing-form.js';
import { page } from '../../../platform/pages/render.js';

const SUBMITTERS = ['link_worker', 'coordinator', 'admin'] as const;
const KEY = /^[A-Za-z0-9-]{8,100}$/;

export function linkWorkerRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use(['/checklist', '/submissions'], requireUser(...SUBMITTERS));

  const current = () => currentQuestionnaire(deps);
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
        wellbeingQuestions: WELLBEING_FIELDS,
        // beside each question: its agency's wait, or where it goes while closed (a cached read)
        waits: await checklistWaits(deps, questionnaire),
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
    const { body, issues } = bodyFromForm(values, ticks, questionnaire, deps.clock.now());
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

  const idParam = z.uuid();
  const loadSubmission = async (req: Request, res: Response) => {
    const id = idParam.safeParse(req.params.id);
    if (!id.success) return undefined;
    try {
      return await submissionWithPromises(deps, principalFromSession(res), id.data, req.id === undefined ? undefined : String(req.id));
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return undefined;
      throw err;
    }
  };

  const showSubmission = async (req: Request, res: Response, s: NonNullable<Awaited<ReturnType<typeof loadSubmission>>>, extra: Record<string, unknown> = {}, status = 200) => {
    const withdrawalId = req.query.done === 'withdrawn' && idParam.safeParse(req.query.withdrawal).success ? String(req.query.withdrawal) : undefined;
    const pv = await submissionPersonView(deps, principalFromSession(res), s.id, withdrawalId);
    page(
      res,
      'submission.njk',
      {
        title: pv.withdrawal ? 'Consent withdrawal recorded' : req.query.sent ? 'Checklist sent' : `Submission ${s.reference}`,
        section: 'submissions',
        s,
        pv,
        sent: Boolean(req.query.sent) && !pv.withdrawal,
        hub: hubContact,
        withdrawValues: withdrawDefaults(deps.clock.now()),
        withdrawErrors: {},
        ...extra,
      },
      status,
    );
  };

  r.get('/submissions/:id', async (req, res) => {
    const s = await loadSubmission(req, res);
    if (!s) return page(res, 'error.njk', { title: 'Page not found', message: 'There is no submission here that you can see.' }, 404);
    await showSubmission(req, res, s);
  });

  /** Consent withdrawn from the submission's page: for the person it is about (consent.service.ts). */
  r.post('/submissions/:id/withdraw-consent', async (req, res) => {
    const s = await loadSubmission(req, res);
    if (!s) return page(res, 'error.njk', { title: 'Page not found', message: 'There is no submission here that you can see.' }, 404);
    const principal = principalFromSession(res);
    const { liveAgencies } = await submissionPersonView(deps, principal, s.id);
    const form = withdrawalFromForm(req.body, liveAgencies.map((a) => a.agencyId), deps.clock.now());
    if (!form.ok) return showSubmission(req, res, s, { withdrawValues: form.values, withdrawErrors: form.problems.fieldErrors, errors: form.problems.errors, withdrawOpen: true }, 400);
    try {
      const done = await withdrawConsentForSubmission(deps, principal, s.id, form.body, req.id === undefined ? undefined : String(req.id));
      res.redirect(303, `/submissions/${s.id}?done=withdrawn&withdrawal=${done.id}`);
    } catch (err) {
      const p = withdrawalRefusal(err);
      if (!p) throw err;
      await showSubmission(req, res, s, { withdrawValues: withdrawValuesOf(req.body), withdrawErrors: p.fieldErrors, errors: p.errors, withdrawOpen: true }, (err as AppError).status);
    }
  });

  r.get('/submissions/:id/postcard', async (req, res) => {
    const s = await loadSubmission(req, res);
    if (!s) return page(res, 'error.njk', { title: 'Page not found', message: 'There is no submission here that you can see.' }, 404);
    page(res, 'postcard.njk', { title: `Your referral record ${s.reference}`, s, hub: hubContact, back: { href: `/submissions/${s.id}` } });
  });

  return r;
}
