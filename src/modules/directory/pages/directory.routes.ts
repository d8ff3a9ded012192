/** The hub's management pages: agencies, checklist versions, sent mail, users. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ORGANISATION_TYPES, ORGANISATION_TYPE_LABELS } from '../../../kernel/organisation-types.js';
import { PERSON_FIELDS, PERSON_FIELD_LABELS } from '../../../kernel/person-fields.js';
import { AppError, badRequest } from '../../../kernel/errors.js';
import { capacityOverview } from '../../capacity/capacity.service.js';
import { agencyPatchSchema, createAgency, listAgencies, newAgencySchema, updateAgency } from '../agency.service.js';
import { createOutcome, listOutcomes, newOutcomeSchema, outcomePatchSchema, updateOutcome } from '../outcome.service.js';
import { createOrganisation, listOrganisations, newOrganisationSchema, organisationPatchSchema, updateOrganisation } from '../organisation.service.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { passwordSchema } from '../../accounts/password.service.js';
import { createQuestionnaireDraft, getQuestionnaire, listQuestionnaires, publishQuestionnaire, questionnairePatchSchema, updateQuestionnaireDraft } from '../../questionnaires/questionnaire.service.js';
import { createUserWithPassword, disableUser, listUsersForHub, newUserSchema, setUserPassword } from '../../accounts/user.service.js';
import { listMail } from '../../notifications/notification.service.js';
import { formValues } from '../../intake/pages/checklist-form.js';
import { HUB_ROLES } from '../../../platform/pages/charts.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { flashFor } from '../../referrals/pages/referral-actions.js';

const uuid = z.uuid();
const PERSON_FIELD_ITEMS = PERSON_FIELDS.map((f) => ({ value: f, text: PERSON_FIELD_LABELS[f] }));
const ORGANISATION_TYPE_ITEMS = ORGANISATION_TYPES.map((t) => ({ value: t, text: ORGANISATION_TYPE_LABELS[t] }));
type Details = { path?: string; message: string }[];
/** Field names as the forms label them, for the error summary. */
const FIELD_WORDS: Record<string, string> = { name: 'Name', type: 'Type', organisationId: 'Organisation', code: 'Code', label: 'Label', snomedCode: 'SNOMED CT code', snomedTerm: 'SNOMED CT term', contactDays: 'Days to contact the person', contactClock: 'Counted in' };

/** Turns a zod error or an AppError with details into error-summary items keyed `${prefix}-${field}`. */
function problems(err: unknown, prefix: string): { errors: { text: string; href: string }[]; fieldErrors: Record<string, string> } | undefined {
  let details: Details | undefined;
  if (err instanceof z.ZodError) details = err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  else if (err instanceof AppError && err.status < 500 && err.status !== 404) details = Array.isArray(err.details) ? (err.details as Details) : [{ message: err.message }];
  if (!details) return undefined;
  const fieldErrors: Record<string, string> = {};
  const errors = details.map((d) => {
    const id = d.path ? `${prefix}-${d.path.split('.')[0]}` : `${prefix}-form`;
    const field = d.path?.split('.')[0] ?? '';
    const text = field === 'personFields' ? 'Details this agency receives: choose from the list' : d.path ? `${FIELD_WORDS[field] ?? d.path.replace(/\./g, ' ')}: ${d.message}` : d.message;
    fieldErrors[id] ??= text;
    return { text, href: `#${id}` };
  });
  return { errors, fieldErrors };
}

const blank = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : s.trim());

/**
 * The ticked "Details this agency receives" boxes (repeated `personFields`). The form also sends
 * `personFieldsShown`, so that no box ticked (the name only) is told apart from a form without
 * the boxes (left unchanged).
 */
function personFieldsOf(body: unknown): string[] | undefined {
  const b = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  if (!Object.hasOwn(b, 'personFieldsShown')) return undefined;
  const raw = Object.hasOwn(b, 'personFields') ? b.personFields : [];
  return (Array.isArray(raw) ? raw : [raw]).filter((x): x is string => typeof x === 'string');
}

