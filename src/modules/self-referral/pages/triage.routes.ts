/**
 * The hub's ways-in pages: the triage list of self-referrals (call, correct, release or close)
 * and keying in a paper or phone checklist on the referrer's behalf.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../../kernel/errors.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { CLOSE_REASONS, closeSelfReferral, getTriageItem, listTriage, releaseOutcome, releaseSelfReferral } from '../self-referral.service.js';
import type { QuestionnaireView } from '../../../kernel/questionnaire.js';
import type { SelfReferralCloseReason } from '../../../platform/db/database.js';
import { formValues, type FormValues } from '../../../platform/pages/forms.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { resolveChannel, submitQuestionnaire, bodyFromForm, problemsFrom, sectionTicks, type SectionTicks, entryDefaults, entryFieldsFromForm, formFromBody } from '../../intake/index.js';
import { listOrganisations } from '../../directory/index.js';
import { currentQuestionnaire } from '../../questionnaires/index.js';

const uuid = z.uuid();
const triagePlace = z
  .object({ after: z.uuid('is not a self-referral').optional(), before: z.uuid('is not a self-referral').optional() })
  .refine((p) => p.after === undefined || p.before === undefined, { path: ['before'], message: 'cannot be given with "after"' });
const KEY = /^[A-Za-z0-9-]{8,100}$/;
const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));
/** A telephone number as a tel: address: its digits and a leading plus only. */
const telHref = (phone: string) => `tel:${phone.replace(/[^0-9+]/g, '')}`;
/** What the person asked for, as they sent it: each ticked question with the agency it goes to, in checklist order. */
const askedFor = (q: QuestionnaireView, answers: Record<string, boolean>) =>
  q.sections.flatMap((s) => s.questions.filter((x) => answers[x.id] === true).map((x) => ({ text: x.text, agencyName: x.agencyName })));
const texts = (q: QuestionnaireView) => new Map(q.sections.flatMap((s) => s.questions.map((x) => [x.id, x.text] as const)));

