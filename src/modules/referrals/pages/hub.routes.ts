/** The hub coordinator's daily pages: dashboard, follow-up worklist and call script, referrals. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { TERMINAL_STATUSES, type ReferralStatus } from '../../../kernel/referral-state.js';
import { AppError } from '../../../kernel/errors.js';
import { listAgencyLinks, revokeAgencyLinks } from '../agency-link.service.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { followUpCounts, followUpForCall, listFollowUpWorklist, recordFollowUp, recordFollowUpSchema } from '../../follow-up/follow-up-record.service.js';
import { listReferrals } from '../referral.service.js';
import { hubDashboard } from '../../clocks/dashboard.service.js';
import { capacityOverview } from '../../capacity/capacity.service.js';
import { listAgencies } from '../../directory/agency.service.js';
import { listHeldReferrals } from '../held-referral.service.js';
import { transitionReferral } from '../referral-transition.service.js';
import { groupInbox } from './agency.routes.js';
import { formValues } from '../../intake/pages/checklist-form.js';
import { HUB_ROLES, barChart } from '../../../platform/pages/charts.js';
import { ukDayMonth } from '../../../kernel/uk-dates.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { WELLBEING_FIELDS, wellbeingError, wellbeingFromForm } from '../../people/pages/wellbeing-form.js';
import { page } from '../../../platform/pages/render.js';
import { agencyProblem, doneMessage, handleAction, showReferral } from './referral-actions.js';

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));
const uuid = z.uuid();
const NEEDS_MET = [
  { value: 'yes', text: 'Yes' },
  { value: 'partly', text: 'Partly' },
  { value: 'no', text: 'No' },
  { value: 'not_yet', text: 'Not yet' },
];

export function hubRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub', requireUser(...HUB_ROLES));

  r.get('/hub', async (req, res) => {
    const [d, capacity] = await Promise.all([hubDashboard(deps, principalFromSession(res), rid(req)), capacityOverview(deps, principalFromSession(res))]);
    page(res, 'hub-dashboard.njk', {
      title: 'Hub dashboard',
      section: 'hub',
      d,
      // agencies closed now, or whose capacity is unconfirmed (not said for 30 days, or reopened by date)
      capacityWatch: capacity.filter((c) => c.unconfirmed || c.status === 'closed'),
      volumeChart: barChart(d.weekly.map((w) => ({ label: `w/b ${ukDayMonth(w.weekStart)}`, value: w.count }))),
      complianceChart: barChart(d.compliance.map((c) => ({ label: c.agencyName, value: c.percent, ok: c.percent >= 90 })), { max: 100, unit: '%' }),
    });
  });

  // ---- follow-ups (T3) ----
  r.get('/hub/follow-ups', async (req, res) => {
    const state = z.enum(['due', 'upcoming', 'completed']).catch('due').parse(req.query.state);
    const principal = principalFromSession(res);
    const [items, counts] = await Promise.all([listFollowUpWorklist(deps, principal, state, 100, rid(req)), followUpCounts(deps, principal)]);
    page(res, 'hub-follow-ups.njk', { title: 'Follow-up calls', section: 'follow-ups', items, state, counts });
  });

  const showCall = async (req: Request, res: Parameters<typeof page>[0], id: string, extra: Record<string, unknown> = {}, status = 200) => {
    const f = await followUpForCall(deps, principalFromSession(res), id, rid(req));
    const asked = f.referrals.filter((x) => x.forwardedAt && x.status !== 'cancelled' && x.status !== 'rerouted');
    page(res, 'hub-call.njk', { title: `Follow-up call ${f.submissionReference}`, section: 'follow-ups', f, asked, needsMet: NEEDS_MET, wellbeingQuestions: WELLBEING_FIELDS, hubName: deps.env.HUB_NAME, values: {}, fieldErrors: {}, back: { href: '/hub/follow-ups', text: 'Back to follow-ups' }, ...extra }, status);
  };

  r.get('/hub/follow-ups/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const done = req.query.done === 'completed' ? 'completed' : undefined;
    const flash = req.query.done === 'attempt' ? 'Call recorded as not reaching them. It stays on the list of calls due.' : undefined;
    await showCall(req, res, id.data, { flash, done, ...(done ? { title: 'Call recorded' } : {}) });
  });

  r.post('/hub/follow-ups/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const v = formValues(req.body);
    const f = await followUpForCall(deps, principalFromSession(res), id.data, rid(req));
    const fieldErrors: Record<string, string> = {};
    if (v.contactMade !== 'yes' && v.contactMade !== 'no') fieldErrors.contactMade = 'Select whether you reached the person';
    const outcomes = [];
    if (v.contactMade === 'yes') {
      for (const x of f.referrals.filter((x) => x.forwardedAt && x.status !== 'cancelled' && x.status !== 'rerouted')) {
        const needsMet = v[`needsMet_${x.id}`];
        if (!NEEDS_MET.some((n) => n.value === needsMet)) fieldErrors[`needsMet_${x.id}`] = `Select whether their needs were met by ${x.agencyName}`;
        else outcomes.push({ referralId: x.id, needsMet });
      }
    }
    const wellbeing = wellbeingFromForm(v);
    if (wellbeing && v.contactMade === 'no') fieldErrors.wellbeing = 'Leave the wellbeing questions blank when the call did not reach them';
    const parsed = recordFollowUpSchema.safeParse({ contactMade: v.contactMade === 'yes', outcomes, note: v.note?.trim() || undefined, wellbeing: v.contactMade === 'yes' ? wellbeing : undefined });
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        if (i.path[0] === 'wellbeing') fieldErrors[`wb_${String(i.path[1])}`] ??= wellbeingError(`wb_${String(i.path[1])}`);
        else fieldErrors[i.path[0] === 'note' ? 'note' : 'contactMade'] ??= `${i.path[0] === 'note' ? 'Note' : 'Answer'} ${i.message}`;
      }
    }
    const errors = () => Object.entries(fieldErrors).map(([k, text]) => ({ text, href: `#${k}` }));
    if (Object.keys(fieldErrors).length || !parsed.success) return showCall(req, res, id.data, { values: v, fieldErrors, errors: errors() }, 400);
    const body = parsed.data;
    try {
      const result = await recordFollowUp(deps, principalFromSession(res), id.data, body, rid(req));
      res.redirect(303, `/hub/follow-ups/${id.data}?done=${result.status === 'completed' ? 'completed' : 'attempt'}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
      return showCall(req, res, id.data, { values: v, errors: [{ text: err.message, href: '#contactMade' }] }, err.status);
    }
  });

  // ---- referrals ----
  r.get('/hub/referrals', async (req, res) => {
    const principal = principalFromSession(res);
    const open: ReferralStatus[] = ['pending', 'forward_failed', 'rejected', 'forwarded', 'acknowledged', 'accepted', 'contacted', 'on_hold'];
    const [o, c] = await Promise.all([
      listReferrals(deps, principal, { status: open, limit: 200 }, rid(req)),
      listReferrals(deps, principal, { status: [...TERMINAL_STATUSES], limit: 50 }, rid(req)),
    ]);
    const groups = [
      { key: 'rejected', title: 'Rejected: re-route these', items: o.items.filter((x) => x.status === 'rejected') },
      { key: 'not-sent', title: 'Not yet sent, or sending failed', items: o.items.filter((x) => x.status === 'pending' || x.status === 'forward_failed') },
      ...groupInbox(o.items.filter((x) => !['rejected', 'pending', 'forward_failed'].includes(x.status)), c.items, deps.clock.now()),
    ];
    page(res, 'inbox.njk', { title: 'All referrals', section: 'referrals', groups, linkBase: '/hub/referrals/', showAgency: true });
  });

  const opts = (req: Request, res: Parameters<typeof page>[0], id: string) => ({
    principal: principalFromSession(res),
    actionBase: `/hub/referrals/${id}`,
    csrfToken: res.locals.csrfToken as string,
    back: { href: '/hub/referrals', text: 'Back to referrals' },
    requestId: rid(req),
  });

  r.get('/hub/referrals/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const links = await listAgencyLinks(deps, principalFromSession(res), id.data);
    const now = deps.clock.now();
    const done = doneMessage(req.query.done, { revoked: 'Email links revoked.' });
    await showReferral(deps, res, id.data, {
      ...opts(req, res, id.data),
      extra: {
        section: 'referrals',
        flashDone: done,
        linksSection: true,
        links,
        liveLinks: links.filter((l) => !l.revokedAt && l.expiresAt > now).length,
        rerouteBase: '/hub/referrals/',
      },
    });
  });

  r.post('/hub/referrals/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    await handleAction(deps, res, id.data, req.body, opts(req, res, id.data));
  });

  // ---- referrals held for a closed agency ----
  const showHeld = async (req: Request, res: Parameters<typeof page>[0], pageNo: number, extra: { errors?: Record<string, string>; values?: Record<string, string>; flash?: string } = {}, status = 200) => {
    const principal = principalFromSession(res);
    const [held, capacity] = await Promise.all([listHeldReferrals(deps, principal, pageNo, rid(req)), capacityOverview(deps, principal)]);
    // where a held referral can go instead: agencies taking referrals now
    const closed = new Set(capacity.filter((c) => c.status === 'closed').map((c) => c.agencyId));
    const agencies = (await listAgencies(deps)).filter((a) => a.status === 'active' && !closed.has(a.id));
    page(res, 'hub-held.njk', { title: 'Held for a closed agency', section: 'hub', ...held, agencies, csrfToken: res.locals.csrfToken as string, errors: extra.errors ?? {}, values: extra.values ?? {}, flash: extra.flash }, status);
  };
  const pageNumber = z.coerce.number().int().min(1).max(100_000).catch(1);

  r.get('/hub/held', async (req, res) => {
    await showHeld(req, res, pageNumber.parse(req.query.page), { flash: req.query.done === 'rerouted' ? 'Referral sent to the other agency: it goes now, with new dates for the person.' : undefined });
  });

  r.post('/hub/held/:id/reroute', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const v = formValues(req.body);
    const pageNo = pageNumber.parse(v.page);
    const target = uuid.safeParse(v.targetAgencyId);
    const refuse = (message: string, status: number) =>
      showHeld(req, res, pageNo, { errors: { [id.data]: message }, values: { [`target-${id.data}`]: v.targetAgencyId ?? '' } }, status);
    if (!target.success) return refuse('Choose the agency to send it to', 400);
    try {
      await transitionReferral(deps, { principal: principalFromSession(res), requestId: rid(req) }, id.data, {
        to: 'rerouted',
        targetAgencyId: target.data,
        note: 're-routed while its agency was closed',
      });
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const detail = Array.isArray(err.details) ? (err.details as { message: string }[])[0]?.message : undefined;
      return refuse(detail ? agencyProblem(detail) : err.status === 404 ? 'This referral is no longer held' : err.message, err.status === 404 ? 409 : err.status);
    }
    res.redirect(303, `/hub/held?done=rerouted&page=${pageNo}`);
  });

  r.post('/hub/referrals/:id/revoke-links', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    await revokeAgencyLinks(deps, principalFromSession(res), id.data, rid(req));
    res.redirect(303, `/hub/referrals/${id.data}?done=revoked`);
  });

  return r;
}
