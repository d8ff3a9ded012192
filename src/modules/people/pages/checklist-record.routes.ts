/**
 * A checklist's record, as its submitter (or the hub) and the person see it: who will contact the
 * person and by when, the hub's call, the printed record left with the person, and recording
 * that the person withdrew their consent (consent.service.ts).
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../../kernel/errors.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { submissionPersonView, withdrawConsentForSubmission } from '../checklist-record.service.js';
import { withdrawDefaults, withdrawValuesOf, withdrawalFromForm, withdrawalRefusal } from './consent-form.js';
import { submissionWithPromises } from '../../intake/index.js';

const SUBMITTERS = ['link_worker', 'coordinator', 'admin'] as const;

export function checklistRecordRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/submissions', requireUser(...SUBMITTERS));
  const hubContact = { HUB_NAME: deps.env.HUB_NAME, HUB_PHONE: deps.env.HUB_PHONE, HUB_HOURS: deps.env.HUB_HOURS, MAIL_REPLY_TO: deps.env.MAIL_REPLY_TO };

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
