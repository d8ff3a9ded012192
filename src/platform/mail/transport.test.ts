import { describe, expect, it } from 'vitest';
import { getCACertificates } from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyMailError, mailTransportOptions } from './transport.js';

/** nodemailer's errors as it builds them (code, responseCode, permanent, originalCode). */
const smtpError = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);

describe('what a TLS refusal is', () => {
  it('is temporary even when the relay answered STARTTLS with a 5xx: nothing was sent, and the relay may be put right', () => {
    const e = classifyMailError(smtpError('Error upgrading connection with STARTTLS: 502 5.5.1 Error: command not implemented', { code: 'ETLS', responseCode: 502, permanent: true }));
    expect([e.permanent, e.responseCode]).toEqual([false, 502]);
    expect(e.message).toMatch(/^ETLS: Error upgrading connection with STARTTLS/);
  });
  it("is temporary when Node would not trust the relay's certificate, and says which check failed", () => {
    for (const originalCode of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED']) {
      const e = classifyMailError(smtpError('self-signed certificate', { code: 'ESOCKET', originalCode }));
      expect([e.permanent, e.message]).toEqual([false, `ETLS (${originalCode}): self-signed certificate`]);
    }
  });
  it('leaves the other rules as they were: 5xx permanent, 4xx and connection errors temporary', () => {
    expect(classifyMailError(smtpError('550 5.1.1 <a@example.org>: unknown', { code: 'EENVELOPE', responseCode: 550 }), ['a@example.org']).permanent).toBe(true);
    expect(classifyMailError(smtpError('451 try later', { responseCode: 451 })).permanent).toBe(false);
    expect(classifyMailError(smtpError('connect ECONNREFUSED', { code: 'ESOCKET', originalCode: 'ECONNREFUSED' })).message).toBe('ESOCKET: connect ECONNREFUSED');
  });
});

describe('the transport options', () => {
  it("adds the private CA to Node's own trusted CAs, names the relay, and signs when DKIM is set", () => {
    const dir = mkdtempSync(join(tmpdir(), 'signpost-transport-'));
    try {
      const ca = join(dir, 'ca.pem');
      const pem = `${getCACertificates('bundled')[0]}\n`;
      writeFileSync(ca, pem);
      writeFileSync(join(dir, 'k.pem'), 'KEY');
      const none = mailTransportOptions({ SMTP_REQUIRE_TLS: false, SMTP_CA_FILE: undefined, SMTP_TLS_SERVERNAME: undefined, DKIM_DOMAIN: undefined, DKIM_SELECTOR: undefined, DKIM_PRIVATE_KEY_FILE: undefined });
      expect(none).toEqual({ requireTLS: false, tls: {} });
      const all = mailTransportOptions({ SMTP_REQUIRE_TLS: true, SMTP_CA_FILE: ca, SMTP_TLS_SERVERNAME: 'relay.example.org', DKIM_DOMAIN: 'example.org', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY_FILE: join(dir, 'k.pem') });
      expect(all.requireTLS).toBe(true);
      expect(all.tls.servername).toBe('relay.example.org');
      expect(all.tls.ca).toHaveLength(getCACertificates('default').length + 1);
      expect(all.tls.ca?.at(-1)).toBe(pem);
      expect(all.dkim).toMatchObject({ domainName: 'example.org', keySelector: 's1', privateKey: 'KEY' });
      expect(all.dkim?.headerFieldNames).toMatch(/(^|:)Auto-Submitted(:|$)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
