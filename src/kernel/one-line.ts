/**
 * Names and titles are one line of text. A line break typed into a name (an agency's, a user's,
 * a person's) would let it start a line of its own in a mail the hub sends, such as a fake
 * "Open the referral here: <link>" or a "Bcc:" line; a bidirectional override would let it show
 * its characters in another order than they are sent. These are the characters that do either:
 * the C0 and C1 control characters (tab, line feed, carriage return, NEL U+0085 among them) and
 * DEL, the line and paragraph separators U+2028 and U+2029, and the bidirectional embeddings,
 * overrides and isolates (U+202A to U+202E, U+2066 to U+2069).
 */
const BREAKING = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;
const BREAKING_RUN = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]+/gu;

/** Whether the text holds none of those characters (the input rule for every name and title). */
export function isOneLine(text: string): boolean {
  return !BREAKING.test(text);
}

/**
 * Text someone typed, as ONE line: each run of those characters becomes a space. For output
 * (mail), behind the input rule: a row written before the rule, or by a path that skipped it,
 * still cannot start a line of its own.
 */
export function flattenToOneLine(text: string): string {
  return text.replace(BREAKING_RUN, ' ').replace(/ {2,}/g, ' ').trim();
}
