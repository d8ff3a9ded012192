/**
 * Sign-in time (`npm run bench:sign-in`): the server's time per sign-in with the password alone
 * (argon2id) and with the password and a TOTP code (argon2id, then the pending sign-in, the
 * code checked against the sealed secret, its time step moved forward in Postgres, the
 * session). One sign-in at a time against the app in this process, on loopback, with a
 * ManualClock moved 30 s between sign-ins so that every code is a new one (a code is accepted
 * once). Timed: from each POST sent to its response's last byte (the GET of the forms is not);
 * for two factors, the two POSTs added. Prints the median and p95 of each. BENCH_ROUNDS sets the
 * sign-ins of each kind (default 50).
 */
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { loadEnv } from '../../config/env.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { createContext } from '../../src/context.js';
import { createApp } from '../../src/app.js';
import { createHttpServer, listen } from '../../src/server.js';
import { ensureDatabase, migrateToLatest } from '../../src/platform/db/migrate.js';
import { hashPassword } from '../../src/modules/accounts/password.service.js';
import { createUserWithToken } from '../../src/modules/accounts/user.service.js';
import { enrolWithKnownSecret } from '../../src/modules/accounts/index.js';
import { totpCode } from '../../src/modules/accounts/totp.js';
import { deleteRedisPrefix } from '../helpers/context.js';
import { BenchClient } from './bench-client.js';

const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/signpost_bench_sign_in';
const PREFIX = 'signpost-bench-sign-in';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const PASSWORD = 'bench sign-in password';
const SECRET = 'BENCHSIGNINSECRETBENCHSIGNINSECR';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });

async function timed(fn: () => Promise<Response>, expectLocation: string): Promise<number> {
  const t0 = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 303 || res.headers.get('location') !== expectLocation) throw new Error(`expected a 303 to ${expectLocation}, got ${res.status} ${res.headers.get('location')}`);
  return ms;
}

async function main() {
  await ensureDatabase(DB_URL);
  const clock = new ManualClock(new Date());
  const env = loadEnv({ ...process.env, DATABASE_URL: DB_URL, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'silent', MFA_REQUIRED_ROLES: '' });
  const ctx = createContext({ env, role: 'api', clock });
  await migrateToLatest(ctx.db);
  const server = await listen(createHttpServer(createApp(ctx), env), 0, '127.0.0.1');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const stamp = Date.now();
    const passwordHash = await hashPassword(PASSWORD);
    const make = async (kind: string) => {
      const email = `bench-sign-in-${kind}-${stamp}@example.org`;
      const u = await createUserWithToken(ctx, { role: 'link_worker', name: `Bench ${kind}`, email, passwordHash });
      return { id: u.id, email };
    };
    const plain = await make('password');
    const twoStep = await make('totp');
    await enrolWithKnownSecret(ctx, { userId: twoStep.id, name: 'Bench totp', role: 'link_worker' }, SECRET);

    const passwordOnly: number[] = [];
    const withCode: number[] = [];
    const codeStep: number[] = [];
    // one warm-up of each, not counted
    for (let i = -1; i < ROUNDS; i++) {
      clock.advance(30_000);
      const a = new BenchClient(base);
      const csrfA = csrfOf(await (await a.fetch('/sign-in')).text());
      const msA = await timed(() => a.fetch('/sign-in', form({ _csrf: csrfA, email: plain.email, password: PASSWORD, next: '' })), '/submissions');

      const b = new BenchClient(base);
      const csrfB = csrfOf(await (await b.fetch('/sign-in')).text());
      const first = await timed(() => b.fetch('/sign-in', form({ _csrf: csrfB, email: twoStep.email, password: PASSWORD, next: '' })), '/sign-in/code');
      const csrfCode = csrfOf(await (await b.fetch('/sign-in/code')).text());
      const code = await totpCode(SECRET, clock.now());
      const second = await timed(() => b.fetch('/sign-in/code', form({ _csrf: csrfCode, code })), '/submissions');
      if (i < 0) continue;
      passwordOnly.push(msA);
      withCode.push(first + second);
      codeStep.push(second);
    }
    const row = (name: string, xs: number[]) => `  ${name.padEnd(44)} median ${pct(xs, 50).toFixed(1).padStart(6)} ms   p95 ${pct(xs, 95).toFixed(1).padStart(6)} ms`;
    console.log(`sign-in, ${ROUNDS} of each, one at a time (Node ${process.version}):`);
    console.log(row('password alone (argon2id)', passwordOnly));
    console.log(row('password + TOTP code (both requests)', withCode));
    console.log(row('  of which the code step', codeStep));
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await ctx.close();
    await deleteRedisPrefix(PREFIX);
  }
}

await main();
