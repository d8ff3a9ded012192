import { describe, expect, it } from 'vitest';
import { providerGaveSecondFactor, providerVerifiedEmail } from './sso-amr.js';

describe("the provider's second factor (amr, RFC 8176)", () => {
  it.each([
    [['pwd', 'mfa']],
    [['mfa']],
    [['pwd', 'otp']],
    [['hwk']],
    [['swk', 'user']],
    [['pwd', 'sms']],
    [['fpt']],
    [['face']],
    [['pop']],
    [['MFA']],
  ])('%j counts', (amr) => expect(providerGaveSecondFactor(amr)).toBe(true));

  it.each([
    [['pwd']],
    [['pin']],
    [['kba', 'pwd']],
    [['rba', 'geo']],
    [['user']],
    [[]],
    [undefined],
    [null],
    ['mfa'],
    [{ 0: 'mfa' }],
    [[1, 2]],
    [['mfa-ish', 'otp2']],
  ])('%j does not', (amr) => expect(providerGaveSecondFactor(amr)).toBe(false));
});

describe("the provider's word that the email is verified", () => {
  it.each([
    [{ email_verified: true }, true],
    [{ email_verified: false }, false],
    [{ email_verified: 'true' }, false],
    [{}, false],
    [{ xms_edov: true }, true], // Entra ID's optional claim
    [{ xms_edov: 'true' }, false],
    [{ email_verified: false, xms_edov: true }, false], // a provider that says no is believed
  ])('%j -> %s', (claims, verified) => {
    expect(providerVerifiedEmail(claims)).toBe(verified);
  });
});
