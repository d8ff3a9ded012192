/** The admin's users page: making accounts, setting passwords, disabling them. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError, badRequest } from '../../../kernel/errors.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { flashFor, formProblems, formValues } from '../../../platform/pages/forms.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { passwordSchema } from '../password.service.js';
import { createUserWithPassword, disableUser, listUsersForHub, newUserSchema, resetUserSecondFactor, setUserPassword } from '../user.service.js';
import { listAgencies, listOrganisations } from '../../directory/index.js';

const uuid = z.uuid();
const blank = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : s.trim());
// a missing role in words, not zod's list of the role codes (one long word that widened a phone's page)
const problems = (err: unknown, prefix: string) =>
  formProblems(err, prefix, { name: 'Name', email: 'Email', role: 'Role', agencyId: 'Agency', organisationId: 'Organisation', password: 'Password' }, (field) => (field === 'role' ? 'Choose their role' : undefined));

export function usersRouter(deps: ServiceDeps): Router {
  const r = Router();
  // accounts are an admin's, not a coordinator's (docs/web-pages.md, "Signing in")
  r.use('/hub/users', requireUser('admin'));

  // ---- users ----
  const showUsers = async (res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    page(res, 'hub-users.njk', { title: 'Users', section: 'users', users: await listUsersForHub(deps, principalFromSession(res)), agencies: await listAgencies(deps), organisations: (await listOrganisations(deps)).filter((o) => o.active), values: {}, fieldErrors: {}, ...extra }, status);

  r.get('/hub/users', async (req, res) => showUsers(res, { flash: flashFor(req.query.done, { created: 'User created.', password: 'Password set.', disabled: 'User disabled.', sessions: 'All their sessions ended: they must sign in again.', 'two-factor-reset': 'Two-factor sign-in reset: their sessions have ended.' }) }));

  r.post('/hub/users', async (req: Request, res) => {
    const v = formValues(req.body);
    try {
      const input = newUserSchema.parse({ role: v.role, name: v.name ?? '', email: v.email ?? '', agencyId: v.role === 'agency' ? blank(v.agencyId) : null, organisationId: v.role === 'link_worker' ? blank(v.organisationId) : null });
      // on this page a new link worker names their organisation (the reports group referrals by it)
      if (input.role === 'link_worker' && !input.organisationId) throw badRequest('invalid user', [{ path: 'organisationId', message: 'choose the organisation this link worker works for' }]);
      const { password } = z.object({ password: passwordSchema }).parse({ password: v.password ?? '' });
      await createUserWithPassword(deps, principalFromSession(res), input, password);
      res.redirect(303, '/hub/users?done=created');
    } catch (err) {
      const p = problems(err, 'new');
      if (!p) throw err;
      await showUsers(res, { ...p, values: { ...v, password: '' } }, err instanceof AppError ? err.status : 400);
    }
  });

  r.post('/hub/users/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const v = formValues(req.body);
    try {
      if (v.action === 'disable') {
        await disableUser(deps, principalFromSession(res), id.data);
        return res.redirect(303, '/hub/users?done=disabled');
      }
      // two-factor sign-in ([2/6]): a lost phone and lost recovery codes
      if (v.action === 'reset-two-factor') {
        await resetUserSecondFactor(deps, principalFromSession(res), id.data);
        return res.redirect(303, '/hub/users?done=two-factor-reset');
      }
      await setUserPassword(deps, principalFromSession(res), id.data, z.object({ password: passwordSchema }).parse({ password: v.password ?? '' }).password);
      res.redirect(303, '/hub/users?done=password');
    } catch (err) {
      const p = problems(err, id.data);
      if (!p) throw err;
      await showUsers(res, p, err instanceof AppError ? err.status : 400);
    }
  });

  return r;
}
