/**
 * SLA sweep benchmark (`npm run bench:sweep`). Builds referral tables of growing size (10k,
 * 100k, 500k by default; BENCH_SWEEP_SIZES) that are mostly closed or not yet due, with the
 * SAME small number of due items at every size (DUE per clock: T1, T2, T3), then times the
 * Postgres part of the sweep (median of RUNS, the due items' breaches deleted before each run so
 * that each run records the same DUE * 3 breaches) and prints the plan of every query the sweep ran,
 * showing which indexes it reads. Expected: the time stays flat as the table grows, because
 * every read goes through a partial index whose size follows the open items. The days the
 * background history fills are rolled up before the timed runs, as a hub's past days are.
 * The Redis part (reconciliation) is left out: it reads the same partial indexes and its cost
 * follows the pending referrals and queued mail, which this bench keeps at DUE.
 */
import pg from 'pg';
import { CamelCasePlugin, CompiledQuery, Kysely, PostgresDialect, sql, type CompiledQuery as CQ, type RawBuilder } from 'kysely';
import { loadEnv } from '../../config/env.js';
import type { Database } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { seedDemo } from '../../src/cli/seed.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { randomIds } from '../../src/kernel/ids.js';
import { createLogger } from '../../src/platform/logger.js';
import { runSweep } from '../../src/modules/sla/sla.service.js';
import type { ServiceDeps } from '../../src/platform/deps.js';

const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'signpost_bench_sweep';
const SIZES = (process.env.BENCH_SWEEP_SIZES ?? '10000,100000,500000').split(',').map(Number);
const DUE = Number(process.env.BENCH_SWEEP_DUE ?? 100);
const RUNS = 5;
const NOW = new Date('2026-06-01T12:00:00Z');

async function admin(q: string) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  await c.query(q);
  await c.end();
}

/**
 * One person for each submission reference made from `g` in from..from+n-1, with the id
 * md5('sweep-person-' || reference): every referral in the bench is another person's, as a hub's are.
 */
function personFor(reference: RawBuilder<string>, from: number, n: number) {
  return sql`
    INSERT INTO people (id, given_name, family_name, date_of_birth, postcode, preferred_contact, created_at, updated_at)
    SELECT md5('sweep-person-' || ${reference})::uuid, 'Bench', translate(${reference}, '0123456789-', 'abcdefghij'),
           DATE '1926-01-01' + (g % 10950), 'SE1 7PB', 'phone', ${NOW}, ${NOW}
    FROM generate_series(${from}::int, ${from + n - 1}::int) g`;
}

