/**
 * The registry of upstreams. Discovery adds and removes; the forwarder lists; the health
 * checker listens. IDs are stable: an address keeps its ID for the life of the process,
 * even across remove/re-add (a restarted or re-registered worker stays `w3`).
 */
import { EventEmitter } from 'node:events';
import { SOCKET_PATH_PATTERN } from '../../server/server.js';
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

/** Where an upstream known only by its socket sends requests to: its Host field. */
const SOCKET_ORIGIN = 'http://localhost';
const SOCKET_PREFIX = 'unix:';

/** Whether `input` names an upstream by its Unix-domain socket (`unix:/path`). */
export function isSocketAddress(input: string): boolean {
  return input.startsWith(SOCKET_PREFIX);
}

/** The socket path of a `unix:/path` address; undefined for an http one. */
export function socketPathOf(address: string): string | undefined {
  return isSocketAddress(address) ? address.slice(SOCKET_PREFIX.length) : undefined;
}

/**
 * Normalises a fixed upstream of `--upstreams`: an http origin (parseUpstreamAddress), or
 * `unix:/absolute/path` for a worker on a Unix-domain socket (as nginx's `server unix:…`).
 * Throws a TypeError saying what is wrong.
 */
export function parseFixedUpstream(input: string): string {
  if (!isSocketAddress(input)) return parseUpstreamAddress(input);
  const path = input.slice(SOCKET_PREFIX.length);
  if (!SOCKET_PATH_PATTERN.test(path)) {
    throw new TypeError(`a socket upstream must be unix: and an absolute path of at most 100 bytes (printable ASCII), got ${JSON.stringify(input)}`);
  }
  return input;
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
    return this.#addOrGet(parseUpstreamAddress(address), options.id, { socketPath: options.socketPath });
  }

  #addOrGet(address: string, id: string | undefined, where: { socketPath?: string; origin?: string }): Upstream {
    const existing = this.#byAddress.get(address);
    if (existing) {
      this.#undrain(existing);
      return existing;
    }
    const chosen = id ?? this.#ids.get(address) ?? this.#freshId();
    this.#ids.set(address, chosen);
    const upstream = new Upstream(chosen, address, {
      pool: this.#options.pool,
      notify: (event, u) => this.#emitter.emit(event, u),
      ...where,
    });
    this.#byAddress.set(address, upstream);
    this.#list = [...this.#byAddress.values()];
    this.#emitter.emit('added', upstream);
    return upstream;
  }

  /**
   * Adds an upstream reached through the Unix-domain socket `path` (address `unix:<path>`,
   * Host `localhost`), or returns the existing one. Only for the operator's own list: a
   * remote registration can never name a local socket.
   */
  addSocket(path: string, options: { id?: string } = {}): Upstream {
    const address = parseFixedUpstream(`${SOCKET_PREFIX}${path}`);
    return this.#addOrGet(address, options.id, { socketPath: path, origin: SOCKET_ORIGIN });
  }

  get(address: string): Upstream | undefined {
    if (isSocketAddress(address)) return this.#byAddress.get(address);
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
