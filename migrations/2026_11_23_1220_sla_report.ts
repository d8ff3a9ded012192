/**
 * Indexes for the coordinators' SLA summary: the median time to forward and to contact over
 * the last 30 days read referrals by forwarded_at and contacted_at, so those reads follow the
 * month's referrals rather than the whole table. Partial: rows without the step are not indexed.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE INDEX referrals_forwarded_at_idx ON referrals (forwarded_at) WHERE forwarded_at IS NOT NULL;
    CREATE INDEX referrals_contacted_at_idx ON referrals (contacted_at) WHERE contacted_at IS NOT NULL;
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX referrals_contacted_at_idx;
    DROP INDEX referrals_forwarded_at_idx;
  `.execute(db);
}
