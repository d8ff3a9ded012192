/** Sign-in, sign-out and the start page. */
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { signIn } from '../password.service.js';
import { SESSION_COOKIE, endSession } from '../session.service.js';
import { csrfMatches } from '../../../platform/pages/guards.js';
import { homeFor, readCookie, safeNext, sameOriginOnly, sessionUserOf } from '../../../platform/pages/guards.js';
import { clearSessionCookie } from './session.js';
import { completeFirstFactor } from './sign-in-flow.js';
import { page } from '../../../platform/pages/render.js';
import { ssoConfigured } from '../sso.service.js';
import { mountSingleSignOn } from './sso.routes.js';

// Before sign-in there is no session: the sign-in form is protected by a double-submit cookie.
const PRE_CSRF_COOKIE = 'signpost_signin_csrf';

export function authRouter(deps: ServiceDeps): Router {
  const r = Router();
  const secure = deps.env.SECURE_COOKIES;
  const sso = ssoConfigured(deps.env);

  r.get('/', (_req, res) => {
    const u = sessionUserOf(res);
    res.redirect(303, u ? homeFor(u.role) : '/sign-in');
  });

  const showSignIn = (res: Parameters<typeof page>[0], ctx: Record<string, unknown> = {}, status = 200) => {
    const token = randomBytes(24).toString('base64url');
    res.cookie(PRE_CSRF_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/sign-in' });
    page(res, 'sign-in.njk', { title: 'Sign in', csrfToken: token, values: {}, fieldErrors: {}, ssoLabel: sso ? deps.env.OIDC_LABEL : undefined, ...ctx }, status);
  };
  if (sso) {
    mountSingleSignOn(r, deps, {
      show: showSignIn,
      clear: (res) => res.clearCookie(PRE_CSRF_COOKIE, { path: '/sign-in' }),
    });
  }

  r.get('/sign-in', (req, res) => {
    const u = sessionUserOf(res);
    if (u) return res.redirect(303, safeNext(req.query.next, homeFor(u.role)));
    showSignIn(res, { next: safeNext(req.query.next, '') });
  });

  r.post('/sign-in', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const want = readCookie(req, PRE_CSRF_COOKIE);
    const next = safeNext(body.next, '');
    if (!want || !csrfMatches(want, body._csrf)) {
      return showSignIn(res, { next, errors: [{ text: 'Your sign-in form expired. Try again.', href: '#email' }] }, 403);
    }
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const fieldErrors: Record<string, string> = {};
    if (!email) fieldErrors.email = 'Enter your email address';
    if (!password) fieldErrors.password = 'Enter your password';
    if (Object.keys(fieldErrors).length) {
      const errors = Object.entries(fieldErrors).map(([k, text]) => ({ text, href: `#${k}` }));
      return showSignIn(res, { next, values: { email }, fieldErrors, errors }, 400);
    }
    const result = await signIn(deps, email, password);
    if (!result.ok) {
      // one answer for an unknown email, a wrong password and a locked account (no enumeration)
      const text = 'Enter a correct email address and password';
      return showSignIn(res, { next, values: { email }, refused: true, fieldErrors: { email: text }, errors: [{ text, href: '#email' }] }, 401);
    }
    res.clearCookie(PRE_CSRF_COOKIE, { path: '/sign-in' });
    await completeFirstFactor(deps, req, res, { user: result.user, method: 'password', secondFactorDone: false, next });
  });

  // the header's sign-out form (built by the NHS.UK header) has no hidden field: same origin only
  r.post('/sign-out', sameOriginOnly(deps.env), async (req, res) => {
    await endSession(deps, readCookie(req, SESSION_COOKIE));
    clearSessionCookie(res, secure);
    res.redirect(303, '/sign-in');
  });

  // the forwarding mail's sign-in link: each role's own page for the referral
  r.get('/referrals/:id', (req, res) => {
    const u = sessionUserOf(res);
    const id = encodeURIComponent(req.params.id);
    if (!u) return res.redirect(303, `/sign-in?next=${encodeURIComponent(`/referrals/${id}`)}`);
    res.redirect(303, u.role === 'agency' ? `/agency/referrals/${id}` : `/hub/referrals/${id}`);
  });

  r.get('/accessibility', (_req, res) => page(res, 'accessibility.njk', { title: 'Accessibility statement' }));

  return r;
}
