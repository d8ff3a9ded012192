/**
 * CPU time per process kind, read from /proc (Linux): what a benchmark phase cost the server
 * under test, PostgreSQL (every backend and its helpers), Redis and the load generator, so that
 * a figure per request says where the time went. Processes that start during a phase count from 0.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // getconf CLK_TCK = 100 on Linux

export type CpuKind = 'server' | 'postgres' | 'redis' | 'client';

function ticksOf(pid: string): { comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null; // gone meanwhile
  }
}

/** CPU milliseconds so far, by kind, for the server with pid `serverPid`. */
export function cpuSnapshot(serverPid: number): Map<string, { kind: CpuKind; ms: number }> {
  const out = new Map<string, { kind: CpuKind; ms: number }>();
  for (const pid of readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d))) {
    const t = ticksOf(pid);
    if (!t) continue;
    const kind: CpuKind | null =
      Number(pid) === serverPid ? 'server' : Number(pid) === process.pid ? 'client' : t.comm === 'postgres' ? 'postgres' : t.comm.startsWith('redis-server') ? 'redis' : null;
    if (kind) out.set(pid, { kind, ms: t.ticks * TICK_MS });
  }
  return out;
}

/** CPU milliseconds spent by each kind between two snapshots. */
export function cpuBetween(before: ReturnType<typeof cpuSnapshot>, after: ReturnType<typeof cpuSnapshot>): Record<CpuKind, number> {
  const spent: Record<CpuKind, number> = { server: 0, postgres: 0, redis: 0, client: 0 };
  for (const [pid, a] of after) spent[a.kind] += a.ms - (before.get(pid)?.ms ?? 0);
  return spent;
}
