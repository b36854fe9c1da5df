/**
 * The registry of upstreams. Discovery adds and removes; the forwarder lists; the health
 * checker listens. IDs are stable: an address keeps its ID for the life of the process,
 * even across remove/re-add (a restarted or re-registered worker stays `w3`).
 */
import { EventEmitter } from 'node:events';
import { SOCKET_ORIGIN, SOCKET_PREFIX, isSocketAddress, parseFixedUpstream, parseUpstreamAddress } from '../../config/addresses.js';
import type { PoolOptions } from '../../client/pool.js';
import { Upstream, type UpstreamSource } from './upstream.js';

export type UpstreamSetEvent = 'added' | 'removed' | 'up' | 'down';

export interface UpstreamSetOptions {
  /** Connection-pool settings of every upstream. */
  pool?: PoolOptions;
  /** How long a draining upstream may keep in-flight requests before removal. @default 30000 */
  drainTimeoutMs?: number;
}

export const UPSTREAM_SET_DEFAULTS = Object.freeze({ drainTimeoutMs: 30_000 });

export class UpstreamSet {
  readonly #byAddress = new Map<string, Upstream>();
  /** address → ID, kept after removal so a returning address gets its old ID. */
  readonly #ids = new Map<string, string>();
  /** IDs ever held by an upstream that was not registered: a registration never gets one. */
  readonly #operatorIds = new Set<string>();
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
   * `source` says how it joined (default `fixed`); an operator's source (anything but
   * `registered`) adding a registered upstream takes it over, so a deregistration can no
   * longer remove it. Registration checks before it adds (registration.ts).
   */
  add(address: string, options: { id?: string; socketPath?: string; source?: UpstreamSource } = {}): Upstream {
    return this.#addOrGet(parseUpstreamAddress(address), options.id, options.source ?? 'fixed', { socketPath: options.socketPath });
  }

  #addOrGet(address: string, id: string | undefined, source: UpstreamSource, where: { socketPath?: string; origin?: string }): Upstream {
    const existing = this.#byAddress.get(address);
    if (existing) {
      if (existing.source === 'registered' && source !== 'registered') {
        existing.source = source;
        this.#operatorIds.add(existing.id);
      }
      this.#undrain(existing);
      return existing;
    }
    const chosen = id ?? this.#ids.get(address) ?? this.#freshId();
    this.#ids.set(address, chosen);
    if (source !== 'registered') this.#operatorIds.add(chosen);
    const upstream = new Upstream(chosen, address, {
      pool: this.#options.pool,
      notify: (event, u) => this.#emitter.emit(event, u),
      source,
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
    return this.#addOrGet(address, options.id, 'fixed', { socketPath: path, origin: SOCKET_ORIGIN });
  }

  /** Whether `id` is or was held by an upstream that did not come from a registration. */
  isOperatorId(id: string): boolean {
    return this.#operatorIds.has(id);
  }

  /** Upstreams that joined by `source` (draining ones included: they still hold their place). */
  countBySource(source: UpstreamSource): number {
    let n = 0;
    for (const u of this.#list) if (u.source === source) n++;
    return n;
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