/** Adds `n` background referrals (closed, or open but not yet due), one submission each. */
async function addBackground(db: Kysely<Database>, from: number, n: number) {
  await sql`
    WITH p AS (${personFor(sql`'BG-' || g`, from, n)}), s AS (
      INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status, received_at, closed_at)
      SELECT gen_random_uuid(), 'BG-' || g, (SELECT id FROM questionnaires LIMIT 1), md5('sweep-person-BG-' || g)::uuid,
             (SELECT id FROM users LIMIT 1), '{}', '{}', CASE WHEN g % 10 < 6 THEN 'closed' ELSE 'open' END,
             ${NOW}::timestamptz - (g % 60) * interval '1 day', CASE WHEN g % 10 < 6 THEN ${NOW}::timestamptz ELSE NULL END
      FROM generate_series(${from}::int, ${from + n - 1}::int) g
      RETURNING id, reference, status
    ), agencies_ AS (SELECT array_agg(id) AS ids FROM agencies)
    INSERT INTO referrals (id, reference, submission_id, agency_id, question_ids, status, received_at, forward_due_at,
                           forwarded_at, contact_due_at, contacted_at, closed_at, updated_at)
    SELECT gen_random_uuid(), s.reference || '-1', s.id, a.ids[1 + (abs(hashtext(s.reference)) % cardinality(a.ids))],
           ARRAY[(SELECT id FROM questions LIMIT 1)],
           CASE WHEN s.status = 'closed' THEN 'completed'
                WHEN abs(hashtext(s.reference)) % 2 = 0 THEN 'forwarded' ELSE 'contacted' END,
           ${NOW}::timestamptz - interval '20 days', ${NOW}::timestamptz - interval '19 days',
           ${NOW}::timestamptz - interval '19 days',
           -- open and forwarded: contact due in the future
           ${NOW}::timestamptz + interval '1 day',
           CASE WHEN s.status = 'closed' THEN ${NOW}::timestamptz - interval '10 days' END,
           CASE WHEN s.status = 'closed' THEN ${NOW}::timestamptz END,
           ${NOW}::timestamptz
    FROM s, agencies_ a
  `.execute(db);
  // a history of resolved breaches (5 % of referrals), as a live system accumulates
  await sql`
    INSERT INTO sla_breaches (id, referral_id, agency_id, clock, due_at, detected_at, resolved_at, late_by_seconds)
    SELECT gen_random_uuid(), r.id, r.agency_id, 'forward', r.forward_due_at, r.forward_due_at, r.forwarded_at, 3600
    FROM referrals r WHERE r.reference LIKE 'BG-%' AND split_part(r.reference, '-', 2)::int BETWEEN ${from} AND ${from + n - 1}
      AND split_part(r.reference, '-', 2)::int % 20 = 0
  `.execute(db);
  // live (unexpired) Idempotency-Keys, one per 10 submissions
  await sql`
    INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_body, created_at, expires_at)
    SELECT (SELECT id FROM users LIMIT 1), 'bg-' || g, 'f', 201, '{}', ${NOW}::timestamptz, ${NOW}::timestamptz + interval '1 day'
    FROM generate_series(${from}::int, ${from + n - 1}::int) g WHERE g % 10 = 0
  `.execute(db);
  // follow-ups: completed for closed submissions, scheduled in the future for open ones
  await sql`
    INSERT INTO follow_ups (id, submission_id, due_at, status, created_at)
    SELECT gen_random_uuid(), s.id, ${NOW}::timestamptz + interval '2 days',
           CASE WHEN s.status = 'closed' THEN 'completed' ELSE 'scheduled' END, ${NOW}::timestamptz
    FROM submissions s WHERE s.reference LIKE 'BG-%' AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.submission_id = s.id)
  `.execute(db);
}

/** The same DUE items per clock at every size: T1 overdue, T2 overdue, T3 overdue. */
async function addDue(db: Kysely<Database>) {
  for (const [kind, status] of [
    ['T1', 'pending'],
    ['T2', 'forwarded'],
    ['T3', 'contacted'],
  ] as const) {
    await sql`
      WITH p AS (${personFor(sql`${kind} || '-' || g`, 1, DUE)}), s AS (
        INSERT INTO submissions (id, reference, questionnaire_id, person_id, submitted_by, answers, consent, status, received_at)
        SELECT gen_random_uuid(), ${kind} || '-' || g, (SELECT id FROM questionnaires LIMIT 1), md5('sweep-person-' || ${kind} || '-' || g)::uuid,
               (SELECT id FROM users LIMIT 1), '{}', '{}', 'open', ${NOW}::timestamptz - interval '15 days'
        FROM generate_series(1, ${DUE}::int) g RETURNING id, reference
      )
      INSERT INTO referrals (id, reference, submission_id, agency_id, question_ids, status, received_at, forward_due_at,
                             forwarded_at, contact_due_at, updated_at)
      SELECT gen_random_uuid(), s.reference || '-1', s.id, (SELECT id FROM agencies ORDER BY name LIMIT 1), ARRAY[(SELECT id FROM questions LIMIT 1)],
             ${status}, ${NOW}::timestamptz - interval '15 days', ${NOW}::timestamptz - interval '14 days',
             CASE WHEN ${status} = 'pending' THEN NULL ELSE ${NOW}::timestamptz - interval '14 days' END,
             CASE WHEN ${status} = 'pending' THEN NULL ELSE ${NOW}::timestamptz - interval '1 hour' END, ${NOW}::timestamptz
      FROM s
    `.execute(db);
  }
  await sql`
    INSERT INTO follow_ups (id, submission_id, due_at, status, created_at)
    SELECT gen_random_uuid(), id, ${NOW}::timestamptz - interval '1 hour', 'scheduled', ${NOW}::timestamptz FROM submissions WHERE reference LIKE 'T3-%'
  `.execute(db);
}

