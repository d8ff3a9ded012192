/** Message-IDs the hub chooses itself, so that every attempt at one message carries the same one. */

/** The domain part of MAIL_FROM ('Signpost hub <hub@signpost.example.org>' -> 'signpost.example.org'). */
export function mailDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return m ? m[1]! : 'signpost.invalid';
}

/** A Message-ID in the hub's own mail domain (MAIL_FROM's), e.g. `<forward-<referralId>@domain>`. */
export function messageId(localPart: string, from: string): string {
  return `<${localPart}@${mailDomain(from)}>`;
}

/** The forward of one referral: `<forward-<referralId>@domain>`. */
export function forwardMessageId(referralId: string, from: string): string {
  return messageId(`forward-${referralId}`, from);
}
