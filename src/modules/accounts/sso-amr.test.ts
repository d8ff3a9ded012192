import { describe, expect, it } from 'vitest';
import { providerGaveSecondFactor } from './sso-amr.js';

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
