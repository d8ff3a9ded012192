/**
 * GET /metrics, for the API (an Express route) and a worker's health port (plain node:http): the
 * registry in Prometheus's text format, to a caller with `Authorization: Bearer <METRICS_TOKEN>`.
 * No token set: 404 (there is no such endpoint). A missing or wrong token: 401. The token is
 * compared in constant time (both sides hashed first, so their lengths say nothing either).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from './metrics.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether the request's bearer token is `token` (constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? '');
  // compared even when there is no token, so that a refusal takes as long either way
  const given = digest(m?.[1] ?? '');
  return timingSafeEqual(given, digest(token)) && m !== null;
}

/** Answers a GET /metrics request (the caller has matched the path). */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: Metrics | undefined, token: string | undefined): Promise<void> {
  const send = (status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra }).end(body);
  };
  if (!token || !metrics) return send(404, 'not found\n');
  if (!bearerMatches(req.headers.authorization, token)) return send(401, 'unauthorised\n', undefined, { 'www-authenticate': 'Bearer realm="metrics"' });
  try {
    const body = await metrics.registry.metrics();
    send(200, body, metrics.registry.contentType);
  } catch (err) {
    // a collector that throws is a defect; the scrape says so rather than hiding it
    metrics.logger.error({ err: (err as Error).message }, 'metrics collection failed');
    send(500, 'metrics collection failed\n');
  }
}