/** Forgets the due items' breaches, so that every run records the same ones again. */
async function clearDueBreaches(db: Kysely<Database>) {
  await sql`DELETE FROM sla_breaches WHERE referral_id IN (SELECT id FROM referrals WHERE reference ~ '^T[123]-')`.execute(db);
}

function indexesIn(plan: string): string {
  const used = [...plan.matchAll(/(Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
  const seq = [...plan.matchAll(/Seq Scan on (\S+)/g)].map((m) => `Seq Scan ${m[1]}`);
  return [...new Set([...used, ...seq])].join(', ') || '(no table read)';
}

async function main() {
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB_NAME}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  const captured: CQ[] = [];
  let capture = false;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new CamelCasePlugin()],
    log: (e) => {
      if (capture && e.level === 'query') captured.push(e.query);
    },
  });
  await migrateToLatest(db);
  await seedDemo(db, NOW);
  await sql`INSERT INTO users (id, name, email, role, created_at) VALUES (gen_random_uuid(), 'bench', 'bench@example.org', 'link_worker', ${NOW})`.execute(db);
  await addDue(db);

  const env = loadEnv({ DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' });
  const deps = { env, db, clock: new ManualClock(NOW), ids: randomIds, logger: createLogger('silent') } as unknown as ServiceDeps;

  console.log(`due items per clock: ${DUE} (T1 forward, T2 contact, T3 follow-up); ${RUNS} runs per size, median`);
  let have = 0;
  for (const size of SIZES) {
    await addBackground(db, have + 1, size - have);
    have = size;
    await sql`VACUUM ANALYZE`.execute(db);
    // A hub's sweep finds its past days rolled up (it rolls up each day once, when it ends, and
    // the few a change makes stale): catch up the days this history just made, as the sweeps of
    // those days would have, and time what a sweep costs from then on. Rolling up one day costs
    // what that day holds, not the history ([reports at scale](../../docs/benchmarks.md#reports-at-scale)).
    const catchUp = performance.now();
    let sweeps = 0;
    for (;;) {
      const r = await runSweep(deps, { reconcile: false });
      sweeps++;
      if (r.daysRolledUp === 0 && r.reportDaysRolledUp === 0) break;
    }
    const caughtUp = performance.now() - catchUp;
    await sql`VACUUM ANALYZE`.execute(db);
    const times: number[] = [];
    let last;
    for (let i = 0; i < RUNS; i++) {
      await clearDueBreaches(db);
      capture = i === RUNS - 1;
      captured.length = 0;
      const t = performance.now();
      last = await runSweep(deps, { reconcile: false });
      times.push(performance.now() - t);
      capture = false;
    }
    times.sort((a, b) => a - b);
    const total = await sql<{ n: string }>`SELECT count(*) AS n FROM referrals`.execute(db);
    console.log(
      `\nreferrals: ${Number(total.rows[0]!.n).toLocaleString('en-GB')}  sweep median ${times[Math.floor(RUNS / 2)]!.toFixed(1)} ms ` +
        `(min ${times[0]!.toFixed(1)}, max ${times[RUNS - 1]!.toFixed(1)})  breaches ${JSON.stringify(last!.breaches)}; ` +
        `the history's days rolled up first in ${sweeps} sweeps, ${(caughtUp / 1000).toFixed(1)} s`,
    );
    await clearDueBreaches(db);
    for (const q of captured) {
      if (!/^\s*(select|with|update|delete|insert)/i.test(q.sql) || /pg_try_advisory/.test(q.sql)) continue;
      const plan = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${q.sql}`, [...q.parameters]));
      const text = plan.rows.map((r) => Object.values(r)[0]).join('\n');
      const cost = /cost=[\d.]+\.\.([\d.]+)/.exec(text)?.[1];
      console.log(`  ${q.sql.replace(/\s+/g, ' ').slice(0, 70).padEnd(70)}  cost ${cost?.padStart(9)}  ${indexesIn(text)}`);
    }
  }
  await db.destroy();
  if (!process.env.BENCH_KEEP) await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
}

await main();
