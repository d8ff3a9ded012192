/** The hub's mail page: every mail sent, or only those that failed. */
import { Router } from 'express';
import type { ServiceDeps } from '../../../platform/deps.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { listMail } from '../notification.service.js';

export function mailRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub/mail', requireUser(...HUB_ROLES));

  // ---- mail ----
  r.get('/hub/mail', async (req, res) => {
    const failedOnly = req.query.failed === '1';
    page(res, 'hub-mail.njk', { title: 'Sent mail', section: 'mail', failedOnly, mail: await listMail(deps, principalFromSession(res), failedOnly) });
  });

  return r;
}
