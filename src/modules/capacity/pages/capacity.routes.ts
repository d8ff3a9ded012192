/**
 * The capacity page: an agency says what it can take. Signed in (/agency/capacity for its own
 * staff, /hub/agencies/:id/capacity for coordinators, with the history and the control that
 * stops the agency's emailed links), or through the signed link in its reminder mail
 * (/capacity/:agencyId/:expires/:signature, modules/capacity/capacity-link.ts). Opening the page never
 * changes anything (mail scanners open links); its two forms POST: the one-click confirmation,
 * and the change.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { CapacityVia } from '../../../platform/db/database.js';
import { AppError } from '../../../kernel/errors.js';
import { capacityLinkScope, capacityLinkStatus, revokeCapacityLinks } from '../capacity-link.js';
import { capacityActorOf, capacityInputSchema, confirmAgencyCapacity, getAgencyCapacity, setAgencyCapacity, type CapacityActor } from '../capacity.service.js';
import { csrfMatches } from '../../../platform/pages/guards.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { formValues, type FormValues } from '../../../platform/pages/forms.js';
import { dateFromInput } from '../../../platform/pages/form-dates.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';

const uuid = z.uuid();
const pad = (n: number) => String(n).padStart(2, '0');

/** The form as the API's body, or the inline errors. */
function inputFromForm(v: FormValues): { ok: true; body: z.infer<typeof capacityInputSchema> } | { ok: false; fieldErrors: Record<string, string> } {
  const fieldErrors: Record<string, string> = {};
  const status = v.status;
  let closedUntil: string | null = null;
  if (status === 'closed') {
    const d = dateFromInput(v, 'closedUntil');
    if (d === 'missing') fieldErrors['closedUntil-day'] = 'Enter the date you open again';
    else if (d === 'invalid') fieldErrors['closedUntil-day'] = 'Enter a real date, for example 3 3 2027';
    else closedUntil = `${d.year}-${pad(d.month)}-${pad(d.day)}`;
  }
  const waitWeeks = status === 'waiting_list' ? (v.waitWeeks ?? '').trim() || null : null;
  if (status === 'waiting_list' && waitWeeks === null) fieldErrors.waitWeeks = 'Enter the usual wait in weeks';
  // the form's text as a number for the schema (the API takes JSON numbers only)
  const parsed = capacityInputSchema.safeParse({ status, waitWeeks: waitWeeks === null ? null : /^\d+$/.test(waitWeeks) ? Number(waitWeeks) : Number.NaN, closedUntil });
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const f = String(i.path[0] ?? 'status');
      const id = f === 'closedUntil' ? 'closedUntil-day' : f;
      fieldErrors[id] ??= f === 'status' ? 'Select whether you can take new referrals' : f === 'waitWeeks' ? `The usual wait ${i.message}` : `The date ${i.message}`;
    }
  }
  if (Object.keys(fieldErrors).length || !parsed.success) return { ok: false, fieldErrors };
  return { ok: true, body: parsed.data };
}

interface Scope {
  agencyId: string;
  actor: CapacityActor;
  actionBase: string;
  csrfToken: string;
  via: CapacityVia;
  history: boolean;
  back?: { href: string; text: string };
  /** the coordinators' page: the agency's emailed links, and the control that stops them */
  links?: boolean;
}

/** A refusal of the service's (400 with details) as the date field's error, or undefined. */
function dateRefusal(err: unknown): Record<string, string> | undefined {
  if (!(err instanceof AppError) || err.status !== 400) return undefined;
  const details = Array.isArray(err.details) ? (err.details as { path?: string; message: string }[]) : [];
  const d = details.find((x) => x.path === 'closedUntil');
  return { 'closedUntil-day': `The date you open again ${d?.message ?? 'is not one we can take'}` };
}

const errorsOf = (fieldErrors: Record<string, string>) => Object.entries(fieldErrors).map(([id, text]) => ({ text, href: `#${id}` }));

function capacityPages(deps: ServiceDeps) {
  const show = async (res: Response, s: Scope, extra: Record<string, unknown> = {}, status = 200) => {
    const c = await getAgencyCapacity(deps, s.actor, s.agencyId, { history: s.history });
    const links = s.links && s.actor.principal ? await capacityLinkStatus(deps, s.actor.principal, s.agencyId) : undefined;
    page(
      res,
      'capacity.njk',
      {
        title: `What ${c.agencyName} can take`,
        section: s.history ? 'agencies' : 'capacity',
        c,
        history: c.history,
        links,
        linkDays: deps.env.AGENCY_LINK_TTL_DAYS,
        closedMaxDays: deps.env.CAPACITY_CLOSED_MAX_DAYS,
        showWho: s.via !== 'mail_link',
        actionBase: s.actionBase,
        csrfToken: s.csrfToken,
        unconfirmedDays: deps.env.CAPACITY_UNCONFIRMED_AFTER_DAYS,
        values: {},
        fieldErrors: {},
        back: s.back,
        ...extra,
      },
      status,
    );
  };
  const change = async (req: Request, res: Response, s: Scope) => {
    const v = formValues(req.body);
    const form = inputFromForm(v);
    if (!form.ok) {
      const errors = Object.entries(form.fieldErrors).map(([id, text]) => ({ text, href: `#${id}` }));
      return show(res, s, { values: v, fieldErrors: form.fieldErrors, errors }, 400);
    }
    try {
      await setAgencyCapacity(deps, s.actor, s.agencyId, form.body, s.via);
    } catch (err) {
      const fieldErrors = dateRefusal(err);
      if (!fieldErrors) throw err;
      return show(res, s, { values: v, fieldErrors, errors: errorsOf(fieldErrors) }, 400);
    }
    res.redirect(303, `${s.actionBase}?done=saved`);
  };
  const confirm = async (res: Response, s: Scope) => {
    try {
      await confirmAgencyCapacity(deps, s.actor, s.agencyId, s.via);
    } catch (err) {
      // a closing date said before today's limit, too far ahead to confirm: change it below
      const fieldErrors = dateRefusal(err);
      if (!fieldErrors) throw err;
      return show(res, s, { fieldErrors, errors: errorsOf(fieldErrors) }, 400);
    }
    res.redirect(303, `${s.actionBase}?done=confirmed`);
  };
  const flash = (req: Request) =>
    req.query.done === 'confirmed'
      ? 'Thank you: confirmed.'
      : req.query.done === 'saved'
        ? 'Saved. New referrals follow it from now on.'
        : req.query.done === 'links-stopped'
          ? 'Links stopped. Every link sent so far no longer works; the next reminder mail brings a new one.'
          : undefined;
  return { show, change, confirm, flash };
}