export function hubAdminRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use(['/hub/agencies', '/hub/outcomes', '/hub/organisations', '/hub/questionnaires', '/hub/mail'], requireUser(...HUB_ROLES));
  // accounts are an admin's, not a coordinator's (README "Security and privacy")
  r.use('/hub/users', requireUser('admin'));

  // ---- agencies ----
  const showAgencies = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const [agencies, capacity] = await Promise.all([listAgencies(deps), capacityOverview(deps, principalFromSession(res))]);
    page(res, 'hub-agencies.njk', { title: 'Agencies', section: 'agencies', agencies, capacity: Object.fromEntries(capacity.map((c) => [c.agencyId, c])), values: {}, fieldErrors: {}, defaultContactDays: deps.env.CONTACT_WITHIN_DAYS, defaultContactClock: deps.env.CONTACT_CLOCK, personFields: PERSON_FIELD_ITEMS, ...extra }, status);
  };

  r.get('/hub/agencies', async (req, res) => showAgencies(res, { flash: req.query.done ? 'Agency saved.' : undefined }));

  r.post('/hub/agencies', async (req, res) => {
    const v = formValues(req.body);
    try {
      await createAgency(deps, principalFromSession(res), newAgencySchema.parse({ name: v.name ?? '', email: v.email ?? '', phone: blank(v.phone) ?? null, contactDays: blank(v.contactDays), contactClock: blank(v.contactClock), personFields: personFieldsOf(req.body) }));
      res.redirect(303, '/hub/agencies?done=1');
    } catch (err) {
      const p = problems(err, 'new');
      if (!p) throw err;
      await showAgencies(res, { ...p, values: { ...v, personFields: personFieldsOf(req.body) ?? [] } }, 400);
    }
  });

  r.post('/hub/agencies/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const v = formValues(req.body);
    try {
      const patch = agencyPatchSchema.parse({ email: blank(v.email), phone: blank(v.phone) ?? null, status: blank(v.status), contactDays: blank(v.contactDays), contactClock: blank(v.contactClock), personFields: personFieldsOf(req.body) });
      await updateAgency(deps, principalFromSession(res), id.data, patch);
      res.redirect(303, '/hub/agencies?done=1');
    } catch (err) {
      const p = problems(err, id.data);
      if (!p) throw err;
      await showAgencies(res, p, 400);
    }
  });

  // ---- outcome codes ----
  const showOutcomes = async (res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    page(res, 'hub-outcomes.njk', { title: 'Outcomes', section: 'outcomes', outcomes: await listOutcomes(deps, principalFromSession(res)), values: {}, fieldErrors: {}, ...extra }, status);

  r.get('/hub/outcomes', async (req, res) => showOutcomes(res, { flash: req.query.done ? 'Outcome saved.' : undefined }));

  r.post('/hub/outcomes', async (req, res) => {
    const v = formValues(req.body);
    try {
      await createOutcome(deps, principalFromSession(res), newOutcomeSchema.parse({ code: v.code ?? '', label: v.label ?? '', snomedCode: blank(v.snomedCode) ?? null, snomedTerm: blank(v.snomedTerm) ?? null }));
      res.redirect(303, '/hub/outcomes?done=1');
    } catch (err) {
      const p = problems(err, 'new');
      if (!p) throw err;
      await showOutcomes(res, { ...p, values: v }, (err as { status?: number }).status === 409 ? 409 : 400);
    }
  });

  r.post('/hub/outcomes/:code', async (req, res, next) => {
    const code = String(req.params.code);
    if (!/^[a-z][a-z0-9_]{1,39}$/.test(code)) return next();
    const v = formValues(req.body);
    try {
      const patch = outcomePatchSchema.parse({ label: blank(v.label), active: v.active === undefined ? undefined : v.active === 'yes', snomedCode: blank(v.snomedCode) ?? null, snomedTerm: blank(v.snomedTerm) ?? null });
      await updateOutcome(deps, principalFromSession(res), code, patch);
      res.redirect(303, '/hub/outcomes?done=1');
    } catch (err) {
      const p = problems(err, code);
      if (!p) throw err;
      await showOutcomes(res, p, (err as { status?: number }).status === 409 ? 409 : 400);
    }
  });

  // ---- referrer organisations ----
  const showOrganisations = async (res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    page(res, 'hub-organisations.njk', { title: 'Organisations', section: 'organisations', organisations: await listOrganisations(deps), types: ORGANISATION_TYPE_ITEMS, values: {}, fieldErrors: {}, ...extra }, status);

  r.get('/hub/organisations', async (req, res) => showOrganisations(res, { flash: req.query.done ? 'Organisation saved.' : undefined }));

  r.post('/hub/organisations', async (req, res) => {
    const v = formValues(req.body);
    try {
      await createOrganisation(deps, principalFromSession(res), newOrganisationSchema.parse({ name: v.name ?? '', type: v.type ?? '' }));
      res.redirect(303, '/hub/organisations?done=1');
    } catch (err) {
      const p = problems(err, 'new');
      if (!p) throw err;
      await showOrganisations(res, { ...p, values: v }, (err as { status?: number }).status === 409 ? 409 : 400);
    }
  });

  r.post('/hub/organisations/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const v = formValues(req.body);
    try {
      const patch = organisationPatchSchema.parse({ name: blank(v.name), type: blank(v.type), active: v.active === undefined ? undefined : v.active === 'yes' });
      await updateOrganisation(deps, principalFromSession(res), id.data, patch);
      res.redirect(303, '/hub/organisations?done=1');
    } catch (err) {
      const p = problems(err, id.data);
      if (!p) throw err;
      await showOrganisations(res, p, (err as { status?: number }).status === 409 ? 409 : (err as { status?: number }).status === 404 ? 404 : 400);
    }
  });

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

  // ---- mail ----
  r.get('/hub/mail', async (req, res) => {
    const failedOnly = req.query.failed === '1';
    page(res, 'hub-mail.njk', { title: 'Sent mail', section: 'mail', failedOnly, mail: await listMail(deps, principalFromSession(res), failedOnly) });
  });

  // ---- users ----
  const showUsers = async (res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    page(res, 'hub-users.njk', { title: 'Users', section: 'users', users: await listUsersForHub(deps, principalFromSession(res)), agencies: await listAgencies(deps), organisations: (await listOrganisations(deps)).filter((o) => o.active), values: {}, fieldErrors: {}, ...extra }, status);

  r.get('/hub/users', async (req, res) => showUsers(res, { flash: flashFor(req.query.done, { created: 'User created.', password: 'Password set.', disabled: 'User disabled.' }) }));

  r.post('/hub/users', async (req: Request, res) => {
    const v = formValues(req.body);
    try {
      const input = newUserSchema.parse({ role: v.role, name: v.name ?? '', email: v.email ?? '', agencyId: v.role === 'agency' ? blank(v.agencyId) : null, organisationId: v.role === 'link_worker' ? blank(v.organisationId) : null });
      // on this page a new link worker names their organisation (the reports group referrals by it)
      if (input.role === 'link_worker' && !input.organisationId) throw badRequest('invalid user', [{ path: 'organisationId', message: 'choose the organisation this link worker works for' }]);
      const { password } = z.object({ password: passwordSchema }).parse({ password: v.password ?? '' });
      await createUserWithPassword(deps, principalFromSession(res), input, password);
      res.redirect(303, '/hub/users?done=created');
    } catch (err) {
      const p = problems(err, 'new');
      if (!p) throw err;
      await showUsers(res, { ...p, values: { ...v, password: '' } }, err instanceof AppError ? err.status : 400);
    }
  });

  r.post('/hub/users/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const v = formValues(req.body);
    try {
      if (v.action === 'disable') {
        await disableUser(deps, principalFromSession(res), id.data);
        return res.redirect(303, '/hub/users?done=disabled');
      }
      await setUserPassword(deps, principalFromSession(res), id.data, z.object({ password: passwordSchema }).parse({ password: v.password ?? '' }).password);
      res.redirect(303, '/hub/users?done=password');
    } catch (err) {
      const p = problems(err, id.data);
      if (!p) throw err;
      await showUsers(res, p, err instanceof AppError ? err.status : 400);
    }
  });

  return r;
}
