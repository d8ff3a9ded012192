/**
 * The triage list in pages: self_referrals_open_idx orders the open items by (received_at, id),
 * the list's order and the key a page starts after (items received in the same instant are told
 * apart by id), and carries forward_due_at, so the list's counts read the index only. Its cost
 * follows the open items, never the decided ones.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX self_referrals_open_idx;
    CREATE INDEX self_referrals_open_idx ON self_referrals (received_at, id) INCLUDE (forward_due_at) WHERE status = 'open';
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX self_referrals_open_idx;
    CREATE INDEX self_referrals_open_idx ON self_referrals (received_at) WHERE status = 'open';
  `.execute(db);
}
