/**
 * Single sign-on's two addresses: the sign-in page's button (a link) opens /sign-in/oidc, which
 * sends the browser to the provider; the provider sends it back to /sign-in/oidc/callback. A refusal
 * shows the sign-in page again with what happened, and a 4xx: never a 5xx, since nothing broke
 * on the hub's side (an unreachable provider is 424, Failed Dependency).
 */
import type { Request, Response, Router } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { readCookie, safeNext } from '../../../platform/pages/guards.js';
import { SSO_START_PATH, SSO_CALLBACK_PATH, SingleSignOn, type SsoRefusal } from '../sso.service.js';
import { completeFirstFactor } from './sign-in-flow.js';

const SSO_COOKIE = 'signpost_sso';

/** What the person is told, and the status: the account refusals share one sentence (no enumeration). */
const REFUSALS: Record<SsoRefusal, { status: number; text: string }> = {
  no_account: { status: 403, text: 'This account cannot sign in here. Ask your hub’s admin.' },
  email_unverified: { status: 403, text: 'This account cannot sign in here. Ask your hub’s admin.' },
  domain_not_allowed: { status: 403, text: 'This account cannot sign in here. Ask your hub’s admin.' },
  state_mismatch: { status: 400, text: 'Your sign-in was not recognised or has expired. Try again.' },
  cancelled: { status: 401, text: 'Sign-in was cancelled. Try again, or sign in with your email address and password.' },
  provider_error: { status: 400, text: 'Your organisation’s sign-in service did not sign you in. Try again, or sign in with your email address and password.' },
  provider_unreachable: { status: 424, text: 'Your organisation’s sign-in service cannot be reached at the moment. Try again later, or sign in with your email address and password.' },
};

export interface SignInPage {
  show(res: Response, ctx?: Record<string, unknown>, status?: number): void;
  /** forget the sign-in page's CSRF cookie once signed in */
  clear(res: Response): void;
}

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));

export function mountSingleSignOn(r: Router, deps: ServiceDeps, signInPage: SignInPage): void {
  const sso = new SingleSignOn(deps);
  const secure = deps.env.SECURE_COOKIES;
  const refuse = (res: Response, reason: SsoRefusal, next: string) => {
    const { status, text } = REFUSALS[reason];
    signInPage.show(res, { next, ssoRefused: true, errors: [{ text, href: '#sso' }] }, status);
  };

  // a link, not a form: the page's CSP (form-action 'self') would stop a form's redirect to the
  // provider. Starting a sign-in changes nothing until the provider sends the person back here.
  r.get(SSO_START_PATH, async (req, res) => {
    const next = safeNext(req.query.next, '');
    const started = await sso.start(next, rid(req));
    if (!started.ok) return refuse(res, started.reason, next);
    res.cookie(SSO_COOKIE, started.cookieValue, { httpOnly: true, sameSite: 'lax', secure, path: SSO_START_PATH, maxAge: 10 * 60_000 });
    res.redirect(303, started.url);
  });

  r.get(SSO_CALLBACK_PATH, async (req, res) => {
    res.clearCookie(SSO_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: SSO_START_PATH });
    const query = new URLSearchParams(req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '');
    const outcome = await sso.finish(readCookie(req, SSO_COOKIE), query, rid(req));
    if (!outcome.ok) return refuse(res, outcome.reason, outcome.next);
    signInPage.clear(res);
    await completeFirstFactor(deps, req, res, { user: outcome.user, method: 'oidc', secondFactorDone: outcome.secondFactorDone, next: outcome.next });
  });
}
