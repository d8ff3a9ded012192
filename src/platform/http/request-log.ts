/**
 * Request ids and one log line per request. Each request gets an id (a sane incoming
 * x-request-id is honoured, otherwise a new UUID), echoed in the x-request-id header and in
 * error bodies. pino-http did this, but it built a child logger for every request, which cost
 * about a fifth of intake throughput (npm run bench:intake); here the child logger is made only
 * when something logs through req.log, and the completion line only when its level is enabled.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

declare module 'http' {
  interface IncomingMessage {
    id: string;
    log: Logger;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const SWITCH = /^(?:[a-z_]{1,32}|\d)$/;
const NUMBER = /^\d{1,6}$/;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^(?:\d{4}-\d{2}-\d{2}|\d{1,4})$/;

/**
 * The query keys whose values may be logged, each with the shape its value must have (else it is
 * withheld): the pages' and the API's own switches, numbers, dates and ids, none of them
 * personal data or a secret. Everything else in a query is left out, key and value alike,
 * whatever its shape: the person search's `q` (a name, a date of birth, a
 * postcode) as `q`, `Q`, `%71`, `q[]`, `q%5B%5D`, `q[0]`, `q+` or `q ` (Express's query parser
 * reads several of those as another key, so a list of keys to strip can never be complete),
 * a CSRF token, a sign-in page's `next` (which may quote a whole search URL), or a key that is
 * itself someone's name.
 */
const LOGGED_QUERY: ReadonlyMap<string, RegExp> = new Map([
  ...['done', 'state', 'status', 'failed', 'sent', 'open', 'clock'].map((k) => [k, SWITCH] as const),
  ['limit', NUMBER],
  ['ref', /^SP-[A-Z0-9-]{1,40}$/],
  ...['withdrawal', 'agencyId', 'organisationId', 'personId', 'userId'].map((k) => [k, ID] as const),
  ...['from', 'to'].flatMap((k) => [k, `${k}[day]`, `${k}[month]`, `${k}[year]`].map((x) => [x, DAY] as const)),
]);

function decoded(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The query as logged: allowed keys with values of their shape; every other pair is one `[redacted]`. */
function loggableQuery(query: string): string {
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = decoded(eq < 0 ? pair : pair.slice(0, eq));
      const shape = key === undefined ? undefined : LOGGED_QUERY.get(key);
      if (!shape) return '[redacted]';
      const value = eq < 0 ? '' : decoded(pair.slice(eq + 1));
      return value !== undefined && shape.test(value) ? `${key}=${value}` : `${key}=[redacted]`;
    })
    .join('&');
}

/**
 * URLs in logs without the secrets and personal data some carry. The path: an agency's link
 * token (whatever the case or percent-encoding of the /a/ before it) and any other long opaque
 * token. The query: only the keys above (loggableQuery).
 */
export function loggableUrl(url: string): string {
  const at = url.search(/[?#]/);
  const path = (at < 0 ? url : url.slice(0, at))
    .replace(/^\/(?:a|%61)\/[^/]+/i, '/a/[token]')
    .replace(/[A-Za-z0-9_-]{40,}/g, '[token]');
  if (at < 0 || url[at] === '#') return path;
  const query = loggableQuery(url.slice(at + 1).replace(/#.*$/s, ''));
  return query ? `${path}?${query}` : path;
}

export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.id = id;
    res.setHeader('x-request-id', id);
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', { configurable: true, enumerable: false, get: () => (child ??= logger.child({ reqId: id })) });
    const started = performance.now();
    res.once('finish', () => {
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        { reqId: id, req: { method: req.method, url: loggableUrl(req.originalUrl) }, res: { statusCode: res.statusCode }, responseTime: Math.round(performance.now() - started) },
        'request completed',
      );
    });
    next();
  };
}
