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
  /** told of every connection that fails, idle or in use (Postgres restarted, network gone) */
  onConnectionError?: (err: Error) => void;
}

export function createDb({ connectionString, poolSize = 10, applicationName = 'signpost', onConnectionError = () => {} }: DbOptions) {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    application_name: applicationName,
    // fail a request quickly instead of queueing forever when Postgres is gone
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A session keeps what it planned (the intake function's generic plans among it) until the
    // statistics it planned from change; a busy connection never idles out, so it is renewed
    // after half an hour whatever happens, and nothing planned on a nearly empty table lives on.
    maxLifetimeSeconds: 30 * 60,
  });
  // A connection that Postgres ends (a restart: 57P01 "terminating connection due to
  // administrator command") emits 'error' on its client. The pool listens only while the client
  // is idle; a client that is checked out (inside a transaction, say, while a mail is sent) has
  // no listener of its own, and an 'error' event without a listener ends the process. So every
  // client gets one for its whole life: the query in flight fails with the error, its caller
  // (a request: 503; a job: retried) handles that, and the pool discards the broken client when
  // it is released.
  pool.on('connect', (client) => {
    client.on('error', onConnectionError);
  });
  pool.on('error', onConnectionError);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
  pools.set(db, pool);
  return db;
}

const pools = new WeakMap<Kysely<Database>, pg.Pool>();

/** The pool's own counts (no query): connections held, idle, and queries waiting for one. */
export function poolStats(db: Kysely<Database>): { total: number; idle: number; waiting: number } | undefined {
  const pool = pools.get(db);
  return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}
