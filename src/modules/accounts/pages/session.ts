/** The web session as middleware: the signed-in user loaded for each page, and its cookie. */
import type { RequestHandler, Response } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { readCookie } from '../../../platform/pages/guards.js';
import { SESSION_COOKIE, loadSession } from '../session.service.js';

export function setSessionCookie(res: Response, value: string, secure: boolean): void {
  res.cookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

export function clearSessionCookie(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

/** Loads the signed-in user (if any) into res.locals.user, with its CSRF token. */
export function webSession(deps: ServiceDeps): RequestHandler {
  return async (req, res, next) => {
    const user = await loadSession(deps, readCookie(req, SESSION_COOKIE));
    if (user) {
      res.locals.user = user;
      res.locals.csrfToken = user.csrfToken;
    }
    next();
  };
}

