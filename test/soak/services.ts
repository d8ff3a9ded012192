/**
 * Private Postgres and Redis servers for the fault soak (`npm run soak` and test/soak/soak.test.ts):
 * started from this machine's own installation (Debian's PostgreSQL binaries, redis-server) on
 * their own ports and in their own folders, so that restarting, stopping and flushing them
 * strikes only the soak, never the machine's shared servers or a test running beside it.
 * As root, Postgres runs as the `postgres` user (it refuses to run as root).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';

const run = promisify(execFile);

/**
 * A PostgreSQL program of this machine's installation (Debian's, one folder per major version):
 * that of `major` when given and installed (pg_dump and pg_restore of the server's own version,
 * for the restore drill), else the newest (which reads older servers too); PG_BINDIR overrides.
 */
export function pgBin(name: string, major?: number): string {
  const root = '/usr/lib/postgresql';
  if (process.env.PG_BINDIR) return join(process.env.PG_BINDIR, name);
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error(`no PostgreSQL under ${root}: set PG_BINDIR to the folder holding initdb and pg_ctl`);
  const chosen = major !== undefined && versions.includes(String(major)) ? String(major) : versions[0]!;
  return join(root, chosen, 'bin', name);
}

const asRoot = process.getuid?.() === 0;
/** Runs a Postgres binary, as the postgres user when we are root. */
function pgRun(bin: string, args: string[]) {
  return asRoot ? run('runuser', ['-u', 'postgres', '--', pgBin(bin), ...args]) : run(pgBin(bin), args);
}

export interface PrivatePostgres {
  url(database?: string): string;
  /** `pg_ctl restart -m fast`: every connection is ended with 57P01, as a managed restart does */
  restart(): Promise<void>;
  /** a restart in two halves, to look at the hub while Postgres is down */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
  /** for a process 'exit' handler, where nothing asynchronous runs */
  stopSync(): void;
}

export async function startPrivatePostgres(port: number): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'signpost-soak-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  if (asRoot) {
    await chmod(dir, 0o777);
  }
  await pgRun('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  await pgRun('pg_ctl', ['-D', data, '-l', log, '-o', opts, '-w', 'start']);
  return {
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async restart() {
      await pgRun('pg_ctl', ['-D', data, '-l', log, '-o', opts, '-m', 'fast', '-w', 'restart']);
    },
    async pause() {
      await pgRun('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    async resume() {
      await pgRun('pg_ctl', ['-D', data, '-l', log, '-o', opts, '-w', 'start']);
    },
    async stop() {
      await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
    stopSync() {
      try {
        const args = ['-D', data, '-m', 'immediate', '-w', 'stop'];
        if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', pgBin('pg_ctl'), ...args], { stdio: 'ignore' });
        else execFileSync(pgBin('pg_ctl'), args, { stdio: 'ignore' });
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  url: string;
  flush(): Promise<void>;
  /** stops the server (its data with it: like a Redis that lost its memory) */
  stop(): Promise<void>;
  start(): Promise<void>;
  stopSync(): void;
  running(): boolean;
}

export async function startPrivateRedis(port: number): Promise<PrivateRedis> {
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => {});
      const ok = await r.connect().then(() => r.ping(), () => undefined);
      r.disconnect();
      if (ok === 'PONG') return;
      await sleep(50);
    }
    throw new Error(`redis-server did not start on ${port}`);
  };
  await start();
  return {
    url,
    async flush() {
      const r = new Redis(url);
      await r.flushall();
      r.disconnect();
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      c.kill('SIGKILL');
      await new Promise((resolve) => c.once('exit', resolve));
    },
    stopSync() {
      child?.kill('SIGKILL');
      child = undefined;
    },
    start,
    running: () => child !== undefined && child.exitCode === null,
  };
}

/** Creates a database on a server (its own `postgres` database must exist). */
export async function createDatabase(serverUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  await c.query(`CREATE DATABASE "${name}"`);
  await c.end();
}
