/**
 * Self-referrals: one form sent again with other details is another item.
 *
 * details_fingerprint is a hash of what the form said (the checklist as sent, without the time it
 * was sent), held while the item is open, like the checklist itself. The same form sent again
 * with the same details (a double click, a refresh) is the item already stored; sent again with
 * other details (back, a typo put right, send) it is a new item, so the form key is no longer
 * unique on its own: (form_key, details_fingerprint) is. Items stored before this have no
 * fingerprint, so a form of theirs sent again makes a new item (NULLs never clash).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE self_referrals
      ADD COLUMN details_fingerprint text CHECK (length(details_fingerprint) BETWEEN 1 AND 100),
      ADD CONSTRAINT self_referrals_fingerprint_while_open CHECK (status = 'open' OR details_fingerprint IS NULL),
      DROP CONSTRAINT self_referrals_form_key_key;
    CREATE UNIQUE INDEX self_referrals_form_details_key ON self_referrals (form_key, details_fingerprint);
  `.execute(db);
}

/**
 * Back to one item per form key: every row is kept, and the later items of a form sent more than
 * once get a form key of their own (the key with the item's id), as if sent from another form.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    UPDATE self_referrals s SET form_key = left(s.form_key, 63) || '-' || s.id
      WHERE EXISTS (
        SELECT 1 FROM self_referrals o
         WHERE o.form_key = s.form_key AND (o.received_at, o.id) < (s.received_at, s.id)
      );
    DROP INDEX self_referrals_form_details_key;
    ALTER TABLE self_referrals
      DROP CONSTRAINT self_referrals_fingerprint_while_open,
      DROP COLUMN details_fingerprint,
      ADD CONSTRAINT self_referrals_form_key_key UNIQUE (form_key);
  `.execute(db);
}
