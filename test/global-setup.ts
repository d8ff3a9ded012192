/**
 * Migrates a template database once per run; every test file then copies it
 * (CREATE DATABASE ... TEMPLATE), so files never share mutable state and never truncate.
 * Names carry a run id, so that two runs on one machine never touch each other's databases.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDb } from '../src/platform/db/kysely.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { TEST_PG_URL, dbUrl } from './helpers/env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string;
    testRunId: string;
  }
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export default async function setup(project: TestProject) {
  const runId = randomBytes(4).toString('hex');
  const template = `signpost_tpl_${runId}`;
  await admin((c) => c.query(`CREATE DATABASE "${template}"`));
  const db = createDb({ connectionString: dbUrl(template), poolSize: 1 });
  await migrateToLatest(db);
  await db.destroy();
  project.provide('templateDb', template);
  project.provide('testRunId', runId);

  return async () => {
    await admin(async (c) => {
      const left = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`signpost_t_${runId}_%`]);
      for (const { datname } of left.rows) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      await c.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    });
  };
}
