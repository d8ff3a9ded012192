/** The readiness probe's round trip to Postgres. */
import { sql } from 'kysely';
import type { Executor } from '../db/database.js';

/** Resolves when Postgres answers `SELECT 1`; rejects when it cannot be reached. */
export async function pingDatabase(db: Executor): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
