/**
 * The fault soak, short, in the suite: one API process and two worker processes (run from the
 * sources) against a private Postgres and Redis, three dozen checklists, a worker SIGKILLed
 * mid-stream, and Postgres restarted while a forward job is in flight (its mail held by the SMTP
 * sink mid-conversation, its delivery transaction open). Every checklist is stored once, every
 * referral mailed, no process but the killed one exits, and the worker that had the job in
 * flight survives the restart; every process's readiness says Postgres is down, then up again.
 * Its own vitest project, after the others: it runs processes and restarts a server.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { formatReport, runSoak, soakProblems, type Fault } from './run.js';

const health = async (port: number) => {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  return res ? ((await res.json()) as { checks?: { postgres?: string; redis?: string } }) : undefined;
};

describe('the fault soak, short', () => {
  it('loses nothing and stores nothing twice through a worker kill and a Postgres restart with a job in flight', async () => {
    const seen = { postgresDown: false, postgresBack: false, holderAlive: false };
    const faults: Fault[] = [
      {
        at: 300,
        name: 'Postgres restarted while a forward is mid-send',
        async strike(w) {
          w.sink.hold([w.agencyEmail(0)]);
          const held = await Promise.race([new Promise((resolve) => w.sink.once('held', () => resolve(true))), sleep(60_000).then(() => false)]);
          if (!held) throw new Error('no mail to the held agency was sent within a minute');
          // a restart in two halves: fast shutdown (57P01 to every connection, the held one too) ...
          await w.pg.pause();
          for (let i = 0; i < 100 && !seen.postgresDown; i++) {
            const all = await Promise.all([...w.workers, ...w.apis].map((p) => health(p.port)));
            seen.postgresDown = all.every((h) => h?.checks?.postgres === 'down');
            if (!seen.postgresDown) await sleep(100);
          }
          // ... and start
          await w.pg.resume();
          w.sink.release();
          w.sink.accept();
          for (let i = 0; i < 200 && !seen.postgresBack; i++) {
            const all = await Promise.all([...w.workers, ...w.apis].map((p) => health(p.port)));
            seen.postgresBack = all.every((h) => h?.checks?.postgres === 'ok');
            if (!seen.postgresBack) await sleep(100);
          }
          seen.holderAlive = w.workers.every((p) => p.child.exitCode === null && p.child.signalCode === null);
        },
      },
      {
        at: 1_000,
        name: 'a worker SIGKILLed, another started in its place',
        async strike(w) {
          w.workers[0]!.told = true;
          w.workers[0]!.child.kill('SIGKILL');
          await w.replaceWorker(0);
        },
      },
    ];
    const report = await runSoak({
      checklists: 36,
      perSecond: 4,
      apis: 1,
      workers: 2,
      faults,
      command: { api: ['--import', 'tsx', 'src/server.ts'], worker: ['--import', 'tsx', 'workers/index.ts'] },
      ports: { postgres: 45_432 + (process.pid % 500), redis: 46_379 + (process.pid % 500), base: 47_000 + (process.pid % 500) * 10 },
      settleTimeoutMs: 150_000,
      quiet: true,
    });
    const summary = `${formatReport(report)}\n${report.timeline.join('\n')}`;
    if (process.env.SOAK_VERBOSE) console.log(summary);
    expect(soakProblems(report), summary).toEqual([]);
    expect(report.allForwardedAt, summary).not.toBeNull();
    expect(report.referrals, summary).toBeGreaterThanOrEqual(36);
    // every process's readiness told the truth: Postgres down while it was, up once it was back
    expect(seen.postgresDown, summary).toBe(true);
    expect(seen.postgresBack, summary).toBe(true);
    // and the worker with the job in flight is still the same process
    expect(seen.holderAlive, summary).toBe(true);
  });
});
