/**
 * The admin's side of sessions and tokens: ending all of a person's sessions (a button on
 * /hub/users) and every API token on /hub/tokens (or one user's), with revocation.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { ServiceDeps } from '../../../platform/deps.js';
import { flashFor, formValues } from '../../../platform/pages/forms.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { endAllSessionsOfUser } from '../account-sessions.service.js';
import { listTokensForAdmin, revokeToken } from '../token.service.js';

const uuid = z.uuid();

export function hubAccountSecurityRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub/tokens', requireUser('admin'));
  r.use('/hub/users/:id/sessions', requireUser('admin'));

  r.post('/hub/users/:id/sessions/end', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    await endAllSessionsOfUser(deps, principalFromSession(res), id.data);
    res.redirect(303, '/hub/users?done=sessions');
  });

  r.get('/hub/tokens', async (req, res) => {
    const userId = uuid.safeParse(req.query.userId);
    page(res, 'hub-tokens.njk', {
      title: 'API tokens',
      section: 'users',
      back: { href: '/hub/users', text: 'Users' },
      forUser: userId.success ? userId.data : undefined,
      tokens: await listTokensForAdmin(deps, principalFromSession(res), { userId: userId.success ? userId.data : undefined }),
      flash: flashFor(req.query.done, { revoked: 'Token revoked. Programs using it stop working within a few seconds.' }),
    });
  });

  r.post('/hub/tokens/:id/revoke', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const { userId } = await revokeToken(deps, principalFromSession(res), id.data);
    const from = formValues(req.body).from === 'user' ? `&userId=${userId}` : '';
    res.redirect(303, `/hub/tokens?done=revoked${from}`);
  });

  return r;
}
