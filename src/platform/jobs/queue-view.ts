/**
 * The hub admin's view of the queues: bull-board (@bull-board/api and @bull-board/express) over
 * the registry's queues, mounted by src/pages.ts at /hub/queues behind the admin's sign-in.
 *
 * Read-only unless QUEUE_VIEW_ALLOW_RETRIES: then failed jobs may be retried (one, or all of a
 * queue's failed), and nothing else (no add, edit, clean, empty, pause or obliterate: a job's
 * data is ids the registry checks, and a person's data must never be typed into one). The guard
 * here refuses every other change before bull-board sees it (and a retry of a job that has not
 * failed); when retries are off, bull-board's own read-only mode refuses them again.
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
import { Router, type RequestHandler } from 'express';
import type { JobProducer } from './producer.js';
import { QUEUE_NAMES } from './registry.js';

/**
 * What the guard lets change when retries are allowed: retry one job (only a failed one:
 * bull-board's own handler would run a completed job again too), or a queue's failed ones. A job
 * id is never one of bull-board's own words, so `/clean/retry` is not a job's retry.
 */
const RETRY_ONE = /^\/api\/queues\/([^/]+)\/([^/]+)\/retry\/?$/;
const RETRY_FAILED = /^\/api\/queues\/[^/]+\/retry\/failed\/?$/;
const BOARD_WORDS = new Set(['clean', 'retry', 'promote', 'pause', 'resume', 'empty', 'add', 'obliterate', 'logs', 'update-data']);

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

/** A path segment decoded, or undefined when it is not valid percent-encoding. */
function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export interface QueueViewOptions {
  jobs: Pick<JobProducer, 'queue'>;
  /** where the router is mounted, such as /hub/queues */
  basePath: string;
  allowRetries: boolean;
}

type Board = ReturnType<typeof Router> & { engine(ext: string, fn: typeof renderPage): void };

/** bull-board over the registry's queues, loaded on the first request for it (below). */
async function boardRouter({ jobs, basePath, allowRetries }: QueueViewOptions): Promise<Board> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([import('@bull-board/api'), import('@bull-board/api/bullMQAdapter'), import('@bull-board/express')]);
  const adapter = new ExpressAdapter().setBasePath(basePath);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(jobs.queue(name), { readOnlyMode: !allowRetries, allowRetries, description: 'jobs carry ids only' })),
    serverAdapter: adapter,
    options: {
      uiConfig: { boardTitle: 'Signpost queues', hideDocsLink: true, hideRedisDetails: true, locale: { lng: 'en-GB' }, miscLinks: [{ text: 'Back to the hub', url: '/hub' }] },
    },
  });
  const board = adapter.getRouter() as Board;
  board.engine('ejs', renderPage);
  return board;
}

/**
 * The queue view's router. bull-board (its API, its Express adapter and their dependencies: some
 * megabytes of heap) is loaded when an admin first opens the view, not when the API starts: most
 * processes never serve it, and each carried it for nothing.
 */
export function queueViewRouter(opts: QueueViewOptions): Router {
  const { jobs, allowRetries } = opts;
  let board: Promise<Board> | undefined;
  const r = Router();
  const refuse = (res: Parameters<RequestHandler>[1]) =>
    res.status(405).set('Allow', 'GET, HEAD').json({ error: allowRetries ? 'only retrying failed jobs is allowed here' : 'the queue view is read-only (QUEUE_VIEW_ALLOW_RETRIES is not set)' });
  const changesRefused: RequestHandler = async (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (!allowRetries || (req.method !== 'PUT' && req.method !== 'POST')) return refuse(res);
    if (RETRY_FAILED.test(req.path)) return next();
    const one = RETRY_ONE.exec(req.path);
    const queue = one && QUEUE_NAMES.find((q) => q === decoded(one[1]!));
    const jobId = one && decoded(one[2]!);
    if (!queue || !jobId || BOARD_WORDS.has(jobId)) return refuse(res);
    try {
      if ((await jobs.queue(queue).getJobState(jobId)) !== 'failed') return refuse(res);
    } catch {
      return void res.status(503).json({ error: 'the queues cannot be read just now' });
    }
    next();
  };
  r.use(changesRefused);
  r.use((_req, res, next) => {
    const csp = res.get('Content-Security-Policy');
    if (csp) res.set('Content-Security-Policy', csp.replace("base-uri 'none'", "base-uri 'self'"));
    next();
  });
  r.use((req, res, next) => {
    board ??= boardRouter(opts);
    board.then(
      (b) => b(req, res, next),
      (err: unknown) => {
        // not kept: the next request tries again
        board = undefined;
        next(err);
      },
    );
  });
  return r;
}
