/**
 * Whether a registered address is this dispatcher itself: its listen port on a loopback
 * address, on any address of this machine's interfaces, on the unspecified address, or on
 * its configured --host. A host name counts when any address it resolves to does. A loop
 * that this misses (a proxy that points back, a name that changes) still ends at the first
 * hop back, with 508 (loop-guard.ts).
 */
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { plainAddress } from '../../common/client-address.js';
import { type Resolver, systemResolver } from './discovery.js';

export interface OwnAddressOptions {
  /** --host as configured (an address or a name). */
  host: string;
  /** The port the dispatcher listens on (known once it listens). */
  port: () => number;
  /** @default the system resolver */
  resolver?: Resolver;
  /** Addresses of this machine's interfaces. @default os.networkInterfaces() */
  interfaces?: () => string[];
  /** Longest wait for a name lookup; a name not resolved by then is not ours. @default 2000 */
  lookupTimeoutMs?: number;
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

export class OwnAddress {
  readonly #o: Required<OwnAddressOptions>;

  constructor(options: OwnAddressOptions) {
    this.#o = {
      host: options.host,
      port: options.port,
      resolver: options.resolver ?? systemResolver,
      interfaces: options.interfaces ?? interfaceAddresses,
      lookupTimeoutMs: options.lookupTimeoutMs ?? 2000,
    };
  }

  /** Whether `origin` (a normalised http(s) origin) reaches this dispatcher. */
  async is(origin: string): Promise<boolean> {
    const url = new URL(origin);
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    if (port !== this.#o.port()) return false;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const [targets, configured] = await Promise.all([this.#addressesOf(host), this.#addressesOf(this.#o.host)]);
    const local = this.#localAddresses(configured);
    return targets.some((ip) => local.check(plainAddress(ip), isIP(plainAddress(ip)) === 4 ? 'ipv4' : 'ipv6'));
  }

  #localAddresses(configured: readonly string[]): BlockList {
    const list = new BlockList();
    list.addSubnet('127.0.0.0', 8, 'ipv4');
    list.addAddress('::1', 'ipv6');
    list.addAddress('0.0.0.0', 'ipv4');
    list.addAddress('::', 'ipv6');
    for (const a of [...this.#o.interfaces(), ...configured]) {
      const plain = plainAddress(a.replace(/%.*$/, ''));
      const version = isIP(plain);
      if (version !== 0) list.addAddress(plain, version === 4 ? 'ipv4' : 'ipv6');
    }
    return list;
  }

  /** The addresses of a host: itself when it is one, else what it resolves to ([] on failure or timeout). */
  async #addressesOf(host: string): Promise<string[]> {
    if (host === '' || isIP(host) !== 0) return host === '' ? [] : [host];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string[]>((resolve) => {
      timer = setTimeout(() => resolve([]), this.#o.lookupTimeoutMs);
    });
    try {
      return await Promise.race([this.#o.resolver(host).catch(() => []), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
