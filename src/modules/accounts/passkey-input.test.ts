import { describe, expect, it } from 'vitest';
import { credentialIdFits, knownTransports } from './passkey.service.js';

// A browser's registration answer is not all signed (the transports are its own word) and the
// credential id comes from the authenticator data: what reaches Postgres is checked first, so a
// tampered answer is a refusal, never a 500 (the security review of 2026-12-07).
describe('what a passkey registration may store', () => {
  it('keeps only the transports WebAuthn names, each once', () => {
    expect(knownTransports(['usb\u0000', { a: 1 }, 'internal', 'made-up', 'internal', 'hybrid'])).toEqual(['internal', 'hybrid']);
    expect(knownTransports('usb')).toEqual([]);
    expect(knownTransports(undefined)).toEqual([]);
  });
  it('takes a credential id of 1 to 1,400 characters', () => {
    expect(credentialIdFits('')).toBe(false);
    expect(credentialIdFits('A'.repeat(1401))).toBe(false);
    expect(credentialIdFits(42)).toBe(false);
    expect(credentialIdFits('AAAAAAAAAAAAAAAAAAAAAA')).toBe(true);
  });
});
