/** The hub's management pages: agencies, checklist versions, sent mail, users. */
import { Router, type Response } from 'express';
import { z } from 'zod';
import { ORGANISATION_TYPES, ORGANISATION_TYPE_LABELS } from '../../../kernel/organisation-types.js';
import { PERSON_FIELDS, PERSON_FIELD_LABELS } from '../../../kernel/person-fields.js';
import { effectiveCapacity } from '../../../kernel/capacity.js';
import { agencyPatchSchema, createAgency, getAgency, listAgencies, newAgencySchema, updateAgency } from '../agency.service.js';
import { INBOX_NOT_SET } from '../agency-inbox.js';
import { createOutcome, listOutcomes, newOutcomeSchema, outcomePatchSchema, updateOutcome } from '../outcome.service.js';
import { createOrganisation, listOrganisations, newOrganisationSchema, organisationPatchSchema, updateOrganisation } from '../organisation.service.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { formProblems, formValues } from '../../../platform/pages/forms.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';

const uuid = z.uuid();
const PERSON_FIELD_ITEMS = PERSON_FIELDS.map((f) => ({ value: f, text: PERSON_FIELD_LABELS[f] }));
const ORGANISATION_TYPE_ITEMS = ORGANISATION_TYPES.map((t) => ({ value: t, text: ORGANISATION_TYPE_LABELS[t] }));
/** Field names as the forms label them, for the error summary. */
const FIELD_WORDS: Record<string, string> = { name: 'Name', email: 'Email for referrals', phone: 'Phone', status: 'Status', type: 'Type', organisationId: 'Organisation', code: 'Code', label: 'Label', snomedCode: 'SNOMED CT code', snomedTerm: 'SNOMED CT term', contactDays: 'Days to contact the person', contactClock: 'Counted in' };

const problems = (err: unknown, prefix: string) =>
  formProblems(err, prefix, FIELD_WORDS, (field) => (field === 'personFields' ? 'Details this agency receives: choose from the list' : undefined));

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

export function directoryRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use(['/hub/agencies', '/hub/outcomes', '/hub/organisations'], requireUser(...HUB_ROLES));

  // ---- agencies: a list of them all, one page per agency to edit it ----
  const capacityOf = async () => {
    // a fresh read: a coordinator may have just changed one
    deps.capacities.invalidate();
    const records = await deps.capacities.records();
    const now = deps.clock.now();
    return (id: string) => effectiveCapacity(records.get(id), now, deps.env.CAPACITY_UNCONFIRMED_AFTER_DAYS);
  };
  const showAgencies = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const [all, capacityFor] = await Promise.all([listAgencies(deps), capacityOf()]);
    const capacity = Object.fromEntries(all.map((a) => [a.id, capacityFor(a.id)]));
    const agencies = extra.onlyUnconfirmed ? all.filter((a) => capacity[a.id]!.unconfirmed) : all;
    page(res, 'hub-agencies.njk', { title: 'Agencies', section: 'agencies', agencies, capacity, values: {}, fieldErrors: {}, defaultContactDays: deps.env.CONTACT_WITHIN_DAYS, defaultContactClock: deps.env.CONTACT_CLOCK, personFields: PERSON_FIELD_ITEMS, inboxNotSet: INBOX_NOT_SET, ...extra }, status);
  };
  const showAgency = async (res: Response, id: string, extra: Record<string, unknown> = {}, status = 200) => {
    const [agency, capacityFor] = await Promise.all([getAgency(deps, id), capacityOf()]);
    if (!agency) return page(res, 'error.njk', { title: 'Page not found', message: 'There is no agency here.' }, 404);
    page(res, 'hub-agency.njk', { title: agency.name, section: 'agencies', agency, capacity: capacityFor(agency.id), values: {}, fieldErrors: {}, personFields: PERSON_FIELD_ITEMS, inboxNotSet: INBOX_NOT_SET, back: { href: '/hub/agencies', text: 'Back to agencies' }, ...extra }, status);
  };

  r.get('/hub/agencies', async (req, res) => {
    // ?saved=<agency id>: the flash names the agency just saved (its name read here, not taken from the address)
    const saved = uuid.safeParse(req.query.saved);
    const agency = saved.success ? await getAgency(deps, saved.data) : undefined;
    // ?capacity=unconfirmed: only the agencies whose capacity is unconfirmed (the dashboard's link)
    await showAgencies(res, { flash: agency ? `${agency.name} saved.` : undefined, savedId: agency?.id, onlyUnconfirmed: req.query.capacity === 'unconfirmed' });
  });

  r.post('/hub/agencies', async (req, res) => {
    const v = formValues(req.body);
    try {
      const created = await createAgency(deps, principalFromSession(res), newAgencySchema.parse({ name: v.name ?? '', email: v.email ?? '', phone: blank(v.phone) ?? null, contactDays: blank(v.contactDays), contactClock: blank(v.contactClock), personFields: personFieldsOf(req.body) }));
      res.redirect(303, `/hub/agencies?saved=${created.id}`);
    } catch (err) {
      const p = problems(err, 'new');
      if (!p) throw err;
      await showAgencies(res, { ...p, values: { ...v, personFields: personFieldsOf(req.body) ?? [] } }, 400);
    }
  });

  r.get('/hub/agencies/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    await showAgency(res, id.data);
  });

  r.post('/hub/agencies/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const v = formValues(req.body);
    try {
      const patch = agencyPatchSchema.parse({ email: blank(v.email), phone: blank(v.phone) ?? null, status: blank(v.status), contactDays: blank(v.contactDays), contactClock: blank(v.contactClock), personFields: personFieldsOf(req.body) });
      await updateAgency(deps, principalFromSession(res), id.data, patch);
      res.redirect(303, `/hub/agencies?saved=${id.data}`);
    } catch (err) {
      const p = problems(err, 'agency');
      if (!p) throw err;
      // what was typed stays in the form
      await showAgency(res, id.data, { ...p, values: { ...v, personFields: personFieldsOf(req.body) } }, (err as { status?: number }).status === 404 ? 404 : 400);
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

  return r;
}
