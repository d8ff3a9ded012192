/**
 * The production build: `npm run build` compiles to dist/, and what production runs from there
 * works on its own: the API answers /readyz and renders pages from the copied templates with the
 * NHS.UK assets (and, with OTEL_TRACES_EXPORTER set, traces its requests and statements), the
 * worker process starts and stops cleanly on SIGTERM, the CLI runs, and
 * nothing in dist/ imports a package that the runtime image (production dependencies only)
 * would not have.
 */
import { QUEUE_NAMES } from '../src/platform/jobs/registry.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { builtinModules } from 'node:module';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/context.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { deleteRedisPrefix } from './helpers/context.js';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const PREFIX = `sp-test-build-${process.pid}`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const children: ChildProcess[] = [];

function env(extra: Record<string, string> = {}) {
  return { ...process.env, NODE_ENV: 'production', SESSION_SECRET: 'build-test-secret-0123456789-abcdefghijkl', MFA_KEY: 'build-test-mfa-key-0123456789-abcdefghijkl', HUB_PHONE: '020 7946 0999', DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'info', SMTP_URL: 'smtp://127.0.0.1:9', ...extra };
}

function start(args: string[], extraEnv: Record<string, string> = {}): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  children.push(child);
  return Object.assign(child, { output: () => out });
}

/** The API's /readyz status once it answers 200, or the last one after 30 s (0: no answer). */
async function readyStatus(base: string): Promise<number> {
  let ready = 0;
  for (let i = 0; i < 300 && ready !== 200; i++) {
    ready = await fetch(`${base}/readyz`).then((r) => r.status, () => 0);
    if (ready !== 200) await sleep(100);
  }
  return ready;
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : [];
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  await run('npm', ['run', '-s', 'build'], { cwd: ROOT, env: process.env });
}, 240_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await database?.drop();
  await deleteRedisPrefix(PREFIX);
});

describe('npm run build', () => {
  it('imports only Node built-ins, production dependencies and its own files from dist/', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const allowed = new Set(Object.keys(pkg.dependencies));
    const builtins = new Set(builtinModules);
    const files = jsFiles(join(ROOT, 'dist'));
    expect(files.length).toBeGreaterThan(50);
    const bad: string[] = [];
    // the browser's own scripts (platform/pages/static) load by URL, not from node_modules
    for (const f of files.filter((x) => !x.includes('/pages/static/'))) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!allowed.has(name)) bad.push(`${f.slice(ROOT.length)} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
    // the demo, the SMTP sink and the tests are not part of the production build
    expect(files.some((f) => /\/(dev|test)\//.test(f.slice(ROOT.length)))).toBe(false);
  });

  it('runs the API from dist/: ready, pages rendered from the copied templates, NHS.UK assets served', async () => {
    const port = 39_000 + (process.pid % 1000);
    const api = start(['--enable-source-maps', 'dist/src/server.js'], { PORT: String(port) });
    const base = `http://127.0.0.1:${port}`;
    expect(await readyStatus(base), api.output()).toBe(200);

    const signIn = await fetch(`${base}/sign-in`);
    expect(signIn.status).toBe(200);
    const html = await signIn.text();
    expect(html).toContain('<h1');
    const css = /href="(\/nhsuk\/[^"]+\.css)"/.exec(html)?.[1];
    expect(css).toBeDefined();
    expect((await fetch(`${base}${css}`)).status).toBe(200);
    expect((await fetch(`${base}/static/signpost.css`)).status).toBe(200);

    api.kill('SIGTERM');
    const [code] = await once(api, 'exit');
    expect(code).toBe(0);
  });

  it('traces the API from dist/ when OTEL_TRACES_EXPORTER asks (src/instrument.ts first): the request by its route, its statement under it, flushed on SIGTERM', async () => {
    const port = 39_500 + (process.pid % 400);
    const api = start(['dist/src/server.js'], { PORT: String(port), OTEL_TRACES_EXPORTER: 'console', OTEL_SERVICE_NAME: 'signpost-build-test', LOG_LEVEL: 'warn' });
    const base = `http://127.0.0.1:${port}`;
    expect(await readyStatus(base), api.output()).toBe(200);
    // a token of the right shape that no one holds: looked up in Postgres, then 401
    const token = `sp_${'A'.repeat(43)}`;
    expect((await fetch(`${base}/api/v1/referrals`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    api.kill('SIGTERM');
    const [code] = await once(api, 'exit');
    expect(code, api.output()).toBe(0);
    const out = api.output();
    expect(out).toContain("'service.name': 'signpost-build-test'");
    expect(out).toMatch(/name: 'GET \/api\/v1'/);
    expect(out).toContain("'http.route': '/api/v1'");
    expect(out).toMatch(/name: 'pg\.query:[A-Z]+ /);
    expect(out).not.toContain(token);
    expect(out).not.toContain('/readyz');
  });

  it('runs the workers from dist/ and stops them cleanly on SIGTERM', async () => {
    const worker = start(['--enable-source-maps', 'dist/workers/index.js']);
    for (let i = 0; i < 300 && !worker.output().includes('workers started'); i++) await sleep(100);
    expect(worker.output()).toContain('workers started');
    worker.kill('SIGTERM');
    const [code] = await once(worker, 'exit');
    expect(code, worker.output()).toBe(0);
  });

  it('refuses to start workers for a queue the job registry does not know (exit 78, the queues named)', async () => {
    const worker = start(['dist/workers/index.js'], { WORKER_QUEUES: 'forward,no-such-queue' });
    const [code] = await once(worker, 'exit');
    expect(code).toBe(78);
    expect(worker.output()).toContain(`unknown queue no-such-queue; the queues are: ${QUEUE_NAMES.join(', ')}`);
  });

  it('refuses to start workers whose relay CA or DKIM key cannot be read (exit 78, the keys and files named)', async () => {
    const missing = join(ROOT, 'test/artifacts/no-such-ca.pem');
    const worker = start(['dist/workers/index.js'], { SMTP_CA_FILE: missing, DKIM_DOMAIN: 'signpost.example.org' });
    const [code] = await once(worker, 'exit');
    expect(code).toBe(78);
    expect(worker.output()).toContain(`SMTP_CA_FILE: cannot read ${missing} (ENOENT)`);
    expect(worker.output()).toContain('DKIM_SELECTOR: must be set for DKIM signing');
  });

  it('runs the CLI from dist/: migrate is idempotent, an unknown command exits 64', async () => {
    const { stdout } = await run(process.execPath, ['dist/src/cli/index.js', 'migrate'], { cwd: ROOT, env: env() });
    expect(JSON.parse(stdout)).toEqual({ migrated: [] });
    const unknown = await run(process.execPath, ['dist/src/cli/index.js', 'no-such-command'], { cwd: ROOT, env: env() }).then(
      () => 0,
      (err: { code: number }) => err.code,
    );
    expect(unknown).toBe(64);
  });
});
