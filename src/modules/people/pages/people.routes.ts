/**
 * The hub's people pages: finding a person, the likely duplicates (merge or dismiss), a person's
 * whole record with its actions (withdraw consent; an admin's legal hold and erasure), and the
 * subject access export (printable, and as JSON). Every read is audited by the services.
 *
 * The search is a POST: what is typed (a name, a date of birth, a postcode) is personal data,
 * and a GET would put it in the URL, the browser's history and the request log.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { TERMINAL_STATUSES } from '../../../kernel/referral-state.js';
import { AppError } from '../../../kernel/errors.js';
import { withdrawConsent } from '../consent.service.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { erasePerson, erasureSchema, legalHoldSchema, setPersonLegalHold } from '../erasure.service.js';
import { dismissMatch, getPersonRecord, listMatches, mergePeople, personSearchSchema, searchPeople, type PersonRecord } from '../person.service.js';
import { exportPerson } from '../subject-access.service.js';
import { countOpenMatches } from '../web-people.js';
import { formValues } from '../../../platform/pages/forms.js';
import { withdrawDefaults, withdrawValuesOf, withdrawalFromForm, withdrawalRefusal } from './consent-form.js';
import { exportSections } from './export-view.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { personView } from './people-view.js';
import { flashFor } from '../../../platform/pages/forms.js';
import { page } from '../../../platform/pages/render.js';
import { listAgencies } from '../../directory/index.js';

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));
const uuid = z.uuid();
/** Possible duplicates shown at once: the oldest first (exported for the page's test). */
export const MATCHES_PER_PAGE = 25;

const PERSON_DONE: Record<string, string> = {
  hold: 'Legal hold set. Their details cannot be erased, by request or at the end of retention, until it is lifted.',
  unhold: 'Legal hold lifted.',
  erased: 'Their personal details are erased. The anonymous facts (dates, statuses, agencies, outcomes) stay for reports.',
  merged: 'Records merged: this record now holds every checklist, referral and consent of both.',
};

/** An erasure or legal hold refused (409), in plain words. */
function refusalWords(err: AppError): string {
  const d = (err.details ?? {}) as { liveReferrals?: { reference: string; status: string }[]; openChecklists?: { reference: string }[]; reason?: string | null };
  switch (err.code) {
    case 'still_open': {
      const parts = [
        ...(d.liveReferrals ?? []).map((r) => `referral ${r.reference} is still live`),
        ...(d.openChecklists ?? []).map((c) => `checklist ${c.reference} is still open`),
      ];
      return `Their details cannot be erased yet: ${parts.join('; ') || 'something is still open'}. Cancel the live referrals first (withdrawing consent for every agency does), then erase.`;
    }
    case 'legal_hold':
      return `A legal hold is set on this record${d.reason ? ` (${d.reason})` : ''}. Lift it before erasing their details.`;
    case 'already_erased':
      return "This person's details were already erased.";
    case 'person_merged':
      return 'This record was merged into another record of the same person. Use that record instead.';
    default:
      return err.message;
  }
}

