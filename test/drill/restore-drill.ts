/**
 * `npm run restore-drill`: a backup proven by a restore (docs/ops/backup-and-restore.md). A hub
 * populated through its API (DRILL_FORWARDED checklists forwarded, default 60, then
 * DRILL_PENDING more, default 40, arriving while its workers are stopped) is dumped with
 * pg_dump, restored with pg_restore into a new database, migrated and checked with
 * `audit:verify`; its workers start on it with an empty Redis prefix, and every referral pending
 * at the dump must be mailed once, and none forwarded before it again. Prints each step and its
 * time; exits 1 when the restored hub did not carry on. Uses the machine's Postgres and Redis
 * (DRILL_DATABASE_URL, DRILL_REDIS_URL), in databases and a prefix of its own, dropped after.
 */
import { drillProblems, formatDrillReport, runRestoreDrill } from './drill.js';

const count = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number of checklists, 1 or more`);
  return v;
};

const report = await runRestoreDrill({
  forwardedBefore: count('DRILL_FORWARDED', 60),
  pendingAtDump: count('DRILL_PENDING', 40),
  serverUrl: process.env.DRILL_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.DRILL_REDIS_URL ?? 'redis://127.0.0.1:6379',
  log: (line) => console.log(line),
});
console.log(`\n${formatDrillReport(report)}`);
const problems = drillProblems(report);
if (problems.length) {
  console.log(`\nTHE RESTORE DID NOT CARRY ON:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exitCode = 1;
} else {
  console.log('\nThe restored hub carried on: every referral pending at the dump was mailed once, none twice.');
}
// the pg pools and Redis connections are closed; the process ends when its last handle does
