/**
 * Who the client of a request is, for per-client decisions (the dispatcher's rate limit;
 * the access log and the forwarding fields can use it too). It is the peer address,
 * unless the peer is a trusted proxy (`--trusted-proxies`): then it is the right-most
 * X-Forwarded-For entry that is not itself a trusted proxy. Everything left of that entry
 * was written by the client or by proxies nobody vouches for, so it is never believed.
 */
import { BlockList, isIP } from 'node:net';
import { parseCidr } from '../config/addresses.js';

/** The proxies whose X-Forwarded-For is believed: a set of IPv4 and IPv6 ranges. */
export class TrustedProxies {
  readonly #ranges = new BlockList();
  /** Ranges in the set; 0: nobody is trusted. */
  readonly size: number;

  /** `cidrs` as --trusted-proxies gives them (`10.0.0.0/8`, `::1`); throws a TypeError on a bad one. */
  constructor(cidrs: readonly string[] = []) {
    for (const text of cidrs) {
      const cidr = parseCidr(text);
      this.#ranges.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    this.size = cidrs.length;
  }

  /** Whether `address` (IPv4, IPv6, or IPv4-mapped IPv6) is in a trusted range. */
  has(address: string): boolean {
    const version = isIP(address);
    if (version === 0 || this.size === 0) return false;
    return this.#ranges.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/** An address as people write it: IPv4-mapped IPv6 (`::ffff:10.1.2.3`) as plain IPv4. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The client address of a request from `peer` (the socket's remote address) that carries
 * `forwardedFor` (its X-Forwarded-For field lines joined with commas). When every entry is
 * trusted, the left-most is the client; an entry that is not an address ends the walk at
 * the last address before it, since nothing to its left can be placed.
 */
export function clientAddressOf(peer: string, forwardedFor: string | undefined, trusted: TrustedProxies): string {
  let client = plainAddress(peer);
  if (forwardedFor === undefined || !trusted.has(client)) return client;
  let end = forwardedFor.length;
  while (end > 0) {
    const comma = forwardedFor.lastIndexOf(',', end - 1);
    const entry = entryAddress(forwardedFor.slice(comma + 1, end));
    end = comma;
    if (entry === undefined) continue;
    if (entry === '') return client;
    if (!trusted.has(entry)) return entry;
    client = entry;
  }
  return client;
}

/**
 * One X-Forwarded-For entry: its address (ports and IPv6 brackets dropped, IPv4-mapped
 * made plain), '' when it is not an address, undefined when it is empty (`a,,b`).
 */
function entryAddress(raw: string): string | undefined {
  let text = raw.trim();
  if (text === '') return undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    text = close === -1 ? '' : text.slice(1, close);
  } else if (text.indexOf(':') !== -1 && text.indexOf(':') === text.lastIndexOf(':')) {
    // One colon: IPv4 with a port (IPv6 has at least two).
    text = text.slice(0, text.indexOf(':'));
  }
  return isIP(text) === 0 ? '' : plainAddress(text);
}
