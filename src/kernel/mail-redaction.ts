/**
 * Mail servers quote addresses in their replies ("550 5.1.1 <edna@example.org>: Recipient address
 * rejected"). The text of a mail error is stored (notifications.last_error,
 * referrals.last_forward_error, a referral's history), kept in Redis with a failed job for a week,
 * and logged: an address in it would outlive the erasure of the person it belongs to. So a mail
 * error's text is redacted where the error is made, before anything stores or logs it, and the
 * logger redacts error text again on the way out. What stays is what the hub acts on: the reply
 * code and the enhanced status ("550 5.1.1"), and the server's words.
 */

export const REDACTED_ADDRESS = '[address]';

/**
 * Anything that looks like an address: a local part (plain, or quoted) and a domain around an @.
 * Broad on purpose (any script, no check of the domain): a false hit costs a word of a reply.
 */
const ADDRESS = /(?:"[^"\r\n]{0,64}"|[^\s<>()[\]{}",;:@]+)@[^\s<>()[\]{}",;:@]+/gu;
/** Anything in angle brackets without spaces: servers quote a mailbox so, sometimes without its domain (sendmail: "<edna>... User unknown"). */
const IN_BRACKETS = /<[^<>\s]{1,254}>/gu;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The text with every address in it (and each of `known`, the recipients of the mail, wherever
 * they appear, in any case) replaced by [address].
 */
export function redactAddresses(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const k of known) if (k.trim()) out = out.replace(new RegExp(escape(k.trim()), 'giu'), REDACTED_ADDRESS);
  return out.replace(IN_BRACKETS, `<${REDACTED_ADDRESS}>`).replace(ADDRESS, REDACTED_ADDRESS);
}
