/**
 * Where a webhook may go (docs/security.md#webhooks). An endpoint's URL is https in production
 * (http too elsewhere), carries no user name or password, and its host must be a public
 * address: private, loopback, link-local, unique-local, carrier-grade NAT, multicast and every
 * other special range (ipaddr.js's ranges: only `unicast` passes, IPv4-mapped IPv6 read as the
 * IPv4 it carries) are refused, unless WEBHOOK_ALLOW_PRIVATE is set (development and tests).
 * The check runs at registration and again at every send, on the addresses the name resolves
 * to then; the connection is made to the address that was checked (`checkedLookup` is the
 * socket's own lookup), so a name re-pointed between the check and the connect (DNS
 * rebinding) cannot slip through.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to every address it has (node:dns lookup by default; tests hand in their own). */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

export interface AddressPolicy {
  allowPrivate: boolean;
  httpsOnly: boolean;
  resolve: Resolver;
}

export class UnsafeAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeAddressError';
  }
}

/** Whether an address is one the open internet can route to (the only range a webhook may reach). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let a = ipaddr.parse(address);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  return a.range() === 'unicast';
}

/** The URL's shape alone: a sentence saying what is wrong, or null. */
export function urlShapeProblem(raw: string, httpsOnly: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (httpsOnly && url.protocol !== 'https:') return 'must be https';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.hash) return 'must not have a fragment (#...)';
  return null;
}

const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

function checkAddresses(host: string, addresses: readonly string[], allowPrivate: boolean): void {
  if (addresses.length === 0) throw new UnsafeAddressError(`${host} has no address`);
  if (allowPrivate) return;
  const bad = addresses.find((a) => !isPublicAddress(a));
  if (bad !== undefined) throw new UnsafeAddressError(`${host} is a private, loopback or link-local address (${bad}), which webhooks may not reach`);
}

/** Throws UnsafeAddressError unless the URL is well formed and every address of its host is allowed. */
export async function assertSafeUrl(raw: string, policy: AddressPolicy): Promise<URL> {
  const problem = urlShapeProblem(raw, policy.httpsOnly);
  if (problem) throw new UnsafeAddressError(problem);
  const url = new URL(raw);
  const host = bareHost(url);
  if (isIP(host)) {
    checkAddresses(host, [host], policy.allowPrivate);
    return url;
  }
  let found: LookupAddress[];
  try {
    found = await policy.resolve(host);
  } catch {
    throw new UnsafeAddressError(`${host} could not be resolved`);
  }
  checkAddresses(host, found.map((f) => f.address), policy.allowPrivate);
  return url;
}

/**
 * A socket lookup that resolves the name, refuses it unless every address is allowed, and hands
 * the socket the first checked address: what is checked is what is connected to.
 */
export function checkedLookup(policy: Pick<AddressPolicy, 'allowPrivate' | 'resolve'>): LookupFunction {
  return (hostname, options, callback) => {
    policy
      .resolve(hostname)
      .then((found) => {
        checkAddresses(hostname, found.map((f) => f.address), policy.allowPrivate);
        const wanted = typeof options === 'object' && options.family ? found.filter((f) => f.family === options.family) : found;
        const chosen = wanted[0] ?? found[0]!;
        if (typeof options === 'object' && options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [chosen]);
        else callback(null, chosen.address, chosen.family);
      })
      .catch((err: Error) => callback(err as NodeJS.ErrnoException, '', 0));
  };
}
