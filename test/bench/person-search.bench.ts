/**
 * Person search at scale (`npm run bench:search`): the hub's search by name (`searchPeopleRows`,
 * the query the API and the people page run) on a scratch database of BENCH_PEOPLE people
 * (default 1,000,000: more people than a million referrals make), whose names are crowded on
 * purpose: one person in 20 has the given name Margaret, half share 20 family names, the rest
 * have a family name of their own (ten random letters). Their names are in the search's name index, as the workers'
 * indexer leaves them. Prints, for each search, the rows it matches, the median and p95 of
 * BENCH_REPEATS runs, and the plan's top nodes (EXPLAIN ANALYZE of the same statement), so a scan
 * of the whole table would show (BENCH_FULL_PLAN=1: the whole plan). The scratch database is
 * dropped afterwards, unless BENCH_KEEP=1 (then a later run with BENCH_KEEP=1 uses it again).
 */
import { CamelCasePlugin, Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { createDb } from '../../src/platform/db/kysely.js';
import { ensureDatabase, migrateToLatest } from '../../src/platform/db/migrate.js';
import type { Database } from '../../src/platform/db/database.js';
import { searchPeopleRows, type PersonSearch } from '../../src/modules/people/person-search.repository.js';

const DB_URL = process.env.BENCH_SEARCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/signpost_bench_search';
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 1_000_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 20);

async function admin(sqlText: string): Promise<void> {
  const url = new URL(DB_URL);
  url.pathname = '/postgres';
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  await c.query(sqlText);
  await c.end();
}

const dbName = new URL(DB_URL).pathname.slice(1);

async function main(): Promise<void> {
  const keep = process.env.BENCH_KEEP === '1';
  if (!keep) await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await ensureDatabase(DB_URL);
  const setup = createDb({ connectionString: DB_URL, poolSize: 1 });
  await migrateToLatest(setup);
  const built = keep && Number((await setup.selectFrom('people').select((e) => e.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n) === PEOPLE;
  await setup.destroy();

  const c = new pg.Client({ connectionString: DB_URL });
  await c.connect();
  // the statement searchPeopleRows sends, caught on its way to the pool, for EXPLAIN
  let last: CompiledQuery | undefined;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: DB_URL, max: 2 }) }),
    plugins: [new CamelCasePlugin()],
    log: (e) => {
      last = e.query;
    },
  });
  try {
    const t = performance.now();
    await c.query(`SET synchronous_commit = off; SET maintenance_work_mem = '256MB'`);
    if (!built) await c.query(
      `INSERT INTO people (id, given_name, family_name, norm_given, norm_family, date_of_birth, postcode, norm_postcode, preferred_contact, created_at, updated_at)
       SELECT md5('search-person-' || i)::uuid, g, f, lower(g), lower(f), date '1925-01-01' + i % 12000, 'SE1 7PB', 'SE17PB', 'phone', now(), now()
         FROM generate_series(1, $1::int) i,
              LATERAL (SELECT CASE WHEN (i / 3) % 20 = 0 THEN 'Margaret'
                                   ELSE (ARRAY['John','Patricia','David','Jean','Peter','Mary','Michael','Barbara','Robert','Joan','Alan'])[i % 11 + 1] END AS g,
                              CASE WHEN i % 2 = 0 THEN (ARRAY['Smith','Jones','Taylor','Brown','Williams','Wilson','Johnson','Davies','Patel','Wright',
                                                              'Green','Walker','Hughes','Edwards','Thomas','Roberts','Evans','Lewis','Hill','Clarke'])[(i / 2) % 20 + 1]
                                   ELSE initcap(translate(substr(md5('family-' || i), 1, 10), '0123456789', 'ghijklmnop')) END AS f) n`,
      [PEOPLE],
    );
    if (!built) {
      await c.query(`INSERT INTO person_search_names (person_id, norm_given, norm_family) SELECT id, norm_given, norm_family FROM people`);
      await c.query('ANALYZE');
      console.log(`${PEOPLE.toLocaleString('en-GB')} people and their names indexed in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    }
    // a distinctive family name of the data, with two letters changed
    const { rows } = await c.query<{ f: string }>(`SELECT norm_family AS f FROM people WHERE length(norm_family) = 10 ORDER BY id LIMIT 1`);
    const distinct = rows[0]!.f;
    const typo = `${distinct.slice(0, 2)}${distinct[3]}${distinct[2]}${distinct.slice(4, -1)}`;

    const searches: [string, PersonSearch][] = [
      [`"Margret ${typo}" (a distinctive family name, two letters wrong)`, { names: ['margret', typo], limit: 50 }],
      ['"Margret Smith" (a common given name misspelt, a common family name)', { names: ['margret', 'smith'], limit: 50 }],
      ['"Margaret Smi" (beginnings only)', { names: ['margaret', 'smi'], limit: 50 }],
      [`"${distinct.slice(0, 9)}" (one beginning)`, { names: [distinct.slice(0, 9)], limit: 50 }],
    ];
    console.log('\nsearch                                                               rows   median ms   p95 ms');
    for (const [label, q] of searches) {
      const times: number[] = [];
      let n = 0;
      for (let i = 0; i < REPEATS; i++) {
        const s = performance.now();
        n = (await searchPeopleRows(db, q)).length;
        times.push(performance.now() - s);
      }
      times.sort((a, b) => a - b);
      const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
      console.log(`${label.padEnd(68)} ${String(n).padStart(5)} ${at(0.5).toFixed(1).padStart(11)} ${at(0.95).toFixed(1).padStart(8)}`);
      const plan = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${last!.sql}`, last!.parameters as unknown[]);
      const lines = plan.rows.map((r) => r['QUERY PLAN']);
      console.log(process.env.BENCH_FULL_PLAN ? lines.join("\n") : lines.filter((l) => /Scan|Execution Time/.test(l)).map((l) => `    ${l.trim()}`).join("\n"));
    }
  } finally {
    await db.destroy();
    await c.end();
    if (!keep) await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  }
}

await main();
