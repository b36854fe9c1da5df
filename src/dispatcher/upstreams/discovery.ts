/**
 * Discovery: where upstreams come from. Every source implements one interface; it only
 * adds to and drains from the UpstreamSet (registration, an HTTP concern, is in
 * registration.ts).
 */
import { promises as dns } from 'node:dns';
import type { UpstreamSet } from './upstream-set.js';
import { parseFixedUpstream, parseUpstreamAddress, socketPathOf } from '../../config/addresses.js';
import { describeError } from '../proxy/retry.js';
import { NOOP_LOGGER, type EventLogger } from '../logger.js';

export interface Discovery {
  start(set: UpstreamSet): void;
  stop(): void;
}

/** A fixed list (`--upstreams`: http origins or `unix:/path` sockets): added once, never removed. */
export class StaticDiscovery implements Discovery {
  readonly #addresses: readonly string[];

  /** Throws a TypeError naming the first bad address. */
  constructor(addresses: readonly string[]) {
    this.#addresses = addresses.map((a) => parseFixedUpstream(a));
  }

  start(set: UpstreamSet): void {
    for (const address of this.#addresses) {
      const path = socketPathOf(address);
      if (path === undefined) set.add(address, { source: 'fixed' });
      else set.addSocket(path);
    }
  }

  stop(): void {}
}

/** IP addresses (A and AAAA) of a host name. */
export type Resolver = (host: string) => Promise<string[]>;

/** Uses the system resolver (getaddrinfo), so /etc/hosts names work as well as DNS. */
export const systemResolver: Resolver = async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((r) => r.address);

export interface DnsDiscoveryOptions {
  /** @default systemResolver */
  resolver?: Resolver;
  /** Max time a vanished upstream keeps its in-flight requests. @default the set's drainTimeoutMs */
  drainTimeoutMs?: number;
  logger?: EventLogger;
}

/**
 * Tracks every address of a name (`--discover worker:8081`; Compose `--scale`, a headless
 * Kubernetes Service): re-resolved every interval, new records added, vanished ones drained
 * (no new requests) and removed once idle. A failed lookup keeps the previous answer, so a
 * DNS hiccup does not empty the pool.
 */
export class DnsDiscovery implements Discovery {
  readonly #host: string;
  readonly #port: number;
  readonly #intervalMs: number;
  readonly #resolve: Resolver;
  readonly #drainTimeoutMs: number | undefined;
  readonly #log: EventLogger;
  /** Origins this discovery added (others' upstreams are never drained by it). */
  readonly #mine = new Set<string>();
  #set: UpstreamSet | undefined;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(host: string, port: number, intervalMs: number, options: DnsDiscoveryOptions | Resolver = {}) {
    const opts = typeof options === 'function' ? { resolver: options } : options;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`port must be in [1, 65535], got ${port}`);
    this.#host = host;
    this.#port = port;
    this.#intervalMs = intervalMs;
    this.#resolve = opts.resolver ?? systemResolver;
    this.#drainTimeoutMs = opts.drainTimeoutMs;
    this.#log = opts.logger ?? NOOP_LOGGER;
  }

  start(set: UpstreamSet): void {
    if (this.#timer) return;
    this.#set = set;
    this.#timer = setInterval(() => void this.refresh(), this.#intervalMs);
    this.#timer.unref();
    void this.refresh();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Resolves once now and applies the answer (one refresh at a time). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    const set = this.#set;
    if (!set) return;
    let ips: string[];
    try {
      ips = await this.#resolve(this.#host);
    } catch (err) {
      this.#log.warn({ event: 'discovery_failed', host: this.#host, error: describeError(err) }, 'DNS lookup failed; keeping workers');
      return;
    }
    const current = new Set(ips.map((ip) => parseUpstreamAddress(`http://${ip.includes(':') ? `[${ip}]` : ip}:${this.#port}`)));
    for (const origin of current) {
      if (!this.#mine.has(origin) || set.get(origin) === undefined) {
        this.#log.info({ event: 'discovered', host: this.#host, address: origin }, 'worker discovered');
      }
      this.#mine.add(origin);
      set.add(origin, { source: 'discovered' }); // also cancels draining when a record came back
    }
    for (const origin of [...this.#mine]) {
      if (current.has(origin)) continue;
      this.#mine.delete(origin);
      // A fixed or embedded worker at the same address is not DNS's to remove.
      if (set.get(origin)?.source !== 'discovered') continue;
      this.#log.info({ event: 'vanished', host: this.#host, address: origin }, 'worker vanished from DNS; draining');
      set.drain(origin, this.#drainTimeoutMs);
    }
  }
}
