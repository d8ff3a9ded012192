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

/**
 * URLs in logs without the secrets and personal data some carry: an agency's link token
 * (whatever the case or percent-encoding of the /a/ before it), any other long opaque token, a
 * CSRF token, and a search's terms (`q`: the API's person search takes a name, a date of birth
 * or a postcode).
 */
export function loggableUrl(url: string): string {
  return url
    .replace(/^\/(?:a|%61)\/[^/?#]+/i, '/a/[token]')
    .replace(/[A-Za-z0-9_-]{40,}/g, '[token]')
    .replace(/([?&](?:_csrf|q|%71)=)[^&#]*/gi, '$1[redacted]');
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
