/** The hub's referral pages: every referral, one referral with its next steps and links, and the referrals held for a closed agency. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { TERMINAL_STATUSES, type ReferralStatus } from '../../../kernel/referral-state.js';
import { AppError } from '../../../kernel/errors.js';
import { listAgencyLinks, revokeAgencyLinks } from '../agency-link.service.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { listReferrals } from '../referral.service.js';
import { readAgencyFacts } from '../../../platform/deps.js';
import { listHeldReferrals } from '../held-referral.service.js';
import { transitionReferral } from '../referral-transition.service.js';
import { groupInbox } from './agency.routes.js';
import { formValues } from '../../../platform/pages/forms.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { agencyProblem, doneMessage, handleAction, showReferral } from './referral-actions.js';
import { listAgencies } from '../../directory/index.js';

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));
const uuid = z.uuid();

export function hubReferralsRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub', requireUser(...HUB_ROLES));

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
    voice: 'hub' as const,
  });

  r.get('/hub/referrals/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const links = await listAgencyLinks(deps, principalFromSession(res), id.data);
    const now = deps.clock.now();
    const done = doneMessage(req.query.done, { revoked: 'Email links revoked.', rejected: 'Recorded: the agency cannot take this referral. Send it to another agency.' });
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
    const [held, facts] = await Promise.all([listHeldReferrals(deps, principal, pageNo, rid(req)), readAgencyFacts(deps, deps.clock.now(), true)]);
    // where a held referral can go instead: agencies taking referrals now
    const closed = new Set([...facts.capacity].filter(([, c]) => c.status === 'closed').map(([id]) => id));
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
