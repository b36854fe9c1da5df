/**
 * The registry of upstreams. Discovery adds and removes; the forwarder lists; the health
 * checker listens. IDs are stable: an address keeps its ID for the life of the process,
 * even across remove/re-add (a restarted or re-registered worker stays `w3`).
 */
import { EventEmitter } from 'node:events';
import { Upstream, type PoolOptions } from './upstream.js';

export type UpstreamSetEvent = 'added' | 'removed' | 'up' | 'down';

export interface UpstreamSetOptions {
  /** Connection-pool settings of every upstream. */
  pool?: PoolOptions;
  /** How long a draining upstream may keep in-flight requests before removal. @default 30000 */
  drainTimeoutMs?: number;
}

export const UPSTREAM_SET_DEFAULTS = Object.freeze({ drainTimeoutMs: 30_000 });

/**
 * Normalises an upstream address to its origin (`http://host:port`), or throws a
 * TypeError saying what is wrong. Only plain `http:` origins are accepted.
 */
export function parseUpstreamAddress(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new TypeError(`address must be an http URL like http://host:port, got ${JSON.stringify(input)}`);
  }
  if (url.protocol !== 'http:') throw new TypeError(`address must use http:, got ${url.protocol}`);
  if (url.hostname === '') throw new TypeError('address needs a host');
  if (url.username !== '' || url.password !== '') throw new TypeError('address must not carry credentials');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new TypeError('address must be an origin (no path, query or fragment)');
  }
  if (url.port === '0') throw new TypeError('address port must be in [1, 65535]');
  return url.origin;
}

export class UpstreamSet {
  readonly #byAddress = new Map<string, Upstream>();
  /** address → ID, kept after removal so a returning address gets its old ID. */
  readonly #ids = new Map<string, string>();
  readonly #emitter = new EventEmitter();
  readonly #drainTimers = new Map<Upstream, NodeJS.Timeout>();
  readonly #options: UpstreamSetOptions;
  readonly #drainTimeoutMs: number;
  #list: readonly Upstream[] = [];
  #nextId = 1;

  constructor(options: UpstreamSetOptions = {}) {
    this.#options = options;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? UPSTREAM_SET_DEFAULTS.drainTimeoutMs;
  }

  /**
   * Adds an upstream, or returns the existing one (and cancels its draining).
   * New upstreams start inactive until a health check passes (or `markUp()`).
   */
  add(address: string, options: { id?: string; socketPath?: string } = {}): Upstream {
    const origin = parseUpstreamAddress(address);
    const existing = this.#byAddress.get(origin);
    if (existing) {
      this.#undrain(existing);
      return existing;
    }
    const id = options.id ?? this.#ids.get(origin) ?? this.#freshId();
    this.#ids.set(origin, id);
    const upstream = new Upstream(id, origin, {
      pool: this.#options.pool,
      notify: (event, u) => this.#emitter.emit(event, u),
      socketPath: options.socketPath,
    });
    this.#byAddress.set(origin, upstream);
    this.#list = [...this.#byAddress.values()];
    this.#emitter.emit('added', upstream);
    return upstream;
  }

  get(address: string): Upstream | undefined {
    try {
      return this.#byAddress.get(parseUpstreamAddress(address));
    } catch {
      return undefined;
    }
  }

  getById(id: string): Upstream | undefined {
    return this.#list.find((u) => u.id === id);
  }

  /** Every upstream, active or not, in insertion order (a cached snapshot: do not mutate). */
  list(): readonly Upstream[] {
    return this.#list;
  }

  /** Upstreams that may take a new request now. */
  available(): Upstream[] {
    return this.#list.filter((u) => u.available);
  }

  get size(): number {
    return this.#list.length;
  }

  /**
   * Removes at once; in-flight requests finish on the closing pool unless `force`.
   * Returns false when the address is unknown.
   */
  remove(address: string, force = false): boolean {
    const upstream = this.get(address);
    if (!upstream) return false;
    this.#clearDrainTimer(upstream);
    this.#byAddress.delete(upstream.address);
    this.#list = [...this.#byAddress.values()];
    void upstream.close(force);
    this.#emitter.emit('removed', upstream);
    return true;
  }

  /**
   * Stops sending new requests to the upstream and removes it once its in-flight load is
   * 0, or after `timeoutMs` (then its connections are destroyed). Returns false when unknown.
   */
  drain(address: string, timeoutMs = this.#drainTimeoutMs): boolean {
    const upstream = this.get(address);
    if (!upstream) return false;
    if (upstream.draining) return true;
    upstream.draining = true;
    const timer = setTimeout(() => {
      if (this.#byAddress.get(upstream.address) === upstream && upstream.draining) this.remove(upstream.address, true);
    }, timeoutMs);
    timer.unref();
    this.#drainTimers.set(upstream, timer);
    void upstream.idle().then(() => {
      if (this.#byAddress.get(upstream.address) === upstream && upstream.draining) this.remove(upstream.address);
    });
    return true;
  }

  on(event: UpstreamSetEvent, listener: (upstream: Upstream) => void): this {
    this.#emitter.on(event, listener);
    return this;
  }

  off(event: UpstreamSetEvent, listener: (upstream: Upstream) => void): this {
    this.#emitter.off(event, listener);
    return this;
  }

  /** Closes every pool, for shutdown: these upstreams open no new connections afterwards. */
  async close(): Promise<void> {
    for (const timer of this.#drainTimers.values()) clearTimeout(timer);
    this.#drainTimers.clear();
    await Promise.all(this.#list.map((u) => u.close()));
  }

  #undrain(upstream: Upstream): void {
    if (!upstream.draining) return;
    upstream.draining = false;
    this.#clearDrainTimer(upstream);
  }

  #clearDrainTimer(upstream: Upstream): void {
    const timer = this.#drainTimers.get(upstream);
    if (timer) clearTimeout(timer);
    this.#drainTimers.delete(upstream);
  }

  #freshId(): string {
    const taken = new Set(this.#ids.values());
    // Bounded: at most taken.size IDs can collide.
    for (let i = 0; i <= taken.size; i++) {
      const id = `w${this.#nextId++}`;
      if (!taken.has(id)) return id;
    }
    throw new Error('unreachable: no free upstream id');
  }
}
