/**
 * What follows once a person has proved who they are with a first factor: their password, or
 * the hub's own identity provider (single sign-on). Every way in ends here, so that the rules
 * that come after the first factor (a second factor, enrolment, a fresh session id) are written
 * once.
 */
import type { Request, Response } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { homeFor, readCookie } from '../../../platform/pages/guards.js';
import type { SignedInUser } from '../password.service.js';
import { SESSION_COOKIE, createSession, endSession } from '../session.service.js';
import { setSessionCookie } from './session.js';

export type FirstFactor = 'password' | 'oidc';

export interface FirstFactorDone {
  user: SignedInUser;
  /** how the person proved who they are */
  method: FirstFactor;
  /** true when the first factor already counts as a second one (an identity provider's MFA, trusted by setting) */
  secondFactorDone: boolean;
  /** where to go afterwards: a path checked by safeNext, or '' for the person's home page */
  next: string;
}

/** Starts the person's session (a fresh id at every sign-in: no fixation) and sends them on. */
export async function completeFirstFactor(deps: ServiceDeps, req: Request, res: Response, done: FirstFactorDone): Promise<void> {
  await endSession(deps, readCookie(req, SESSION_COOKIE));
  const session = await createSession(deps, done.user.userId, req.get('user-agent'));
  setSessionCookie(res, session.cookieValue, deps.env.SECURE_COOKIES);
  res.redirect(303, done.next || homeFor(done.user.role));
}
