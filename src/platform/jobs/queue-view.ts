/**
 * The hub admin's view of the queues: bull-board (@bull-board/api and @bull-board/express) over
 * the registry's queues, mounted by src/pages.ts at /hub/queues behind the admin's sign-in.
 *
 * Read-only unless QUEUE_VIEW_ALLOW_RETRIES: then failed jobs may be retried (one, or all of a
 * queue's failed), and nothing else (no add, edit, clean, empty, pause or obliterate: a job's
 * data is ids the registry checks, and a person's data must never be typed into one). The guard
 * here refuses every other change before bull-board sees it; bull-board's own read-only mode
 * refuses them again.
 *
 * Its page keeps the pages' security headers (src/platform/pages/guards.ts) with one change,
 * `base-uri 'self'` (the React app reads its base path from a <base> element of this origin). Its
 * HTML is bull-board's own template with what that policy would block taken out: the web font
 * from another origin (fonts.googleapis.com) and the inline styles of its "Loading" placeholder.
 * Its scripts, styles and translations are served from its package, on this origin.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router, type RequestHandler } from 'express';
import type { JobProducer } from './producer.js';
import { QUEUE_NAMES } from './registry.js';

/** What the guard lets change when retries are allowed: retry one job, or a queue's failed ones. */
const RETRIES = [/^\/api\/queues\/[^/]+\/[^/]+\/retry\/?$/, /^\/api\/queues\/[^/]+\/retry\/failed\/?$/];

const UI_DIST = join(dirname(createRequire(import.meta.url).resolve('@bull-board/ui/package.json')), 'dist');

let template: string | undefined;
/** bull-board's index.ejs without what the pages' CSP refuses; fails loudly if its shape changed. */
function pageTemplate(): string {
  if (template) return template;
  const raw = readFileSync(join(UI_DIST, 'index.ejs'), 'utf8');
  const cleaned = raw
    .replace(/<link[^>]+href="https?:\/\/[^"]*"[^>]*>\s*/g, '')
    .replace(/<div id="root">[\s\S]*?<\/div>\s*<\/div>|<div id="root">[\s\S]*?<style>[\s\S]*?<\/style>\s*<\/div>/, '<div id="root"></div>');
  if (/https?:\/\/(?!www\.w3\.org)/.test(cleaned) || /\sstyle="|<style/.test(cleaned)) throw new Error('the queue view\'s template changed: check it against the pages\' CSP');
  template = cleaned;
  return template;
}

/** Fills the template's few tags (basePath, title, favicons: escaped; uiConfig: JSON bull-board has made safe). */
function renderPage(_file: string, options: object, callback: (e: unknown, rendered?: string) => void): void {
  try {
    const o = options as Record<string, unknown>;
    const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const html = pageTemplate().replace(/<%([=-])\s*(\w+)\s*%>/g, (_m, kind: string, name: string) => {
      if (!['basePath', 'title', 'favIconDefault', 'favIconAlternative', 'uiConfig'].includes(name)) throw new Error(`the queue view's template has an unknown tag ${name}`);
      return kind === '-' && name === 'uiConfig' ? String(o[name]) : esc(o[name]);
    });
    callback(null, html);
  } catch (err) {
    callback(err);
  }
}

export interface QueueViewOptions {
  jobs: Pick<JobProducer, 'queue'>;
  /** where the router is mounted, such as /hub/queues */
  basePath: string;
  allowRetries: boolean;
}

export function queueViewRouter({ jobs, basePath, allowRetries }: QueueViewOptions): Router {
  const adapter = new ExpressAdapter().setBasePath(basePath);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(jobs.queue(name), { readOnlyMode: !allowRetries, allowRetries, description: 'jobs carry ids only' })),
    serverAdapter: adapter,
    options: {
      uiConfig: { boardTitle: 'Signpost queues', hideDocsLink: true, hideRedisDetails: true, locale: { lng: 'en-GB' }, miscLinks: [{ text: 'Back to the hub', url: '/hub' }] },
    },
  });
  const board = adapter.getRouter() as ReturnType<typeof Router> & { engine(ext: string, fn: typeof renderPage): void };
  board.engine('ejs', renderPage);

  const r = Router();
  const changesRefused: RequestHandler = (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (allowRetries && (req.method === 'PUT' || req.method === 'POST') && RETRIES.some((p) => p.test(req.path))) return next();
    res.status(405).set('Allow', 'GET, HEAD').json({ error: allowRetries ? 'only retrying failed jobs is allowed here' : 'the queue view is read-only (QUEUE_VIEW_ALLOW_RETRIES is not set)' });
  };
  r.use(changesRefused);
  r.use((_req, res, next) => {
    const csp = res.get('Content-Security-Policy');
    if (csp) res.set('Content-Security-Policy', csp.replace("base-uri 'none'", "base-uri 'self'"));
    next();
  });
  r.use(board);
  return r;
}
