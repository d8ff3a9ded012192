/** The hub's follow-up calls (T3): the worklist, and the call page with its script. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../../kernel/errors.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { HUB_ROLES } from '../../../kernel/principal.js';
import { principalFromSession, requireUser } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { formValues } from '../../../platform/pages/forms.js';
import { followUpCounts, followUpForCall, listFollowUpWorklist, recordFollowUp, recordFollowUpSchema } from '../follow-up-record.service.js';
import { WELLBEING_FIELDS, asksWellbeingAt, wellbeingError, wellbeingFromForm } from '../../wellbeing/index.js';

const rid = (req: Request) => (req.id === undefined ? undefined : String(req.id));
const uuid = z.uuid();
const NEEDS_MET = [
  { value: 'yes', text: 'Yes' },
  { value: 'partly', text: 'Partly' },
  { value: 'no', text: 'No' },
  { value: 'not_yet', text: 'Not yet' },
];

export function followUpsRouter(deps: ServiceDeps): Router {
  const r = Router();
  r.use('/hub', requireUser(...HUB_ROLES));

  // ---- follow-ups (T3) ----
  r.get('/hub/follow-ups', async (req, res) => {
    const state = z.enum(['due', 'upcoming', 'completed']).catch('due').parse(req.query.state);
    const principal = principalFromSession(res);
    const [items, counts] = await Promise.all([listFollowUpWorklist(deps, principal, state, 100, rid(req)), followUpCounts(deps, principal)]);
    page(res, 'hub-follow-ups.njk', { title: 'Follow-up calls', section: 'follow-ups', items, state, counts });
  });

  // the ONS4 questions, where the hub asks them at the call (WELLBEING_ASKED_AT)
  const askWellbeing = asksWellbeingAt(deps.env.WELLBEING_ASKED_AT, 'call');
  const showCall = async (req: Request, res: Parameters<typeof page>[0], id: string, extra: Record<string, unknown> = {}, status = 200) => {
    const f = await followUpForCall(deps, principalFromSession(res), id, rid(req));
    const asked = f.referrals.filter((x) => x.forwardedAt && x.status !== 'cancelled' && x.status !== 'rerouted');
    page(res, 'hub-call.njk', { title: `Follow-up call ${f.submissionReference}`, section: 'follow-ups', f, asked, needsMet: NEEDS_MET, wellbeingQuestions: WELLBEING_FIELDS, askWellbeing, askedAtChecklist: asksWellbeingAt(deps.env.WELLBEING_ASKED_AT, 'checklist'), hubName: deps.env.HUB_NAME, values: {}, fieldErrors: {}, back: { href: '/hub/follow-ups', text: 'Back to follow-ups' }, ...extra }, status);
  };

  r.get('/hub/follow-ups/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const done = req.query.done === 'completed' ? 'completed' : undefined;
    const flash = req.query.done === 'attempt' ? 'Call recorded as not reaching them. It stays on the list of calls due.' : undefined;
    await showCall(req, res, id.data, { flash, done, ...(done ? { title: 'Call recorded' } : {}) });
  });

  r.post('/hub/follow-ups/:id', async (req, res, next) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success) return next();
    const v = formValues(req.body);
    const f = await followUpForCall(deps, principalFromSession(res), id.data, rid(req));
    const fieldErrors: Record<string, string> = {};
    if (v.contactMade !== 'yes' && v.contactMade !== 'no') fieldErrors.contactMade = 'Select whether you reached the person';
    const outcomes = [];
    if (v.contactMade === 'yes') {
      for (const x of f.referrals.filter((x) => x.forwardedAt && x.status !== 'cancelled' && x.status !== 'rerouted')) {
        const needsMet = v[`needsMet_${x.id}`];
        if (!NEEDS_MET.some((n) => n.value === needsMet)) fieldErrors[`needsMet_${x.id}`] = `Select whether their needs were met by ${x.agencyName}`;
        else outcomes.push({ referralId: x.id, needsMet });
      }
    }
    const wellbeing = askWellbeing ? wellbeingFromForm(v) : undefined;
    if (wellbeing && v.contactMade === 'no') fieldErrors.wellbeing = 'Leave the wellbeing questions blank when the call did not reach them';
    const parsed = recordFollowUpSchema.safeParse({ contactMade: v.contactMade === 'yes', outcomes, note: v.note?.trim() || undefined, wellbeing: v.contactMade === 'yes' ? wellbeing : undefined });
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        if (i.path[0] === 'wellbeing') fieldErrors[`wb_${String(i.path[1])}`] ??= wellbeingError(`wb_${String(i.path[1])}`);
        else fieldErrors[i.path[0] === 'note' ? 'note' : 'contactMade'] ??= `${i.path[0] === 'note' ? 'Note' : 'Answer'} ${i.message}`;
      }
    }
    const errors = () => Object.entries(fieldErrors).map(([k, text]) => ({ text, href: `#${k}` }));
    if (Object.keys(fieldErrors).length || !parsed.success) return showCall(req, res, id.data, { values: v, fieldErrors, errors: errors() }, 400);
    const body = parsed.data;
    try {
      const result = await recordFollowUp(deps, principalFromSession(res), id.data, body, rid(req));
      res.redirect(303, `/hub/follow-ups/${id.data}?done=${result.status === 'completed' ? 'completed' : 'attempt'}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
      return showCall(req, res, id.data, { values: v, errors: [{ text: err.message, href: '#contactMade' }] }, err.status);
    }
  });

  return r;
}
