/** A partner agency's signed-in pages: its inbox and each referral with its lifecycle actions. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { AWAITING_CONTACT, TERMINAL_STATUSES, type ReferralStatus } from '../../../kernel/referral-state.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { listReferrals, type ReferralListItem } from '../referral.service.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { doneMessage, handleAction, showReferral } from './referral-actions.js';

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));
const OPEN: ReferralStatus[] = ['forwarded', 'acknowledged', 'accepted', 'contacted', 'on_hold'];
const CLOSED: ReferralStatus[] = [...TERMINAL_STATUSES, 'rejected'];

/** The inbox's groups: new, awaiting contact, overdue (T2 passed), in progress, closed. */
export function groupInbox(open: ReferralListItem[], closed: ReferralListItem[], now: Date) {
  const overdue = (x: ReferralListItem) => AWAITING_CONTACT.includes(x.status) && x.contactDueAt !== null && x.contactDueAt <= now;
  return [
    { key: 'overdue', title: 'Overdue: contact the person now', items: open.filter(overdue) },
    { key: 'new', title: 'New', items: open.filter((x) => x.status === 'forwarded' && !overdue(x)) },
    { key: 'awaiting', title: 'Awaiting contact', items: open.filter((x) => (x.status === 'acknowledged' || x.status === 'accepted') && !overdue(x)) },
    { key: 'in-progress', title: 'In progress or on hold', items: open.filter((x) => x.status === 'contacted' || x.status === 'on_hold') },
    { key: 'closed', title: 'Closed (latest 50)', items: closed },
  ];
}

export function agencyRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/agency', requireUser('agency'));

  r.get('/agency', async (req, res) => {
    const principal = principalFromSession(res);
    const [open, closed] = await Promise.all([
      listReferrals(deps, principal, { status: OPEN, limit: 200 }, rid(req)),
      // the inbox, like the emailed link, no longer names the person once the referral is finished
      listReferrals(deps, principal, { status: CLOSED, limit: 50 }, rid(req), 'inbox'),
    ]);
    page(res, 'inbox.njk', { title: 'Referrals', section: 'agency', groups: groupInbox(open.items, closed.items, deps.clock.now()), linkBase: '/agency/referrals/', closedHidesPerson: true, finishedStatuses: [...TERMINAL_STATUSES] });
  });

  const id = z.uuid();
  const opts = (req: Request, res: Parameters<typeof page>[0], refId: string) => ({
    principal: principalFromSession(res),
    actionBase: `/agency/referrals/${refId}`,
    csrfToken: res.locals.csrfToken as string,
    back: { href: '/agency', text: 'Back to referrals' },
    requestId: rid(req),
  });

  r.get('/agency/referrals/:id', async (req, res, next) => {
    const ok = id.safeParse(req.params.id);
    if (!ok.success) return next();
    const done = doneMessage(req.query.done);
    await showReferral(deps, res, ok.data, { ...opts(req, res, ok.data), extra: { section: 'agency', flashDone: done } });
  });

  r.post('/agency/referrals/:id', async (req, res, next) => {
    const ok = id.safeParse(req.params.id);
    if (!ok.success) return next();
    await handleAction(deps, res, ok.data, req.body, opts(req, res, ok.data));
  });

  return r;
}
