/**
 * An open-loop load generator: requests arrive at a steady mean rate whatever the server does
 * (arrivals of a Poisson process, as independent link workers would send them), each on a
 * keep-alive connection of a pool, and each request's latency is measured from the moment it was
 * due to leave, not from when it left: a server (or a generator) that falls behind is charged for
 * the wait, so coordinated omission cannot flatter the figure.
 *
 * Why not autocannon's `overallRate`: it gives each connection its share of the second and lets
 * the connection send that share back to back at the start of every second, so "200/s over 20
 * connections" is a burst of 200 requests every second, 20 at a time, and its correction for
 * coordinated omission then adds a made-up sample for every millisecond of each slow reply. That
 * is a figure for a burst (printed beside this one), not for a steady 200 a second.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** A request not answered by then is cut off and counted as failed (its latency, this long, counts too). */
const REQUEST_TIMEOUT_MS = 30_000;

export type OpenLoopResult = { sent: number; ok: number; failed: number; p50: number; p90: number; p99: number; max: number; achievedRate: number };

export async function openLoop(opts: {
  url: string;
  headers: Record<string, string>;
  body: () => string;
  /** mean arrivals per second */
  rate: number;
  seconds: number;
  /** the most requests in flight at once (connections in the pool) */
  maxSockets?: number;
  /** a seed for the arrival times, so that two endpoints meet the same arrivals */
  seed?: number;
}): Promise<OpenLoopResult> {
  const url = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  // mulberry32: a small seeded generator, so both endpoints are offered the same arrival times
  let s = (opts.seed ?? 1) >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const due: number[] = [];
  for (let t = 0; ; ) {
    t += (-Math.log(1 - random()) / opts.rate) * 1000;
    if (t >= opts.seconds * 1000) break;
    due.push(t);
  }

  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const pending: Promise<void>[] = [];
  const send = (dueAt: number) =>
    new Promise<void>((resolve) => {
      const body = opts.body();
      let done = false;
      // every request ends once, with its latency: a failure too (one that fails fast must not
      // make the figures look better), and one that hangs is cut off and counted as failed
      const finish = (good: boolean) => {
        if (done) return;
        done = true;
        latencies.push(performance.now() - dueAt);
        if (good) ok++;
        else failed++;
        resolve();
      };
      const req = http.request(
        { agent, method: 'POST', hostname: url.hostname, port: url.port, path: url.pathname, headers: { ...opts.headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => finish(res.statusCode! >= 200 && res.statusCode! < 300));
          res.on('aborted', () => finish(false));
          res.on('error', () => finish(false));
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timed out')));
      req.on('error', () => finish(false));
      req.end(body);
    });

  const t0 = performance.now();
  let i = 0;
  while (i < due.length) {
    const now = performance.now() - t0;
    // every request now due leaves; a late timer sends the ones it missed at once (and is charged for it)
    while (i < due.length && due[i]! <= now) pending.push(send(t0 + due[i++]!));
    if (i < due.length) await sleep(Math.max(0, due[i]! - (performance.now() - t0)));
  }
  const sentSpan = performance.now() - t0;
  await Promise.all(pending);
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
  return { sent: due.length, ok, failed, p50: at(50), p90: at(90), p99: at(99), max: latencies.at(-1) ?? NaN, achievedRate: (due.length / sentSpan) * 1000 };
}
