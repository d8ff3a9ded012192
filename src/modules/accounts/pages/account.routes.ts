/**
 * A signed-in person's own account pages, whatever their role: their sessions (end any, or all
 * but this one) and their API tokens (make one, shown once; revoke one). Every role that signs
 * in uses the API (docs/api.md), so every role has the tokens page.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { ServiceDeps } from '../../../platform/deps.js';
import { flashFor, formProblems, formValues } from '../../../platform/pages/forms.js';
import { principalFromSession, requireUser, sessionUserOf } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { endOtherOwnSessions, endOwnSession, listOwnSessions } from '../account-sessions.service.js';
import { MAX_EXPIRY_DAYS, createOwnToken, listOwnTokens, revokeToken } from '../token.service.js';
import { clearSessionCookie } from './session.js';

const uuid = z.uuid();

export function accountRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/account', requireUser());

  // ---- sessions ----
  r.get('/account/sessions', async (req, res) => {
    const flash = flashFor(req.query.done, { ended: 'Session ended.', others: 'You are signed out everywhere else.' });
    page(res, 'account-sessions.njk', {
      title: 'Your sessions',
      section: 'account',
      sessions: await listOwnSessions(deps, sessionUserOf(res)!),
      idleHours: deps.env.SESSION_IDLE_HOURS,
      absoluteHours: deps.env.SESSION_ABSOLUTE_HOURS,
      flash,
    });
  });

  r.post('/account/sessions/end-others', async (_req, res) => {
    await endOtherOwnSessions(deps, sessionUserOf(res)!);
    res.redirect(303, '/account/sessions?done=others');
  });

  r.post('/account/sessions/:id/end', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const { endedCurrent } = await endOwnSession(deps, sessionUserOf(res)!, id.data);
    if (endedCurrent) {
      clearSessionCookie(res, deps.env.SECURE_COOKIES);
      return res.redirect(303, '/sign-in');
    }
    res.redirect(303, '/account/sessions?done=ended');
  });

  // ---- API tokens ----
  const showTokens = async (res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    page(res, 'account-tokens.njk', { title: 'Your API tokens', section: 'account', tokens: await listOwnTokens(deps, principalFromSession(res)), maxDays: MAX_EXPIRY_DAYS, values: {}, fieldErrors: {}, ...extra }, status);

  r.get('/account/tokens', async (req, res) => showTokens(res, { flash: flashFor(req.query.done, { revoked: 'Token revoked. Programs using it stop working within a few seconds.' }) }));

  r.post('/account/tokens', async (req, res) => {
    const v = formValues(req.body);
    try {
      const days = (v.expiresInDays ?? '').trim();
      const made = await createOwnToken(deps, principalFromSession(res), { label: v.label ?? '', expiresInDays: days === '' ? undefined : (days as unknown as number) });
      // shown in this response only: never in a redirect's address, never again
      await showTokens(res, { made });
    } catch (err) {
      const p = formProblems(err, 'token', { label: 'Label', expiresInDays: 'Expires after' });
      if (!p) throw err;
      await showTokens(res, { ...p, values: v }, 400);
    }
  });

  r.post('/account/tokens/:id/revoke', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    await revokeToken(deps, principalFromSession(res), id.data);
    res.redirect(303, '/account/tokens?done=revoked');
  });

  return r;
}
