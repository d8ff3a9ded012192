/** Builds the Kysely instance over a pg pool. The caller owns it and must destroy() it. */
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';

// `date` columns stay 'YYYY-MM-DD' strings: a date of birth has no time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
// bigint identities are returned as strings by default; that is what the types say.

export interface DbOptions {
  connectionString: string;
  poolSize?: number;
  applicationName?: string;
}

export function createDb({ connectionString, poolSize = 10, applicationName = 'signpost' }: DbOptions) {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    application_name: applicationName,
    // fail a request quickly instead of queueing forever when Postgres is gone
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection (Postgres restart) emits 'error' on the pool;
  // without a listener that would crash the process. The pool discards the client itself.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
}
