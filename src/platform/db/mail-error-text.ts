/**
 * What erasure leaves of a mail server's reply stored on a row (notifications.last_error,
 * referrals.last_forward_error): its reply code and enhanced status when it has them ("550
 * 5.1.1"), which say what happened without saying to whom, and a notice. The rest goes, whatever
 * it held: an address the redaction did not recognise, a name a server quoted, text stored before
 * mail errors were redacted.
 */
import { sql, type RawBuilder } from 'kysely';

export const ERASED_REPLY = 'the rest of the server’s reply was removed with the person’s details';

/** The hub's own words on a mail it did not send ('not sent: …'): no server wrote them; they stay. */
const HUB_WORDS = 'not sent:%';

export function erasedMailError(column: string): RawBuilder<string | null> {
  const col = sql.ref(column);
  const m = sql`regexp_match(${col}, '(?:^|[^0-9.:])([245][0-9]{2})[ -]([245]\\.[0-9]{1,3}\\.[0-9]{1,3})')`;
  return sql<string | null>`CASE
    WHEN ${col} IS NULL OR ${col} LIKE ${HUB_WORDS} OR ${col} LIKE ${`%${ERASED_REPLY}`} THEN ${col}
    ELSE coalesce((${m})[1] || ' ' || (${m})[2] || ': ', '') || ${ERASED_REPLY} END`;
}
