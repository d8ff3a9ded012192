/**
 * The second factor's pages: the code or passkey asked after the password (/sign-in/code,
 * before any session: its forms carry the pending sign-in's own CSRF token), and the person's
 * own two-factor page (/account/two-factor: the app's enrolment, passkeys, recovery codes,
 * turning the app off). A passkey's ceremony needs JavaScript (static/passkey.js): the script
 * posts the same form with action=passkey-options for the options (JSON), then posts it again
 * with the browser's answer in `credential`. Without JavaScript the pages say so, and codes work.
 */
import { Router, type Request, type Response } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { csrfMatches, homeFor, readCookie, requireUser, sessionUserOf } from '../../../platform/pages/guards.js';
import { flashFor, formValues } from '../../../platform/pages/forms.js';
import { page } from '../../../platform/pages/render.js';
import { loadPendingSignIn } from '../pending-sign-in.service.js';
import { PASSKEY_NAME_MAX, addPasskey, authenticationOptions, checkPasskey, registrationOptions, removePasskey } from '../passkey.service.js';
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

const PASSKEY_NEEDS_JS = 'Using a passkey needs JavaScript, which is off in this browser. Enter a code instead';
const PASSKEY_NOT_USED = 'The passkey was not used (it was cancelled or took too long). Try again, or enter a code';
const PASSKEY_REFUSED = 'That passkey was not accepted. Try again with a passkey added to this account, or enter a code';
const ADD_NEEDS_JS = 'Adding a passkey needs JavaScript, which is off in this browser';
const ADD_FAILED: Record<'expired' | 'refused' | 'duplicate' | 'none', string> = {
  none: 'The passkey was not made (it was cancelled or took too long). Try again',
  expired: 'That took too long. Try again',
  refused: 'That passkey could not be added. Try again',
  duplicate: 'That passkey is added already',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const problem = (id: string, text: string) => ({ errors: [{ text, href: `#${id}` }], fieldErrors: { [id]: text } });

/** /sign-in/code: the second step of a sign-in whose first factor is done. */
export function signInCodeRouter(deps: ServiceDeps): Router {
  const r = Router();

  const pendingOf = (req: Request) => loadPendingSignIn(deps, readCookie(req, PENDING_COOKIE));
  type Pending = NonNullable<Awaited<ReturnType<typeof pendingOf>>>;
  const show = async (res: Response, pending: Pending, extra: Record<string, unknown> = {}, status = 200) => {
    const state = await twoFactorState(deps, pending.userId);
    page(res, 'sign-in-code.njk', { title: 'Enter your sign-in code', csrfToken: pending.csrfToken, app: state.appOn, passkeys: state.passkeys.length > 0, fieldErrors: {}, ...extra }, status);
  };

  r.get('/sign-in/code', async (req, res) => {
    const pending = await pendingOf(req);
    if (!pending) return res.redirect(303, '/sign-in');
    await show(res, pending);
  });

  r.post('/sign-in/code', async (req, res) => {
    const pending = await pendingOf(req);
    if (!pending) return res.redirect(303, '/sign-in');
    const body = formValues(req.body);
    const pendingCookie = readCookie(req, PENDING_COOKIE)!;
    if (!csrfMatches(pending.csrfToken, body._csrf)) return show(res, pending, problem('code', 'Your sign-in form expired. Try again.'), 403);
    if (body.action === 'passkey-options') {
      const options = await authenticationOptions(deps, pending.userId, pendingCookie);
      return options ? res.json(options) : res.status(409).json({ error: { code: 'no_passkey', message: 'this account has no passkey' } });
    }
    const who: Person = { userId: pending.userId, name: pending.name, role: pending.role };
    let check: CodeCheck;
    if (body.action === 'passkey') {
      if (!body.credential) return show(res, pending, problem('passkey', body.js === 'true' ? PASSKEY_NOT_USED : PASSKEY_NEEDS_JS), 400);
      check = await checkPasskey(deps, who, body.credential, pendingCookie);
      if (!check.ok && check.reason !== 'locked') return show(res, pending, problem('passkey', PASSKEY_REFUSED), 401);
    } else {
      const entry = readCode(body.code);
      if (entry.kind === 'missing') return show(res, pending, problem('code', ENTER_CODE), 400);
      if (entry.kind === 'bad') return show(res, pending, problem('code', CODE_FORMAT), 400);
      check = await checkSecondFactor(deps, who, entry);
    }
    if (!check.ok && check.reason === 'locked') {
      await endPendingSignIn(deps, req, res);
      return page(res, 'error.njk', LOCKED, 401);
    }
    if (!check.ok) return show(res, pending, problem('code', REFUSED[check.reason as 'wrong' | 'reused']), 401);
    // one code completes one pending sign-in, once
    if (!(await endPendingSignIn(deps, req, res))) return res.redirect(303, '/sign-in');
    await completeSecondFactor(deps, req, res, { userId: pending.userId, name: pending.name, role: pending.role, agencyId: pending.agencyId }, check.via, pending.next);
  });

  return r;
}

/** The actions that change a second factor that is already on. */
const MANAGING = new Set(['recovery-codes', 'passkey-options', 'add-passkey', 'remove-passkey', 'confirm']);
const SIGN_IN_AGAIN = 'To change your two-factor sign-in, sign out and sign in again with your code or passkey.';

const FLASH = {
  app: 'Two-factor sign-in is on.',
  passkey: 'Passkey added: two-factor sign-in is on.',
  renewed: 'New recovery codes made: the old ones no longer work.',
};
const DONE = {
  off: 'Two-factor sign-in is off.',
  'app-off': 'The authenticator app is off: your passkeys still sign you in.',
  'app-on': 'The authenticator app is on. Your recovery codes have not changed.',
  'passkey-added': 'Passkey added.',
  'passkey-removed': 'Passkey removed: it no longer signs you in.',
};

/** /account/two-factor: the signed-in person's own second factor. */
export function twoFactorRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use(ENROL_PATH, requireUser());

  const show = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const u = sessionUserOf(res)!;
    const state = await twoFactorState(deps, u.userId);
    const enrolment = state.appOn ? undefined : await enrolmentFor(deps, { userId: u.userId, email: u.email });
    const required = secondFactorRequired(deps.env, u.role);
    page(res, 'account-two-factor.njk', {
      title: 'Two-factor sign-in', state, enrolment, mustEnrol: u.mustEnrol, required,
      // a role that must have a second factor keeps its last one
      appMayGo: !required || state.passkeys.length > 0, passkeyMayGo: !required || state.appOn || state.passkeys.length > 1,
      nameMax: PASSKEY_NAME_MAX, fieldErrors: {}, ...extra,
    }, status);
  };
  const showCodes = (res: Response, codes: string[], flash: 'app' | 'passkey' | 'renewed') =>
    page(res, 'account-recovery-codes.njk', { title: 'Your recovery codes', codes, flash: FLASH[flash], home: homeFor(sessionUserOf(res)!.role) });
  const refusal = (check: Exclude<CodeCheck, { ok: true }>, id: string) =>
    check.reason === 'locked' ? problem(id, 'Too many wrong codes: your account is locked for 15 minutes') : problem(id, REFUSED[check.reason]);

  r.get(ENROL_PATH, async (req, res) => {
    await show(res, { flash: flashFor(req.query.done, DONE) });
  });

  r.post(ENROL_PATH, async (req, res) => {
    const u = sessionUserOf(res)!;
    const who: Person = { userId: u.userId, name: u.name, role: u.role };
    const v = formValues(req.body);
    const state = await twoFactorState(deps, u.userId);
    const sessionCookie = readCookie(req, SESSION_COOKIE)!;
    const name = (v.name ?? '').trim();
    // Once a factor is on, changing it takes a session that proved one: a session opened with the
    // password alone (before the factor existed, or before this version) may only look.
    if (state.on && !u.secondFactor && MANAGING.has(v.action ?? '')) {
      if (v.action === 'passkey-options') return res.status(403).json({ error: { code: 'second_factor_needed', message: SIGN_IN_AGAIN } });
      return show(res, { flash: SIGN_IN_AGAIN }, 403);
    }
    const nameProblem = !name ? 'Enter a name for the passkey' : name.length > PASSKEY_NAME_MAX ? `Name must be ${PASSKEY_NAME_MAX} characters or fewer` : undefined;
    if (v.action === 'passkey-options') {
      if (nameProblem) return res.status(400).json({ error: { code: 'invalid_name', message: nameProblem } });
      return res.json(await registrationOptions(deps, { ...who, email: u.email }, sessionCookie));
    }
    if (v.action === 'add-passkey') {
      if (nameProblem) return show(res, problem('passkey-name', nameProblem), 400);
      if (!v.credential) return show(res, problem('passkey-name', v.js === 'true' ? ADD_FAILED.none : ADD_NEEDS_JS), 400);
      const added = await addPasskey(deps, who, name, v.credential, sessionCookie);
      if (!added.ok) return show(res, problem('passkey-name', ADD_FAILED[added.reason]), 400);
      if (added.recoveryCodes.length > 0) return showCodes(res, added.recoveryCodes, 'passkey');
      return res.redirect(303, `${ENROL_PATH}?done=passkey-added`);
    }
    if (v.action === 'remove-passkey' && UUID.test(v.passkey ?? '')) {
      const last = !state.appOn && state.passkeys.length === 1;
      if (!(last && secondFactorRequired(deps.env, u.role)) && (await removePasskey(deps, who, v.passkey!))) return res.redirect(303, `${ENROL_PATH}?done=passkey-removed`);
    }
    if (v.action === 'confirm' && !state.appOn) {
      const entry = readCode(v.code);
      if (entry.kind === 'missing') return show(res, problem('code', ENTER_CODE), 400);
      if (entry.kind !== 'totp') return show(res, problem('code', APP_CODE_FORMAT), 400);
      const done = await confirmEnrolment(deps, who, entry.code, sessionCookie);
      if (!done.ok) return show(res, problem('code', REFUSED.wrong), 400);
      // a passkey came first: the recovery codes made then still stand
      if (done.recoveryCodes.length === 0) return res.redirect(303, `${ENROL_PATH}?done=app-on`);
      return showCodes(res, done.recoveryCodes, 'app');
    }
    if (v.action === 'recovery-codes' && state.on) return showCodes(res, await renewRecoveryCodes(deps, who), 'renewed');
    if (v.action === 'turn-off' && state.appOn && (!secondFactorRequired(deps.env, u.role) || state.passkeys.length > 0)) {
      const entry = readCode(v.code);
      if (entry.kind === 'missing') return show(res, problem('off-code', ENTER_CODE), 400);
      if (entry.kind !== 'totp') return show(res, problem('off-code', APP_CODE_FORMAT), 400);
      const check = await turnOffSecondFactor(deps, who, entry);
      if (!check.ok) return show(res, refusal(check, 'off-code'), check.reason === 'locked' ? 429 : 401);
      return res.redirect(303, `${ENROL_PATH}?done=${state.passkeys.length > 0 ? 'app-off' : 'off'}`);
    }
    // a stale form (already on, already off, or not allowed for this role): the page as it is now
    await show(res, { flash: 'That could not be done: this page shows where things stand now.' }, 409);
  });

  return r;
}
