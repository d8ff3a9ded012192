/**
 * Migrates a template database once per run; every test file then copies it
 * (CREATE DATABASE ... TEMPLATE), so files never share mutable state and never truncate.
 */
import pg from 'pg';
import { createDb } from '../src/db/kysely.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { TEMPLATE_DB, TEST_PG_URL, dbUrl } from './helpers/env.js';

export default async function setup() {
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  // databases left by an interrupted earlier run
  const stale = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'signpost_t_%'");
  for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  await admin.end();

  const db = createDb({ connectionString: dbUrl(TEMPLATE_DB), poolSize: 1 });
  await migrateToLatest(db);
  await db.destroy();
}
