/**
 * Which allowance a client's network address spends on the public self-referral page.
 *
 * - An IPv4 address counts as itself.
 * - An IPv6 address counts by its /64: a home or small office is given a whole /64 and may use
 *   any address in it, so counting single addresses would let one sender multiply its allowance
 *   without limit.
 * - An IPv4 address written as IPv6 (`::ffff:192.0.2.1`, as a dual-stack socket reports an IPv4
 *   client) counts as the IPv4 address, so that one client never has two allowances.
 *
 * Anything else (no address, a malformed one) counts as given: it still has an allowance.
 */

/** The key of `address`'s allowance: the IPv4 address, or the IPv6 /64 as `2001:db8:1:2::/64`. */
export function allowanceKey(address: string): string {
  const raw = address.trim();
  if (ipv4Octets(raw)) return raw;
  const groups = ipv6Groups(raw);
  if (!groups) return raw;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

function ipv4Octets(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p))) return undefined;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a trailing dotted quad and a `%zone` allowed), or undefined. */
function ipv6Groups(input: string): number[] | undefined {
  let s = input.includes('%') ? input.slice(0, input.indexOf('%')) : input;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = ipv4Octets(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const given = head.length + rest.length + tail.length;
  const missing = 8 - given;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head.map((g) => parseInt(g, 16)), ...new Array<number>(missing > 0 ? missing : 0).fill(0), ...rest.map((g) => parseInt(g, 16)), ...tail];
}
