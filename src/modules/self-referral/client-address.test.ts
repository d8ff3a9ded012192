import { describe, expect, it } from 'vitest';
import { allowanceKey } from './client-address.js';

describe('allowanceKey', () => {
  it('counts an IPv4 address as itself', () => {
    expect(allowanceKey('203.0.113.9')).toBe('203.0.113.9');
    expect(allowanceKey('203.0.113.10')).toBe('203.0.113.10');
  });

  it('counts an IPv4 address written as IPv6 as the IPv4 address', () => {
    expect(allowanceKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(allowanceKey('::FFFF:cb00:7109')).toBe('203.0.113.9');
    expect(allowanceKey('0:0:0:0:0:ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(allowanceKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });

  it('counts every IPv6 address of one /64 as that /64, however written', () => {
    const keys = ['2001:db8:1:2::1', '2001:db8:1:2::ffff', '2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd', '2001:DB8:1:2:0:0:0:9', '2001:db8:1:2::5%eth0', '2001:db8:1:2::192.0.2.1'].map(allowanceKey);
    expect(new Set(keys)).toEqual(new Set(['2001:db8:1:2::/64']));
  });

  it('gives addresses in different /64s different keys', () => {
    expect(allowanceKey('2001:db8:1:2::1')).not.toBe(allowanceKey('2001:db8:1:3::1'));
    expect(allowanceKey('::1')).toBe('0:0:0:0::/64');
    expect(allowanceKey('fe80::1')).toBe('fe80:0:0:0::/64');
  });

  it('leaves what is not an address as given', () => {
    for (const s of ['unknown', '', '1.2.3', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7:8:9', '::ffff:300.1.1.1', '12345::1']) {
      expect(allowanceKey(s)).toBe(s.trim());
    }
  });
});
