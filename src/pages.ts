/**
 * The web front end: server-rendered NHS.UK pages over the same services as the API. Mounted
 * before the API's 404 handler; anything under /api passes straight through.
 */
import express, { Router, type ErrorRequestHandler } from 'express';
import { join } from 'node:path';
import { AppError, isServiceUnavailable } from './kernel/errors.js';
import { checkRequestBody } from './platform/http/body-shape.js';
import type { ServiceDeps } from './platform/deps.js';
import { checkCsrf, requireUser, sameOriginOnly, securityHeaders } from './platform/pages/guards.js';
import { queueViewRouter } from './platform/jobs/queue-view.js';
import { NHSUK_DIST_DIR, STATIC_DIR, WEBAUTHN_BROWSER_DIR, nhsukCssWithoutWebFonts, page, warmViews } from './platform/pages/render.js';
import { agencyLinkRouter, agencyRouter, hubReferralsRouter } from './modules/referrals/index.js';
import { auditRouter } from './modules/audit/index.js';
import { capacityLinkRouter, capacityRouter } from './modules/capacity/index.js';
import { accountRouter, authRouter, hubAccountSecurityRouter, signInCodeRouter, twoFactorRouter, usersRouter, webSession } from './modules/accounts/index.js';
import { directoryRouter } from './modules/directory/index.js';
import { questionnairePagesRouter } from './modules/questionnaires/index.js';
import { mailRouter } from './modules/notifications/index.js';
import { webhooksRouter } from './modules/webhooks/index.js';
import { dashboardRouter } from './modules/sla/index.js';
import { followUpsRouter } from './modules/follow-up/index.js';
import { checklistRecordRouter, peopleRouter } from './modules/people/index.js';
import { linkWorkerRouter } from './modules/intake/index.js';
import { performanceRouter, reportsRouter } from './modules/reports/index.js';
import { selfReferralRouter, triageRouter } from './modules/self-referral/index.js';

export function webRouter(deps: ServiceDeps): Router {
  const r = Router();
  warmViews();
  const assets = { fallthrough: false, maxAge: deps.env.NODE_ENV === 'production' ? '1d' : 0 };
  // the NHS.UK styles without their web fonts: no page asks another host for anything
  const css = nhsukCssWithoutWebFonts();
  r.get('/nhsuk/nhsuk-frontend.min.css', (_req, res) => {
    res.set({ 'Cache-Control': deps.env.NODE_ENV === 'production' ? 'public, max-age=86400' : 'no-cache', ETag: css.etag }).type('css').send(css.text);
  });
  r.use('/assets', express.static(join(NHSUK_DIST_DIR, 'nhsuk', 'assets'), assets));
  r.use('/nhsuk', express.static(join(NHSUK_DIST_DIR, 'nhsuk'), { ...assets, index: false }));
  r.use('/static', express.static(STATIC_DIR, assets));
  // the browser half of passkeys (@simplewebauthn/browser's ES modules), served by Signpost itself
  r.use('/webauthn', express.static(WEBAUTHN_BROWSER_DIR, { ...assets, index: false }));

  const pages = Router();
  pages.use(securityHeaders(deps.env));
  // the public self-referral form has a tighter limit than the staff pages (413 beyond it)
  pages.use('/self-referral', express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 200 }));
  pages.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 500 }));
  // text Postgres cannot hold (NUL, lone surrogates) is bad input: a 400 page, not a database error
  pages.use(checkRequestBody);
  // the agency link pages carry their own scope and CSRF token; sign-in has a pre-session token
  pages.use(agencyLinkRouter(deps));
  pages.use(capacityLinkRouter(deps));
  pages.use(webSession(deps));
  pages.use(authRouter(deps));
  // the code after the password: its form carries the pending sign-in's own CSRF token (no session yet)
  pages.use(signInCodeRouter(deps));
  // public, with its own double-submit CSRF cookie (no session)
  pages.use(selfReferralRouter(deps));
  // the admin's queue view (bull-board, src/platform/jobs/queue-view.ts): its page calls its JSON
  // API without a form token, so it sits before the form CSRF check, behind the admin's sign-in,
  // and a change (a retry, when QUEUE_VIEW_ALLOW_RETRIES allows one) must come from this site
  const sameOrigin = sameOriginOnly(deps.env);
  pages.use(
    '/hub/queues',
    requireUser('admin'),
    (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : sameOrigin(req, res, next)),
    queueViewRouter({ jobs: deps.jobs, basePath: '/hub/queues', allowRetries: deps.env.QUEUE_VIEW_ALLOW_RETRIES }),
  );
  pages.use(checkCsrf((res) => res.locals.csrfToken as string | undefined));
  pages.use(linkWorkerRouter(deps));
  pages.use(checklistRecordRouter(deps));
  pages.use(agencyRouter(deps));
  pages.use(capacityRouter(deps));
  pages.use(dashboardRouter(deps));
  pages.use(followUpsRouter(deps));
  pages.use(hubReferralsRouter(deps));
  pages.use(triageRouter(deps));
  pages.use(directoryRouter(deps));
  pages.use(questionnairePagesRouter(deps));
  pages.use(mailRouter(deps));
  pages.use(webhooksRouter(deps));
  pages.use(usersRouter(deps));
  pages.use(accountRouter(deps));
  pages.use(hubAccountSecurityRouter(deps));
  pages.use(twoFactorRouter(deps));
  pages.use(peopleRouter(deps));
  pages.use(auditRouter(deps));
  pages.use(reportsRouter(deps));
  pages.use(performanceRouter(deps));
  pages.use((req, res, next) => {
    if (req.method !== 'GET' || !req.accepts('html')) return next();
    page(res, 'error.njk', { title: 'Page not found', message: 'If you typed the web address, check it is correct.' }, 404);
  });
  pages.use(webErrors);

  r.use((req, res, next) => (req.path.startsWith('/api/') || req.path === '/api' ? next('router') : pages(req, res, next)));
  return r;
}

/** Web errors are pages, not JSON: bad input 400, unseen things 404, illegal moves 409 with the allowed next states. */
const webErrors: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  if (err instanceof AppError && err.status < 500) {
    const details = err.details as { allowed?: string[] } | undefined;
    return page(res, 'error.njk', {
      title: err.status === 404 ? 'Page not found' : err.status === 409 ? 'That cannot be done now' : 'There is a problem',
      message: err.message,
      allowed: details && Array.isArray(details.allowed) ? details.allowed : undefined,
    }, err.status);
  }
  const e = err as { status?: number; type?: string };
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return page(res, 'error.njk', { title: 'There is a problem', message: 'The form could not be read. Go back and try again.' }, e.status);
  }
  if (isServiceUnavailable(err)) {
    req.log?.warn({ err }, 'a backing service is unavailable');
    res.set('Retry-After', '5');
    return page(res, 'error.njk', { title: 'Sorry, the service is briefly unavailable', message: 'Nothing was saved. Wait a moment, then try again.' }, 503);
  }
  req.log?.error({ err }, 'unhandled web error');
  page(res, 'error.njk', { title: 'Sorry, there is a problem with the service', message: `Try again later. If you call the hub, quote ${String(req.id ?? '')}.` }, 500);
};