export function triageRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use(['/hub/triage', '/hub/checklists'], requireUser(...HUB_ROLES));
  const hub = { HUB_NAME: deps.env.HUB_NAME, HUB_PHONE: deps.env.HUB_PHONE, HUB_HOURS: deps.env.HUB_HOURS };
  const notFoundPage = (res: Response) => page(res, 'error.njk', { title: 'Page not found', message: 'There is no self-referral here.' }, 404);
  const noChecklist = (res: Response) => page(res, 'error.njk', { title: 'No checklist is published', message: 'Publish a checklist first.' }, 503);

  // the list in pages, oldest first: ?after=<id> starts a page after that item, ?before=<id> ends one before it
  r.get('/hub/triage', async (req, res) => {
    const place = triagePlace.safeParse(req.query);
    if (!place.success) {
      const issue = place.error.issues[0]!;
      return page(res, 'error.njk', { title: 'There is no such page of the list', message: `The link's "${issue.path.join('.') || 'page'}" ${issue.message}. Start from the first page of self-referrals.` }, 400);
    }
    const principal = principalFromSession(res);
    // ?released=<item id>, after a release: what it did, read here rather than taken from the address
    const released = uuid.safeParse(req.query.released);
    const list = await listTriage(deps, principal, place.data, rid(req));
    page(res, 'hub-triage.njk', {
      title: 'Self-referrals to call',
      section: 'triage',
      released: released.success ? await releaseOutcome(deps, principal, released.data) : undefined,
      ...list,
      previousHref: list.previous && `/hub/triage?before=${list.previous.before}`,
      nextHref: list.next && `/hub/triage?after=${list.next.after}`,
    });
  });

  // ---- one self-referral: the checklist as sent, to correct on the call and release ----
  const showItem = async (req: Request, res: Response, id: string, form?: { values: FormValues; sections: SectionTicks }, extra: Record<string, unknown> = {}, status = 200) => {
    const item = await getTriageItem(deps, principalFromSession(res), id, rid(req));
    const questionnaire = await currentQuestionnaire(deps);
    if (!questionnaire) return noChecklist(res);
    if (item.status !== 'open' || !item.body) {
      // a form posted to an item already decided (a second release) is told so, with what happened
      const flash = status >= 400 ? 'This self-referral was already released or closed; nothing more was done.' : undefined;
      return page(res, 'hub-triage-decided.njk', { title: `Self-referral ${item.reference}`, section: 'triage', item, flash, reasons: CLOSE_REASONS, back: { href: '/hub/triage', text: 'Back to self-referrals' } }, status >= 400 ? 409 : 200);
    }
    const shown = form ?? formFromBody(item.body, questionnaire);
    page(
      res,
      'hub-triage-item.njk',
      {
        title: `Self-referral ${item.reference}`,
        section: 'triage',
        questionnaire,
        item,
        person: item.body.person,
        phoneHref: item.body.person.phone ? telHref(item.body.person.phone) : undefined,
        asked: askedFor(questionnaire, item.body.answers),
        overdue: item.forwardDueAt.getTime() <= deps.clock.now().getTime(),
        values: shown.values,
        sections: shown.sections,
        formAction: `/hub/triage/${item.id}/release`,
        submitText: 'Release: send to the agencies',
        idempotencyKey: randomUUID(),
        consentRecordedAt: shown.values.consentRecordedAt ?? item.receivedAt.toISOString(),
        hub,
        fieldErrors: {},
        back: { href: '/hub/triage', text: 'Back to self-referrals' },
        ...extra,
      },
      status,
    );
  };

  r.get('/hub/triage/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    try {
      await showItem(req, res, id.data);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return notFoundPage(res);
      throw err;
    }
  });

  r.post('/hub/triage/:id/release', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const values = formValues(req.body);
    const questionnaire = await currentQuestionnaire(deps);
    if (!questionnaire) return noChecklist(res);
    const ticks = sectionTicks(req.body, questionnaire);
    const callNote = (values.callNote ?? '').trim();
    if (callNote.length > 1000) return showItem(req, res, id.data, { values, sections: ticks }, { fieldErrors: { callNote: 'The note must be 1,000 characters or fewer' }, errors: [{ text: 'The note must be 1,000 characters or fewer', href: '#callNote' }] }, 400);
    if (values.questionnaireId !== questionnaire.id) {
      return showItem(req, res, id.data, { values, sections: ticks }, { errors: [{ text: 'The checklist changed meanwhile. Check the answers and release it again.', href: '#main-form' }] }, 409);
    }
    const { body, issues } = bodyFromForm(values, ticks, questionnaire, deps.clock.now());
    if (!body) return showItem(req, res, id.data, { values, sections: ticks }, { ...problemsFrom(issues, texts(questionnaire)) }, 400);
    try {
      await releaseSelfReferral(deps, principalFromSession(res), id.data, body, callNote || null, rid(req));
      // back to the list, which says what the release did (the item's id only in the address)
      res.redirect(303, `/hub/triage?released=${id.data}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      if (err.status === 404) return notFoundPage(res);
      if (err.code === 'not_open') return res.redirect(303, `/hub/triage/${id.data}`);
      const problems = Array.isArray(err.details) && err.details.length ? problemsFrom(err.details as { path: string; message: string }[], texts(questionnaire)) : { errors: [{ text: err.message, href: '#main-form' }] };
      return showItem(req, res, id.data, { values, sections: ticks }, { ...problems }, err.status);
    }
  });

  // ---- close with a reason ----
  const showClose = async (req: Request, res: Response, id: string, extra: Record<string, unknown> = {}, status = 200) => {
    const item = await getTriageItem(deps, principalFromSession(res), id, rid(req));
    if (item.status !== 'open') return res.redirect(303, `/hub/triage/${id}`);
    page(res, 'hub-triage-close.njk', { title: `Close self-referral ${item.reference}`, section: 'triage', item, reasons: CLOSE_REASONS, values: {}, fieldErrors: {}, back: { href: `/hub/triage/${id}`, text: 'Back to the self-referral' }, ...extra }, status);
  };

  r.get('/hub/triage/:id/close', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    try {
      await showClose(req, res, id.data);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return notFoundPage(res);
      throw err;
    }
  });

  r.post('/hub/triage/:id/close', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const values = formValues(req.body);
    const reason = CLOSE_REASONS.find((x) => x.value === values.reason)?.value as SelfReferralCloseReason | undefined;
    const note = (values.note ?? '').trim();
    const fieldErrors: Record<string, string> = {};
    if (!reason) fieldErrors.reason = 'Select why it is being closed';
    else if (reason === 'other' && !note) fieldErrors.note = 'Say why it is being closed';
    if (note.length > 1000) fieldErrors.note = 'The note must be 1,000 characters or fewer';
    try {
      if (Object.keys(fieldErrors).length) {
        return await showClose(req, res, id.data, { values, fieldErrors, errors: Object.entries(fieldErrors).map(([k, text]) => ({ text, href: `#${k}` })) }, 400);
      }
      await closeSelfReferral(deps, principalFromSession(res), id.data, reason!, note || null, rid(req));
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return notFoundPage(res);
      if (!(err instanceof AppError) || err.code !== 'not_open') throw err;
    }
    res.redirect(303, `/hub/triage/${id.data}`);
  });

  // ---- paper and phone: the hub keys in a checklist it received ----
  const showEntry = async (res: Response, values: FormValues, extra: Record<string, unknown> = {}, status = 200) => {
    const questionnaire = await currentQuestionnaire(deps);
    if (!questionnaire) return noChecklist(res);
    const organisations = (await listOrganisations(deps)).filter((o) => o.active);
    page(
      res,
      'hub-entry.njk',
      {
        title: 'Key in a paper or phone checklist',
        section: 'entry',
        questionnaire,
        organisations,
        values,
        formAction: '/hub/checklists/new',
        submitText: 'Send checklist',
        idempotencyKey: values.idempotencyKey && KEY.test(values.idempotencyKey) ? values.idempotencyKey : randomUUID(),
        consentRecordedAt: values.consentRecordedAt ?? deps.clock.now().toISOString(),
        sections: {},
        hub,
        fieldErrors: {},
        ...extra,
      },
      status,
    );
  };

  r.get('/hub/checklists/new', async (_req, res) => showEntry(res, entryDefaults(deps.clock.now())));

  r.post('/hub/checklists/new', async (req, res) => {
    const values = formValues(req.body);
    const questionnaire = await currentQuestionnaire(deps);
    if (!questionnaire) return noChecklist(res);
    if (values.questionnaireId !== questionnaire.id) {
      return showEntry(res, values, { errors: [{ text: 'The checklist changed while you were filling it in. Check your answers and send it again.', href: '#main-form' }] }, 409);
    }
    const ticks = sectionTicks(req.body, questionnaire);
    const entry = entryFieldsFromForm(values);
    // consent was given when the hub received the checklist
    const withConsentTime = { ...values, consentRecordedAt: entry.fields?.receivedAt ?? values.consentRecordedAt ?? '' };
    const { body, issues } = bodyFromForm(withConsentTime, ticks, questionnaire, deps.clock.now());
    const checklist = body ? { fieldErrors: {}, errors: [] } : problemsFrom(issues, texts(questionnaire));
    const entryErrors = Object.entries(entry.fieldErrors).map(([k, text]) => ({ text, href: `#${k}` }));
    if (!body || !entry.fields) {
      return showEntry(res, values, { sections: ticks, fieldErrors: { ...checklist.fieldErrors, ...entry.fieldErrors }, errors: [...entryErrors, ...checklist.errors] }, 400);
    }
    const principal = principalFromSession(res);
    const key = values.idempotencyKey && KEY.test(values.idempotencyKey) ? values.idempotencyKey : undefined;
    const { _csrf: _ignored, ...typed } = values;
    try {
      const { via, receivedAt } = await resolveChannel(deps, principal, entry.fields);
      const result = await submitQuestionnaire(deps, principal, body, { idempotencyKey: key, rawBody: { ...typed, ticks }, requestId: rid(req), via, receivedAt });
      res.redirect(303, `/submissions/${result.body.id}?sent=1`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const details = Array.isArray(err.details) ? (err.details as { path: string; message: string }[]) : [];
      const fieldErrors: Record<string, string> = {};
      for (const d of details) {
        if (d.path === 'receivedAt') fieldErrors['receivedOn-day'] = `The date and time received ${d.message}`;
        else if (d.path.startsWith('referrer')) fieldErrors.referrerOrganisationId = `The organisation ${d.message}`;
      }
      const rest = details.filter((d) => d.path !== 'receivedAt' && !d.path.startsWith('referrer'));
      const more = rest.length ? problemsFrom(rest, texts(questionnaire)) : { fieldErrors: {}, errors: details.length ? [] : [{ text: err.message, href: '#main-form' }] };
      return showEntry(
        res,
        values,
        { sections: ticks, fieldErrors: { ...more.fieldErrors, ...fieldErrors }, errors: [...Object.entries(fieldErrors).map(([k, text]) => ({ text, href: `#${k}` })), ...more.errors] },
        err.status,
      );
    }
  });

  return r;
}
