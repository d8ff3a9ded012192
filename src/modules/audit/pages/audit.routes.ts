/**
 * The audit log for admins: who saw a person, what a user did, within dates; newest first, a
 * page at a time (keyset: "Next page" carries the service's cursor). The filters are ids and
 * dates only, so the GET form puts no personal data in the URL. Reading it is itself audited.
 */
import { Router, type Request } from 'express';
import { AppError } from '../../../kernel/errors.js';
import { auditQuerySchema, listAudit } from '../audit.service.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { formValues } from '../../../platform/pages/forms.js';
import { dateFromInput, londonTime } from '../../../platform/pages/form-dates.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';

const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function auditRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub/audit', requireUser('admin'));

  r.get('/hub/audit', async (req: Request, res) => {
    const v = formValues(req.query);
    const fieldErrors: Record<string, string> = {};
    const personId = (v.personId ?? '').trim();
    const userId = (v.userId ?? '').trim();
    if (personId && !UUID.test(personId)) fieldErrors.personId = "Enter a person record's id, as it appears in the address of their record page";
    if (userId && !UUID.test(userId)) fieldErrors.userId = "Enter a user's id, as the users page links to it";
    const day = (name: 'from' | 'to', id: string, words: string) => {
      const d = dateFromInput(v, name);
      if (d === 'missing') return undefined;
      if (d === 'invalid') {
        fieldErrors[id] = `Enter a real date for ${words}, for example 3 12 2026`;
        return undefined;
      }
      // "to" includes its whole day: up to the start of the next
      return londonTime(d.year, d.month, d.day + (name === 'to' ? 1 : 0)).toISOString();
    };
    const from = day('from', 'from', '“from”');
    const to = day('to', 'to', '“to”');
    if (from && to && from >= to) fieldErrors.to = 'The “to” date must be the same as or after the “from” date';
    const ctx = { title: 'Audit log', section: 'audit', values: v, fieldErrors };
    const errors = () => Object.entries(fieldErrors).map(([id, text]) => ({ text, href: `#${id}` }));
    if (Object.keys(fieldErrors).length) return page(res, 'hub-audit.njk', { ...ctx, errors: errors() }, 400);

    const q = auditQuerySchema.safeParse({
      personId: personId || undefined,
      userId: userId || undefined,
      from,
      to,
      limit: PAGE_SIZE,
      cursor: v.cursor || undefined,
    });
    if (!q.success) return page(res, 'hub-audit.njk', { ...ctx, errors: [{ text: 'That page of the log could not be read. Start again from the first page.', href: '#audit-filter' }] }, 400);
    try {
      const result = await listAudit(deps, principalFromSession(res), q.data, req.id === undefined ? undefined : String(req.id));
      const keep = Object.entries(v).filter(([k, x]) => k !== 'cursor' && x !== '');
      const next = result.nextCursor ? `/hub/audit?${new URLSearchParams([...keep, ['cursor', result.nextCursor]]).toString()}` : undefined;
      page(res, 'hub-audit.njk', { ...ctx, items: result.items, next, firstPage: !v.cursor, firstHref: `/hub/audit?${new URLSearchParams(keep).toString()}` });
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      page(res, 'hub-audit.njk', { ...ctx, errors: [{ text: 'That page of the log could not be read. Start again from the first page.', href: '#audit-filter' }] }, 400);
    }
  });

  return r;
}
