import { describe, expect, it } from 'vitest';
import { redactAddresses } from './mail-redaction.js';

describe('redactAddresses', () => {
  it.each([
    // Postfix, at RCPT and at DATA, as nodemailer words them
    ["Can't send mail - all recipients were rejected: 550 5.1.1 <edna.smith@example.org>: Recipient address rejected: User unknown", "Can't send mail - all recipients were rejected: 550 5.1.1 <[address]>: Recipient address rejected: User unknown"],
    ['Message failed: 550 5.1.1 <edna@example.org> mailbox unavailable', 'Message failed: 550 5.1.1 <[address]> mailbox unavailable'],
    // Exchange names it bare
    ['550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient Edna@Example.org not found by SMTP address lookup', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient [address] not found by SMTP address lookup'],
    // sendmail quotes the mailbox without its domain
    ['550 5.1.1 <edna>... User unknown', '550 5.1.1 <[address]>... User unknown'],
    // quoted local parts, and addresses in other scripts
    ['550 5.1.1 "edna smith"@example.org unknown', '550 5.1.1 [address] unknown'],
    ['550 5.1.1 Recipient эдна@пример.рф rejected', '550 5.1.1 Recipient [address] rejected'],
  ])('%s', (text, redacted) => {
    expect(redactAddresses(text)).toBe(redacted);
  });

  it('keeps what the hub acts on: the code, the enhanced status and the words', () => {
    expect(redactAddresses('451 4.7.1 Try again later')).toBe('451 4.7.1 Try again later');
    expect(redactAddresses('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:2525')).toBe('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:2525');
  });

  it('removes the recipients it is told of, in any case, in any form', () => {
    expect(redactAddresses('mailbox EDNA.SMITH@EXAMPLE.ORG (edna.smith@example.org) is full', ['edna.smith@example.org'])).toBe('mailbox [address] ([address]) is full');
  });
});
