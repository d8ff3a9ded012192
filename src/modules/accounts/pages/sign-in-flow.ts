/**
 * What follows once a person has proved who they are with a first factor: their password, or
 * the hub's own identity provider (single sign-on). Every way in ends here, so that the rules
 * that come after the first factor (a second factor, enrolment, a fresh session id) are written
 * once:
 *  - a confirmed second factor not yet proved: a pending sign-in (a row keyed by the SHA-256 of
 *    a random cookie, 5 minutes), then the code page (/sign-in/code);
 *  - no second factor, but the role must have one (MFA_REQUIRED_ROLES): a session that may reach
 *    only the enrolment page until it is done (and sign-out);
 *  - otherwise a whole session.
 */
import type { Request, Response } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { homeFor, readCookie } from '../../../platform/pages/guards.js';
import type { SignedInUser } from '../password.service.js';
import { SESSION_COOKIE, createSession, endSession, type SessionFactor } from '../session.service.js';
import { ENROL_PATH, setSessionCookie } from './session.js';
import { hasSecondFactor, secondFactorRequired } from '../second-factor.service.js';
import { endPendingSignInRow, startPendingSignIn } from '../pending-sign-in.service.js';
import { signInCompleted } from '../password.service.js';

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

export const PENDING_COOKIE = 'signpost_signin_pending';
export const PENDING_PATH = '/sign-in';

/** Starts the person's session (a fresh id at every sign-in: no fixation) and sends them on. */
export async function completeFirstFactor(deps: ServiceDeps, req: Request, res: Response, done: FirstFactorDone): Promise<void> {
  const { user } = done;
  if (!done.secondFactorDone && (await hasSecondFactor(deps, user.userId))) {
    await endSession(deps, readCookie(req, SESSION_COOKIE));
    await endPendingSignIn(deps, req, res);
    const cookieValue = await startPendingSignIn(deps, user.userId, done.method, done.next);
    res.cookie(PENDING_COOKIE, cookieValue, { httpOnly: true, sameSite: 'lax', secure: deps.env.SECURE_COOKIES, path: PENDING_PATH });
    res.redirect(303, '/sign-in/code');
    return;
  }
  if (!done.secondFactorDone && secondFactorRequired(deps.env, user.role)) {
    await startSession(deps, req, res, user, { secondFactor: null, mustEnrol: true });
    res.redirect(303, ENROL_PATH);
    return;
  }
  await startSession(deps, req, res, user, { secondFactor: done.secondFactorDone ? 'idp' : null, mustEnrol: false });
  res.redirect(303, done.next || homeFor(user.role));
}

/** The second factor proved at /sign-in/code (its pending sign-in ended by the caller): the whole session, and on to where the person was going. */
export async function completeSecondFactor(deps: ServiceDeps, req: Request, res: Response, user: SignedInUser, via: 'totp' | 'recovery' | 'passkey', next: string): Promise<void> {
  await signInCompleted(deps, user.userId);
  await startSession(deps, req, res, user, { secondFactor: via, mustEnrol: false });
  res.redirect(303, next || homeFor(user.role));
}

/** Ends the pending sign-in of this browser, if any; true when this call ended a live one. */
export async function endPendingSignIn(deps: Pick<ServiceDeps, 'db' | 'env'>, req: Request, res: Response): Promise<boolean> {
  const value = readCookie(req, PENDING_COOKIE);
  res.clearCookie(PENDING_COOKIE, { httpOnly: true, sameSite: 'lax', secure: deps.env.SECURE_COOKIES, path: PENDING_PATH });
  return endPendingSignInRow(deps, value);
}

async function startSession(deps: ServiceDeps, req: Request, res: Response, user: SignedInUser, factor: SessionFactor): Promise<void> {
  await endSession(deps, readCookie(req, SESSION_COOKIE));
  const session = await createSession(deps, user.userId, req.get('user-agent'), factor);
  setSessionCookie(res, session.cookieValue, deps.env.SECURE_COOKIES);
}
