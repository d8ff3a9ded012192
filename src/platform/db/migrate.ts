/** Runs the migrations in migrations/ to the latest, creating the database first if needed. */
import type { Kysely } from 'kysely';
import { Migrator, type MigrationResult } from 'kysely/migration';
import pg from 'pg';
import { applySqlFiles } from './sql-files.js';
import { migrations } from '../../../migrations/index.js';

/** CREATE DATABASE when the one named in the URL does not exist (connects to `postgres`). */
export async function ensureDatabase(connectionString: string): Promise<boolean> {
  const url = new URL(connectionString);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name: ${name}`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"`);
    return true;
  } catch (err) {
    // another process created it between our check and our CREATE
    if ((err as { code?: string }).code === '42P04') return false;
    throw err;
  } finally {
    await client.end();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) throw error;
  // the functions and triggers, as their .sql files say now (sql-files.ts)
  await applySqlFiles(db, { all: results.length > 0 });
  return results;
}
