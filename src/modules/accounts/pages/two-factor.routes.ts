/**
 * The second factor's pages: the code asked after the password (/sign-in/code, before any
 * session: its form carries the pending sign-in's own CSRF token), and the person's own
 * two-factor page (/account/two-factor: enrolment, recovery codes, turning it off).
 */
import { Router, type Request, type Response } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { csrfMatches, homeFor, readCookie, requireUser, sessionUserOf } from '../../../platform/pages/guards.js';
import { formValues } from '../../../platform/pages/forms.js';
import { page } from '../../../platform/pages/render.js';
import { loadPendingSignIn } from '../pending-sign-in.service.js';
import { confirmEnrolment, enrolmentFor, checkSecondFactor, renewRecoveryCodes, secondFactorRequired, turnOffSecondFactor, twoFactorState, type CodeCheck, type Person } from '../second-factor.service.js';
import { SESSION_COOKIE } from '../session.service.js';
import { readCode } from '../totp.js';
import { ENROL_PATH } from './session.js';
import { PENDING_COOKIE, completeSecondFactor, endPendingSignIn } from './sign-in-flow.js';

const ENTER_CODE = 'Enter the code from your authenticator app';
const CODE_FORMAT = 'Enter the 6-digit code from your app, or a recovery code like 12345-67890';
const APP_CODE_FORMAT = 'Enter the 6-digit code your app shows';
const REFUSED: Record<'wrong' | 'reused', string> = {
  wrong: 'That code is not right. Enter the code your app shows now',
  reused: 'That code has been used already. Wait for your app to show a new code, then enter it',
};
const LOCKED = { title: 'You cannot sign in now', message: 'After 5 wrong passwords or codes in a row an account is locked for 15 minutes. Wait 15 minutes, then sign in again, or ask the hub’s admin to reset your two-factor sign-in.' };

const problem = (id: string, text: string) => ({ errors: [{ text, href: `#${id}` }], fieldErrors: { [id]: text } });

/** /sign-in/code: the second step of a sign-in whose first factor is done. */
export function signInCodeRouter(deps: ServiceDeps): Router {
  const r = Router();

  const pendingOf = (req: Request) => loadPendingSignIn(deps, readCookie(req, PENDING_COOKIE));
  const show = (res: Response, csrfToken: string, extra: Record<string, unknown> = {}, status = 200) =>
    page(res, 'sign-in-code.njk', { title: 'Enter your sign-in code', csrfToken, fieldErrors: {}, ...extra }, status);

  r.get('/sign-in/code', async (req, res) => {
    const pending = await pendingOf(req);
    if (!pending) return res.redirect(303, '/sign-in');
    show(res, pending.csrfToken);
  });

  r.post('/sign-in/code', async (req, res) => {
    const pending = await pendingOf(req);
    if (!pending) return res.redirect(303, '/sign-in');
    const body = formValues(req.body);
    if (!csrfMatches(pending.csrfToken, body._csrf)) return show(res, pending.csrfToken, problem('code', 'Your sign-in form expired. Try again.'), 403);
    const entry = readCode(body.code);
    if (entry.kind === 'missing') return show(res, pending.csrfToken, problem('code', ENTER_CODE), 400);
    if (entry.kind === 'bad') return show(res, pending.csrfToken, problem('code', CODE_FORMAT), 400);
    const who: Person = { userId: pending.userId, name: pending.name, role: pending.role };
    const check = await checkSecondFactor(deps, who, entry);
    if (!check.ok && check.reason === 'locked') {
      await endPendingSignIn(deps, req, res);
      return page(res, 'error.njk', LOCKED, 401);
    }
    if (!check.ok) return show(res, pending.csrfToken, problem('code', REFUSED[check.reason as 'wrong' | 'reused']), 401);
    // one code completes one pending sign-in, once
    if (!(await endPendingSignIn(deps, req, res))) return res.redirect(303, '/sign-in');
    await completeSecondFactor(deps, req, res, { userId: pending.userId, name: pending.name, role: pending.role, agencyId: pending.agencyId }, check.via, pending.next);
  });

  return r;
}

/** /account/two-factor: the signed-in person's own second factor. */
export function twoFactorRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use(ENROL_PATH, requireUser());

  const show = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const u = sessionUserOf(res)!;
    const state = await twoFactorState(deps, u.userId);
    const enrolment = state.on ? undefined : await enrolmentFor(deps, { userId: u.userId, email: u.email });
    page(res, 'account-two-factor.njk', { title: 'Two-factor sign-in', state, enrolment, mustEnrol: u.mustEnrol, required: secondFactorRequired(deps.env, u.role), fieldErrors: {}, ...extra }, status);
  };
  const showCodes = (res: Response, codes: string[], enrolled: boolean) =>
    page(res, 'account-recovery-codes.njk', { title: 'Your recovery codes', codes, flash: enrolled ? 'Two-factor sign-in is on.' : 'New recovery codes made: the old ones no longer work.', home: homeFor(sessionUserOf(res)!.role) });
  const refusal = (check: Exclude<CodeCheck, { ok: true }>, id: string) =>
    check.reason === 'locked' ? problem(id, 'Too many wrong codes: your account is locked for 15 minutes') : problem(id, REFUSED[check.reason]);

  r.get(ENROL_PATH, async (req, res) => {
    await show(res, req.query.done === 'off' ? { flash: 'Two-factor sign-in is off.' } : {});
  });

  r.post(ENROL_PATH, async (req, res) => {
    const u = sessionUserOf(res)!;
    const who: Person = { userId: u.userId, name: u.name, role: u.role };
    const v = formValues(req.body);
    const state = await twoFactorState(deps, u.userId);
    if (v.action === 'confirm' && !state.on) {
      const entry = readCode(v.code);
      if (entry.kind === 'missing') return show(res, problem('code', ENTER_CODE), 400);
      if (entry.kind !== 'totp') return show(res, problem('code', APP_CODE_FORMAT), 400);
      const done = await confirmEnrolment(deps, who, entry.code, readCookie(req, SESSION_COOKIE));
      if (!done.ok) return show(res, problem('code', REFUSED.wrong), 400);
      return showCodes(res, done.recoveryCodes, true);
    }
    if (v.action === 'recovery-codes' && state.on) return showCodes(res, await renewRecoveryCodes(deps, who), false);
    if (v.action === 'turn-off' && state.on && !secondFactorRequired(deps.env, u.role)) {
      const entry = readCode(v.code);
      if (entry.kind === 'missing') return show(res, problem('off-code', ENTER_CODE), 400);
      if (entry.kind !== 'totp') return show(res, problem('off-code', APP_CODE_FORMAT), 400);
      const check = await turnOffSecondFactor(deps, who, entry);
      if (!check.ok) return show(res, refusal(check, 'off-code'), check.reason === 'locked' ? 429 : 401);
      return res.redirect(303, `${ENROL_PATH}?done=off`);
    }
    // a stale form (already on, already off, or not allowed for this role): the page as it is now
    await show(res, { flash: 'That could not be done: this page shows where things stand now.' }, 409);
  });

  return r;
}
