/**
 * `npm run soak`: the fault-matrix soak. Two API processes and three worker processes (the
 * compiled code, as `npm start` and `npm run worker` run it: `npm run build` first) against a
 * private Postgres, a private Redis and an SMTP sink on this machine; a client sends 10
 * checklists a second for two minutes, retrying each with its Idempotency-Key until accepted;
 * while it runs, each fault strikes once:
 *   a worker SIGKILLed (and another started), Redis flushed, Redis stopped for 30 s and started
 *   empty, SMTP answering 451 for 15 s, SMTP answering 550 for one agency for 10 s (the hub's
 *   coordinator then sends those referrals again, as docs/failure.md says to), Postgres restarted.
 * Then it waits for every referral to be forwarded and prints one table. It exits non-zero if
 * any referral is never mailed, any checklist is stored twice or lost, a referral is mailed
 * under two Message-IDs, or any process exited without being told to.
 * SOAK_CHECKLISTS and SOAK_PER_SECOND change the stream.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { productionArgs } from '../bench/production-command.js';
import { formatReport, runSoak, soakProblems, type Fault } from './run.js';

const faults: Fault[] = [
  {
    at: 10_000,
    name: 'a worker SIGKILLed, another started in its place',
    async strike(w) {
      w.workers[0]!.told = true;
      w.workers[0]!.child.kill('SIGKILL');
      await sleep(2_000);
      await w.replaceWorker(0);
    },
  },
  { at: 20_000, name: 'Redis flushed (FLUSHALL)', strike: (w) => w.redis.flush() },
  {
    at: 30_000,
    name: 'Redis stopped for 30 s, then started empty',
    async strike(w) {
      await w.redis.stop();
      await sleep(30_000);
      await w.redis.start();
    },
  },
  {
    at: 65_000,
    name: 'SMTP answering 451 to everything for 15 s',
    async strike(w) {
      w.sink.failWith({ code: 451, message: 'try again later', forMs: 15_000 });
      await sleep(15_000);
    },
  },
  {
    at: 85_000,
    name: 'SMTP answering 550 for one agency for 10 s',
    async strike(w) {
      w.sink.failWith({ code: 550, message: 'mailbox unavailable', forMs: 10_000, recipients: [w.agencyEmail(0)] });
      await sleep(10_000);
    },
  },
  { at: 100_000, name: 'Postgres restarted (pg_ctl restart -m fast)', strike: (w) => w.pg.restart() },
];

const report = await runSoak({
  checklists: Number(process.env.SOAK_CHECKLISTS ?? 1200),
  perSecond: Number(process.env.SOAK_PER_SECOND ?? 10),
  apis: 2,
  workers: 3,
  faults,
  command: { api: productionArgs('start'), worker: productionArgs('worker') },
  ports: { postgres: 55_432, redis: 56_379, base: 55_500 },
  settleTimeoutMs: 10 * 60_000,
});
console.log(`\nFault soak, Node ${process.version}, ${new Date().toISOString()}\n`);
console.log(formatReport(report));
const problems = soakProblems(report);
console.log(problems.length ? `\nFAILED:\n  ${problems.join('\n  ')}` : '\nPASSED: every checklist stored once, every referral mailed, no process died untold');
process.exit(problems.length ? 1 : 0);