/** The emailed link's pages: no session; mounted before the session middleware, like /a/<token>. */
export function capacityLinkRouter(deps: ServiceDeps): Router {
  const r = Router({ caseSensitive: true });
  const p = capacityPages(deps);
  const scopeOf = async (req: Request): Promise<Scope | 'invalid' | 'signs_in'> => {
    const { agencyId, expires, sig } = req.params as Record<string, string>;
    const scope = await capacityLinkScope(deps, agencyId!, expires!, sig!);
    if (!scope.ok) return scope.reason;
    return { agencyId: scope.agencyId, actor: scope.actor, csrfToken: scope.csrfToken, actionBase: `/capacity/${agencyId}/${expires}/${sig}`, via: 'mail_link', history: false };
  };
  // expired, stopped, or not a link: the same words for each (they tell nothing about the agency)
  const refused = (res: Response, why: 'invalid' | 'signs_in') =>
    page(
      res,
      'error.njk',
      {
        title: 'This link no longer works',
        message:
          why === 'signs_in'
            ? 'Your agency now has Signpost accounts: sign in to Signpost to say what you can take.'
            : 'It has expired, or the hub has stopped it. If your agency has Signpost accounts, sign in to say what you can take. If not, the next reminder mail brings a new link, or call the hub and they will update it for you.',
      },
      404,
    );
  const path = '/capacity/:agencyId/:expires/:sig';

  r.get(path, async (req, res) => {
    const s = await scopeOf(req);
    if (typeof s === 'string') return refused(res, s);
    await p.show(res, s, { flash: p.flash(req) });
  });
  const guarded = (act: (req: Request, res: Response, s: Scope) => Promise<void>) => async (req: Request, res: Response) => {
    const s = await scopeOf(req);
    if (typeof s === 'string') return refused(res, s);
    if (!csrfMatches(s.csrfToken, formValues(req.body)._csrf)) {
      return page(res, 'error.njk', { title: 'Your form has expired', message: 'Go back, reload the page and try again.' }, 403);
    }
    try {
      await act(req, res, s);
    } catch (err) {
      // stopped while this request ran (modules/capacity/capacity-link.ts holdCapacityLink)
      if (err instanceof AppError && err.code === 'link_stopped') return refused(res, 'invalid');
      throw err;
    }
  };
  r.post(path, guarded((req, res, s) => p.change(req, res, s)));
  r.post(`${path}/confirm`, guarded((_req, res, s) => p.confirm(res, s)));
  return r;
}

/** The signed-in pages (after the session and CSRF middleware). */
export function capacityRouter(deps: ServiceDeps): Router {
  const r = Router();
  const p = capacityPages(deps);
  r.use('/agency/capacity', requireUser('agency'));
  r.use('/hub/agencies/:id/capacity', requireUser(...HUB_ROLES));

  const own = (res: Response): Scope => {
    const principal = principalFromSession(res);
    return { agencyId: principal.agencyId!, actor: capacityActorOf(principal), actionBase: '/agency/capacity', csrfToken: res.locals.csrfToken as string, via: 'page', history: false };
  };
  r.get('/agency/capacity', async (req, res) => p.show(res, own(res), { flash: p.flash(req) }));
  r.post('/agency/capacity', async (req, res) => p.change(req, res, own(res)));
  r.post('/agency/capacity/confirm', async (_req, res) => p.confirm(res, own(res)));

  const hub = (req: Request, res: Response): Scope | undefined => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return undefined;
    return {
      agencyId: id.data,
      actor: capacityActorOf(principalFromSession(res)),
      actionBase: `/hub/agencies/${id.data}/capacity`,
      csrfToken: res.locals.csrfToken as string,
      via: 'page',
      history: true,
      links: true,
      back: { href: '/hub/agencies', text: 'Back to agencies' },
    };
  };
  r.get('/hub/agencies/:id/capacity', async (req, res, next) => {
    const s = hub(req, res);
    if (!s) return next();
    await p.show(res, s, { flash: p.flash(req) });
  });
  r.post('/hub/agencies/:id/capacity', async (req, res, next) => {
    const s = hub(req, res);
    if (!s) return next();
    await p.change(req, res, s);
  });
  r.post('/hub/agencies/:id/capacity/confirm', async (req, res, next) => {
    const s = hub(req, res);
    if (!s) return next();
    await p.confirm(res, s);
  });
  r.post('/hub/agencies/:id/capacity/revoke-links', async (req, res, next) => {
    const s = hub(req, res);
    if (!s) return next();
    await revokeCapacityLinks(deps, principalFromSession(res), s.agencyId, req.id);
    res.redirect(303, `${s.actionBase}?done=links-stopped`);
  });
  return r;
}
