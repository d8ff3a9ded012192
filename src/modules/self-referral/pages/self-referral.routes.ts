/**
 * The public pages, no account needed (docs/ways-in.md; the defences in docs/security.md):
 *  - /self-referral: the person, or someone on their behalf, asks for help. Anti-abuse without
 *    getting in an older person's way: a honeypot field (a filled one gets the same thank-you,
 *    with a reference that means nothing, and nothing is stored or spent), a small body limit
 *    (pages.ts) and the schema's field lengths, rate limits per address and for everyone
 *    (429 with Retry-After and the hub's phone number) that only a request to be stored spends,
 *    and a double-submit CSRF cookie. The thank-you page shows the reference and nothing else: it
 *    never tells whether the person is already known.
 *  - /paper-checklist: the current checklist, blank, to print (A4, large print).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { AppError } from '../../../kernel/errors.js';
import type { ServiceDeps } from '../../../platform/deps.js';
import { csrfMatches } from '../../../platform/pages/guards.js';
import { createSelfReferralLimits } from '../self-referral-limits.js';
import { receiveSelfReferral } from '../self-referral.service.js';
import { formValues, type FormValues } from '../../../platform/pages/forms.js';
import { readCookie } from '../../../platform/pages/guards.js';
import { page } from '../../../platform/pages/render.js';
import { filledInBy, publicProblems, selfReferralBody } from './self-referral-form.js';
import { currentQuestionnaire } from '../../questionnaires/index.js';
import { sectionTicks } from '../../intake/index.js';

const CSRF_COOKIE = 'signpost_self_referral_csrf';
const FORM_KEY = /^[A-Za-z0-9-]{8,100}$/;

export function selfReferralRouter(deps: ServiceDeps): Router {
  const r = Router();
  const limits = createSelfReferralLimits(deps);
  const hub = { HUB_NAME: deps.env.HUB_NAME, HUB_PHONE: deps.env.HUB_PHONE, HUB_HOURS: deps.env.HUB_HOURS, HUB_ADDRESS: deps.env.HUB_ADDRESS };
  const rid = (req: { id?: unknown }) => (req.id === undefined ? undefined : String(req.id));

  const noChecklist = (res: Response) =>
    page(res, 'error.njk', { title: 'Sorry, this form is not available', message: 'We will take the details over the phone.', callHub: hub }, 503);

  const showForm = async (res: Response, values: FormValues, extra: Record<string, unknown> = {}, status = 200) => {
    const questionnaire = await currentQuestionnaire(deps);
    if (!questionnaire) return noChecklist(res);
    const token = randomBytes(24).toString('base64url');
    res.cookie(CSRF_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: deps.env.SECURE_COOKIES, path: '/self-referral' });
    page(
      res,
      'self-referral.njk',
      {
        title: 'Ask for help',
        questionnaire,
        values,
        csrfToken: token,
        formKey: values.formKey && FORM_KEY.test(values.formKey) ? values.formKey : randomUUID(),
        sections: {},
        fieldErrors: {},
        hub,
        ...extra,
      },
      status,
    );
  };

  const thankYou = (res: Response, reference: string, sentBefore?: string) => {
    res.clearCookie(CSRF_COOKIE, { path: '/self-referral' });
    page(res, 'self-referral-done.njk', { title: 'Thank you: we have your request', reference, sentBefore, hub });
  };

  r.get('/self-referral', async (_req, res) => showForm(res, {}));

  // behind a proxy that TRUST_PROXY does not name, every client shares the proxy's allowance: say so, once (never the header's value)
  let proxyWarned = false;
  const warnUntrustedProxy = (req: Request) => {
    if (proxyWarned || deps.env.TRUST_PROXY !== false || req.get('x-forwarded-for') === undefined) return;
    proxyWarned = true;
    deps.logger.warn('a self-referral came with X-Forwarded-For but TRUST_PROXY is false: the limits count the connection address, which is shared by everyone behind that proxy');
  };

  r.post('/self-referral', async (req, res) => {
    const values = formValues(req.body);
    const want = readCookie(req, CSRF_COOKIE);
    if (!want || !csrfMatches(want, values._csrf)) {
      return showForm(res, values, { sections: sectionTicksOrEmpty(req.body), errors: [{ text: 'This form had expired. Check your answers and send it again.', href: '#main-form' }] }, 403);
    }
    const questionnaire = await currentQuestionnaire(deps);
    if (!questionnaire) return noChecklist(res);
    const ticks = sectionTicks(req.body, questionnaire);
    const honeypot = (values.website ?? '') !== '';
    let body;
    if (!honeypot) {
      if (values.questionnaireId !== questionnaire.id) {
        return showForm(res, values, { errors: [{ text: 'The checklist changed while you were filling it in. Tick your answers again and send it.', href: '#main-form' }] }, 409);
      }
      const built = selfReferralBody(values, ticks, questionnaire, deps.clock.now());
      const who = filledInBy(values);
      if (!built.body || !who) {
        const problems = built.problems ?? { errors: [], fieldErrors: {} };
        if (!who && !problems.fieldErrors.fillingIn) {
          problems.fieldErrors.fillingIn = 'Say who is filling this in';
          problems.errors.unshift({ text: 'Say who is filling this in', href: '#fillingIn' });
        }
        return showForm(res, values, { sections: ticks, ...problems }, 400);
      }
      body = { body: built.body, who };
    }
    warnUntrustedProxy(req);
    // a robot filled the field people are told to leave empty: the same thank-you, nothing stored or spent
    if (!body) return thankYou(res, deps.ids.reference());
    const formKey = values.formKey && FORM_KEY.test(values.formKey) ? values.formKey : randomUUID();
    try {
      // the allowance is spent in there, and only for a request that is stored
      const reply = await receiveSelfReferral(deps, { body: body.body, filledInBy: body.who, formKey }, () => limits.consume(req.ip ?? 'unknown'), rid(req));
      if (reply.outcome === 'busy') {
        res.set('Retry-After', String(reply.retryAfterSeconds));
        return page(res, 'self-referral-busy.njk', { title: 'Sorry, we cannot take this request online just now', hub, minutes: Math.ceil(reply.retryAfterSeconds / 60) }, 429);
      }
      thankYou(res, reply.reference, reply.outcome === 'stored' ? reply.sentBefore : undefined);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const details = Array.isArray(err.details) ? (err.details as { path: string; message: string }[]) : [{ path: 'consent.given', message: err.message }];
      return showForm(res, values, { sections: ticks, ...publicProblems(details, questionnaire) }, err.status);
    }
  });

  r.get('/paper-checklist', async (_req, res) => {
    const questionnaire = await currentQuestionnaire(deps);
    if (!questionnaire) return noChecklist(res);
    // the blank form holds no personal data: it may be cached by the browser
    res.set('Cache-Control', 'private, no-cache');
    page(res, 'paper-checklist.njk', { title: `${questionnaire.title}: paper form`, questionnaire, hub, addressLines: deps.env.HUB_ADDRESS.split(',').map((l) => l.trim()) });
  });

  return r;
}

/** The ticks as posted, before the questionnaire is known (an expired form keeps them). */
function sectionTicksOrEmpty(body: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (!k.startsWith('s_')) continue;
      out[k.slice(2)] = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
    }
  }
  return out;
}
