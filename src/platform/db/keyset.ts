/**
 * Keyset paging on (a moment, an id). The cursor keeps the moment as Postgres holds it, to the
 * microsecond: a JavaScript Date keeps milliseconds, and a cursor made from one starts the next
 * page inside the last row's millisecond, so that it repeats (oldest first) or skips (newest
 * first) the rows stamped in the same millisecond on the far side of it.
 */
import { sql, type RawBuilder } from 'kysely';

/** A row's place in a paged list: its moment ('2026-03-01T09:00:00.123456Z') and its id. */
export interface KeysetPlace {
  at: string;
  id: string;
}

/** The column's moment to the microsecond, in UTC, as the cursor keeps it (`column` in snake_case, e.g. 'r.received_at'). */
export function exactMoment(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** A cursor's moment, as a client sends it back: an ISO 8601 moment in UTC, at most microseconds. */
export const EXACT_MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
