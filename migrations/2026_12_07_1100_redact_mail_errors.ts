/**
 * Mail servers' replies stored before mail errors were redacted where they are made.
 *
 * A refusal such as "550 5.1.1 <edna@example.org>: Recipient address rejected" was stored as it
 * came, in notifications.last_error and referrals.last_forward_error, and erasure left it there.
 * Now the text of a mail error has no address in it (src/kernel/mail-redaction.ts), and erasure
 * keeps only a reply's code and enhanced status (src/platform/db/mail-error-text.ts). This brings the rows
 * already written into line: the replies about people already erased, and to a closed
 * self-referral's address, as erasure leaves them now; every other reply with its addresses
 * redacted. A copy of those rules as they stood (a migration never imports app code).
 */
import { sql, type Kysely } from 'kysely';

const ERASED_REPLY = 'the rest of the server’s reply was removed with the person’s details';

/** The erasure rule of src/platform/db/mail-error-text.ts on column `c`. */
const erased = (c: string) => {
  const m = `regexp_match(${c}, '(?:^|[^0-9.:])([245][0-9]{2})[ -]([245]\\.[0-9]{1,3}\\.[0-9]{1,3})')`;
  return sql.raw(`coalesce((${m})[1] || ' ' || (${m})[2] || ': ', '') || '${ERASED_REPLY}'`);
};

/** The redaction of src/kernel/mail-redaction.ts (without the known recipients) on column `c`. */
const redacted = (c: string) =>
  sql.raw(`regexp_replace(regexp_replace(${c}, '<[^<>\\s]{1,254}>', '<[address]>', 'g'),
                          '(?:"[^"\\r\\n]{0,64}"|[^\\s<>()\\[\\]{}",;:@]+)@[^\\s<>()\\[\\]{}",;:@]+', '[address]', 'g')`);

/** Rows of a checklist (`checklist`: an expression) whose person is already erased. */
const ofErased = (checklist: string) =>
  sql.raw(`EXISTS (SELECT 1 FROM submissions s JOIN people p ON p.id = s.person_id WHERE p.erased_at IS NOT NULL AND s.id = ${checklist})`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await redactStoredMailErrors(db);
}

/** The stored replies, as erasure and the redaction now leave them (test/erasure-reach.test.ts runs it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function redactStoredMailErrors(db: Kysely<any>): Promise<void> {
  const ofErasedMail = ofErased('coalesce(n.submission_id, (SELECT r.submission_id FROM referrals r WHERE r.id = n.referral_id))');
  await sql`
    UPDATE notifications n SET last_error = ${erased('n.last_error')}
     WHERE n.last_error IS NOT NULL AND n.last_error NOT LIKE 'not sent:%' AND n.last_error NOT LIKE ${`%${ERASED_REPLY}`}
       AND (n.recipient = '(address removed)' OR ${ofErasedMail})`.execute(db);
  await sql`
    UPDATE notifications n SET last_error = ${redacted('n.last_error')}
     WHERE n.last_error ~ '[@<]'`.execute(db);
  await sql`
    UPDATE referrals r SET last_forward_error = ${erased('r.last_forward_error')}
     WHERE r.last_forward_error IS NOT NULL AND r.last_forward_error NOT LIKE ${`%${ERASED_REPLY}`} AND ${ofErased('r.submission_id')}`.execute(db);
  await sql`
    UPDATE referrals r SET last_forward_error = ${redacted('r.last_forward_error')}
     WHERE r.last_forward_error ~ '[@<]'`.execute(db);
}

// The replies are not put back: what was removed is gone.
export async function down(): Promise<void> {}
