/**
 * Self-referrals' personal data after the hub's decision.
 *
 *  - The confirmation mail (notifications, dedupe key 'self-referral:<id>') went to the address
 *    the person gave, and was linked to nothing. From now on a release links it to the checklist
 *    the item became, and a close removes the address (a mail not yet sent is then not sent).
 *    This brings the items already decided into line: released ones are linked, closed ones lose
 *    the address.
 *  - The notes of a decided item (a release's call note, a close's note) are words about the
 *    person. A released item's go with the person's erasure or retention; a closed item's go with
 *    retention, RETENTION_MONTHS_AFTER_CLOSE after its close: self_referrals_closed_notes_idx
 *    holds the closed items that still have a note, so that run reads only those.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await bringDecidedItemsIntoLine(db);
  await sql`
    CREATE INDEX self_referrals_closed_notes_idx ON self_referrals (decided_at)
      WHERE status = 'closed' AND (call_note IS NOT NULL OR close_note IS NOT NULL);
  `.execute(db);
}

/** The confirmation mails of items already decided, as release and close now leave them (test/self-referral-data.test.ts runs it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function bringDecidedItemsIntoLine(db: Kysely<any>): Promise<void> {
  await sql`
    UPDATE notifications n SET submission_id = s.submission_id
      FROM self_referrals s
     WHERE n.dedupe_key = 'self-referral:' || s.id AND s.status = 'released' AND n.submission_id IS NULL;

    UPDATE notifications n SET
        recipient = '(address removed)',
        status = CASE WHEN n.status = 'queued' THEN 'failed' ELSE n.status END,
        last_error = CASE WHEN n.status = 'queued' THEN 'not sent: the self-referral was closed first' ELSE n.last_error END
      FROM self_referrals s
     WHERE n.dedupe_key = 'self-referral:' || s.id AND s.status = 'closed';
  `.execute(db);
}

/** The index goes; the links and removed addresses stay (what the code now keeps; an address removed is gone). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX self_referrals_closed_notes_idx`.execute(db);
}
