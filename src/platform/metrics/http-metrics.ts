/**
 * Request duration by route template and status. The route is the template Express matched, with
 * the path the router was mounted at (`/api/v1` + `/referrals/:id`), never the URL asked for: ids
 * and tokens in a path must never become labels. A response no route answered (a static file, a
 * 404, a refusal by middleware before any route) is labelled by its mount path or `none`.
 */
import type { Request, RequestHandler } from 'express';
import type { Metrics } from './metrics.js';

/** A mount path's segment kept as it is; anything else (an id in a mount path) becomes `:param`. */
const PLAIN_SEGMENT = /^(?:v\d{1,3}|[a-z][a-z-]{0,40})$/;

function template(base: string, path: unknown): string {
  const mount = base
    .split('/')
    .map((s) => (s === '' || PLAIN_SEGMENT.test(s) ? s : ':param'))
    .join('/');
  return typeof path === 'string' ? `${mount}${path === '/' && mount ? '' : path}` : mount ? `${mount}/*` : 'none';
}

export function httpMetrics(metrics: Metrics, skip: (path: string) => boolean = () => false): RequestHandler {
  return (req, res, next) => {
    if (skip(req.path)) return next();
    const start = metrics.monotonicMs();
    // The router sets req.route where a route matches, while req.baseUrl is its router's mount
    // path; by the time the response ends, an error may have unwound baseUrl. So both are caught
    // at that moment.
    let route: { path?: unknown } | undefined;
    let base = '';
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => route,
      set: (r: { path?: unknown }) => {
        route = r;
        base = (req as Request).baseUrl ?? '';
      },
    });
    res.once('finish', () => {
      const label = route ? template(base, route.path) : template(req.baseUrl ?? '', undefined);
      metrics.httpDuration.observe({ method: req.method, route: label, status: String(res.statusCode) }, (metrics.monotonicMs() - start) / 1000);
    });
    next();
  };
}