export function peopleRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub/people', requireUser(...HUB_ROLES));

  // ---- search ----
  const showSearch = async (res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    page(res, 'hub-people.njk', { title: 'People', section: 'people', matchCount: await countOpenMatches(deps, principalFromSession(res)), values: {}, fieldErrors: {}, ...extra }, status);

  r.get('/hub/people', async (_req, res) => showSearch(res));

  r.post('/hub/people', async (req, res) => {
    const v = formValues(req.body);
    const parsed = personSearchSchema.safeParse({ q: v.q ?? '' });
    const problem = (text: string) => showSearch(res, { values: v, fieldErrors: { q: text }, errors: [{ text, href: '#q' }] }, 400);
    if (!parsed.success) return problem(/at least/.test(parsed.error.issues[0]?.message ?? '') ? 'Type at least 2 characters to search' : 'Type 100 characters or fewer');
    try {
      const results = await searchPeople(deps, principalFromSession(res), parsed.data, rid(req));
      await showSearch(res, { values: v, results, searched: true, title: 'People: search results' });
    } catch (err) {
      if (err instanceof AppError && err.status === 400) {
        const notADay = JSON.stringify(err.details ?? '').includes('is not a real date');
        return problem(notADay ? 'That date of birth is not on the calendar: check the day and month, for example 17/05/1942' : 'Search by name, date of birth (for example 17/05/1942), postcode or reference');
      }
      throw err;
    }
  });

  // ---- likely duplicates ----
  // the oldest pairs a page: each is a card of two records to compare, and each record shown is
  // audited; the next ones show as these are merged or dismissed
  const showMatches = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const principal = principalFromSession(res);
    const [flags, total] = await Promise.all([listMatches(deps, principal, rid(req), MATCHES_PER_PAGE), countOpenMatches(deps, principal)]);
    return page(res, 'hub-matches.njk', { title: 'Possible duplicates', section: 'people', flags, total, back: { href: '/hub/people', text: 'Back to people' }, ...extra }, status);
  };

  r.get('/hub/people/matches', async (req, res) =>
    showMatches(req, res, { flash: flashFor(req.query.done, { merged: 'Merged: the newer record now points to the older one, which holds everything of both.', dismissed: 'Marked as two different people. Both records stay as they are.' }) }),
  );

  r.post('/hub/people/matches/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const v = formValues(req.body);
    const principal = principalFromSession(res);
    try {
      if (v.action === 'dismiss') {
        await dismissMatch(deps, principal, id.data, rid(req));
        return res.redirect(303, '/hub/people/matches?done=dismissed');
      }
      const keep = uuid.safeParse(v.keepId);
      const other = uuid.safeParse(v.otherId);
      if (v.action !== 'merge' || !keep.success || !other.success) return showMatches(req, res, { errors: [{ text: 'Choose “Same person: merge” or “Not the same person”', href: '#matches' }] }, 400);
      await mergePeople(deps, principal, keep.data, other.data, rid(req));
      res.redirect(303, '/hub/people/matches?done=merged');
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const text = err.code === 'match_resolved' || err.status === 404 ? 'Someone has already merged or dismissed this pair.' : refusalWords(err);
      await showMatches(req, res, { errors: [{ text, href: '#matches' }] }, err.status);
    }
  });

  // ---- one person ----
  const showPerson = async (req: Request, res: Response, id: string, extra: Record<string, unknown> = {}, status = 200, loaded?: PersonRecord) => {
    const principal = principalFromSession(res);
    const [rec, agencies] = await Promise.all([loaded ?? getPersonRecord(deps, principal, id, rid(req)), listAgencies(deps)]);
    const withdrawalId = req.query.done === 'withdrawn' && uuid.safeParse(req.query.withdrawal).success ? String(req.query.withdrawal) : undefined;
    const view = personView(rec, agencies, withdrawalId);
    page(
      res,
      'hub-person.njk',
      {
        title: view.erased ? 'Person record: details erased' : view.merged ? 'Person record: merged' : `Person record: ${view.name}`,
        section: 'people',
        rec,
        view,
        withdrawValues: withdrawDefaults(deps.clock.now()),
        withdrawErrors: {},
        fieldErrors: {},
        flash: flashFor(req.query.done, PERSON_DONE),
        back: { href: '/hub/people', text: 'Back to people' },
        ...extra,
      },
      status,
    );
  };

  const personId = (req: Request) => {
    const id = uuid.safeParse(req.params.id);
    return id.success ? id.data : undefined;
  };

  r.get('/hub/people/:id', async (req, res, next) => {
    const id = personId(req);
    if (!id) return next();
    await showPerson(req, res, id);
  });

  r.post('/hub/people/:id/withdraw-consent', async (req, res, next) => {
    const id = personId(req);
    if (!id) return next();
    const principal = principalFromSession(res);
    // the agencies the form offered: those with a live referral now
    const rec = await getPersonRecord(deps, principal, id, rid(req));
    const live = rec.referrals.filter((x) => !TERMINAL_STATUSES.has(x.status as never)).map((x) => x.agencyId);
    const form = withdrawalFromForm(req.body, [...new Set(live)], deps.clock.now());
    if (!form.ok) return showPerson(req, res, id, { withdrawValues: form.values, withdrawErrors: form.problems.fieldErrors, errors: form.problems.errors, withdrawOpen: true }, 400, rec);
    try {
      const done = await withdrawConsent(deps, principal, id, form.body, rid(req));
      res.redirect(303, `/hub/people/${id}?done=withdrawn&withdrawal=${done.id}`);
    } catch (err) {
      const p = withdrawalRefusal(err);
      if (!p) throw err;
      await showPerson(req, res, id, { withdrawValues: withdrawValuesOf(req.body), withdrawErrors: p.fieldErrors, errors: p.errors, withdrawOpen: true }, (err as AppError).status);
    }
  });

  // ---- an admin's: legal hold and erasure ----
  r.post('/hub/people/:id/legal-hold', requireUser('admin'), async (req, res, next) => {
    const id = personId(req);
    if (!id) return next();
    const v = formValues(req.body);
    try {
      if (v.action === 'lift') {
        await setPersonLegalHold(deps, principalFromSession(res), id, null, rid(req));
        return res.redirect(303, `/hub/people/${id}?done=unhold`);
      }
      const body = legalHoldSchema.safeParse({ reason: v.reason ?? '' });
      if (!body.success) {
        const text = (v.reason ?? '').trim().length > 500 ? 'The reason must be 500 characters or fewer' : 'Say why the hold is set, in a few words';
        return showPerson(req, res, id, { holdReason: v.reason, fieldErrors: { 'hold-reason': text }, errors: [{ text, href: '#hold-reason' }] }, 400);
      }
      await setPersonLegalHold(deps, principalFromSession(res), id, body.data, rid(req));
      res.redirect(303, `/hub/people/${id}?done=hold`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      await showPerson(req, res, id, { errors: [{ text: refusalWords(err), href: '#legal-hold' }] }, 409);
    }
  });

  r.post('/hub/people/:id/erase', requireUser('admin'), async (req, res, next) => {
    const id = personId(req);
    if (!id) return next();
    const v = formValues(req.body);
    const body = erasureSchema.safeParse({ reason: v.reason ?? '' });
    if (!body.success) {
      const text = (v.reason ?? '').trim().length > 500 ? 'The reason must be 500 characters or fewer' : 'Say why their details are erased, in a few words that name no one';
      return showPerson(req, res, id, { eraseReason: v.reason, fieldErrors: { 'erase-reason': text }, errors: [{ text, href: '#erase-reason' }] }, 400);
    }
    try {
      await erasePerson(deps, principalFromSession(res), id, body.data, rid(req));
      res.redirect(303, `/hub/people/${id}?done=erased`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      const text = refusalWords(err);
      await showPerson(req, res, id, { eraseReason: v.reason, fieldErrors: { 'erase-reason': text }, errors: [{ text, href: '#erase-reason' }] }, 409);
    }
  });

  // ---- subject access ----
  r.get('/hub/people/:id/export', async (req, res, next) => {
    const id = personId(req);
    if (!id) return next();
    const [data, agencies] = await Promise.all([exportPerson(deps, principalFromSession(res), id, rid(req)), listAgencies(deps)]);
    const { sections, access, accessRows } = exportSections(data, agencies);
    page(res, 'hub-person-export.njk', { title: 'Everything held about this person', section: 'people', data, sections, access, accessRows, back: { href: `/hub/people/${id}`, text: 'Back to the record' } });
  });

  r.get('/hub/people/:id/export.json', async (req, res, next) => {
    const id = personId(req);
    if (!id) return next();
    const data = await exportPerson(deps, principalFromSession(res), id, rid(req));
    res.attachment(`signpost-person-${id}.json`).json(data);
  });

  return r;
}
