/** The web session as middleware: the signed-in user loaded for each page, and its cookie. */
import type { RequestHandler, Response } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { readCookie } from '../../../platform/pages/guards.js';
import { SESSION_COOKIE, endSession, loadSession } from '../session.service.js';
import { secondFactorRequired } from '../second-factor.service.js';

/** The enrolment page: all that a session that must enrol a second factor may reach (and sign-out). */
export const ENROL_PATH = '/account/two-factor';
const OPEN_WHILE_ENROLLING = new Set([ENROL_PATH, '/sign-out']);

export function setSessionCookie(res: Response, value: string, secure: boolean): void {
  res.cookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

export function clearSessionCookie(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

/**
 * Loads the signed-in user (if any) into res.locals.user, with its CSRF token. A session that
 * must enrol a second factor first (MFA_REQUIRED_ROLES) is sent to the enrolment page from
 * every other page.
 */
export function webSession(deps: ServiceDeps): RequestHandler {
  return async (req, res, next) => {
    const user = await loadSession(deps, readCookie(req, SESSION_COOKIE));
    // a session without a second factor, of a role that must have one, made before the role was
    // required (or before this version): it ends here, as if signed out, and the next sign-in
    // asks for the factor
    if (user && !user.secondFactor && !user.mustEnrol && secondFactorRequired(deps.env, user.role)) {
      await endSession(deps, readCookie(req, SESSION_COOKIE));
      clearSessionCookie(res, deps.env.SECURE_COOKIES);
    } else if (user) {
      res.locals.user = user;
      res.locals.csrfToken = user.csrfToken;
      if (user.mustEnrol && !OPEN_WHILE_ENROLLING.has(req.path)) {
        res.redirect(303, ENROL_PATH);
        return;
      }
    }
    next();
  };
}

