/**
 * /a/<token>: an agency without an account acts on ONE referral from its forwarding email.
 * No session and no password: the token is the credential, checked (and its use audited) on
 * every request; forms carry a CSRF token derived from the link. Unknown, expired and revoked
 * links all get the same page.
 */
import { Router, type Request } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { linkPrincipal, useAgencyLink } from '../agency-link.service.js';
import { csrfMatches } from '../../../platform/pages/guards.js';
import { formValues } from '../../../platform/pages/forms.js';
import { page } from '../../../platform/pages/render.js';
import { doneMessage, handleAction, showReferral } from './referral-actions.js';

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));

export function agencyLinkRouter(deps: ServiceDeps): Router {
  // case-sensitive: /A/<token> is not a link (and would otherwise be routed here)
  const r = Router({ caseSensitive: true });

  const callHub = { HUB_NAME: deps.env.HUB_NAME, HUB_PHONE: deps.env.HUB_PHONE, HUB_HOURS: deps.env.HUB_HOURS };
  const expired = (res: Parameters<typeof page>[0]) =>
    page(res, 'error.njk', { title: 'This link has expired or been withdrawn', message: 'They will send you a new link, or make the change for you.', callHub }, 404);

  r.get('/a/:token', async (req, res) => {
    const scope = await useAgencyLink(deps, req.params.token, 'agency_link.view', rid(req));
    if (!scope) return expired(res);
    const principal = await linkPrincipal(deps, scope);
    const done = doneMessage(req.query.done);
    await showReferral(deps, res, scope.referralId, {
      principal,
      actionBase: `/a/${req.params.token}`,
      csrfToken: scope.csrfToken,
      requestId: rid(req),
      channel: 'link',
      extra: { flashDone: done, viaLink: true, linkExpiresAt: scope.expiresAt },
    });
  });

  r.post('/a/:token', async (req, res) => {
    const scope = await useAgencyLink(deps, req.params.token, 'agency_link.act', rid(req));
    if (!scope) return expired(res);
    if (!csrfMatches(scope.csrfToken, formValues(req.body)._csrf)) {
      return page(res, 'error.njk', { title: 'Your form has expired', message: 'Go back, reload the page and try again.' }, 403);
    }
    const principal = await linkPrincipal(deps, scope);
    await handleAction(deps, res, scope.referralId, req.body, { principal, actionBase: `/a/${req.params.token}`, csrfToken: scope.csrfToken, requestId: rid(req), channel: 'link' });
  });

  return r;
}
