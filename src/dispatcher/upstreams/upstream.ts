/**
 * One worker as the dispatcher sees it: health and load *state*, nothing else.
 * Selection policies only read it; the health checker and the forwarder update it
 * (STYLE habit 4, after Caddy's `Upstream`/`Host`).
 */
import { Client, Pool } from 'undici';
import { RawPool } from '../../client/pool.js';

/** Which HTTP client forwards to workers: dhttp's own (`raw`) or undici. */
export type UpstreamClient = 'raw' | 'undici';

/** Connection-pool settings for every upstream (undici `Pool` options). */
export interface PoolOptions {
  /** Max connections per worker. @default 128 */
  connections?: number;
  /** Requests in flight per connection; 1 = plain keep-alive. @default 1 */
  pipelining?: number;
  /**
   * The raw client's pass-through path: quick GET/HEAD requests written together on one
   * connection (RawPoolOptions.pipelining); 1 = never. @default 1
   */
  relayPipelining?: number;
  /** Idle keep-alive time; below the worker's own keep-alive timeout (5 s). @default 4000 */
  keepAliveTimeoutMs?: number;
  /** TCP connect timeout. @default 2000 */
  connectTimeoutMs?: number;
  /** The client implementation (see bench/dispatcher.sh for why the default). @default 'raw' */
  client?: UpstreamClient;
}

export const POOL_DEFAULTS = Object.freeze({
  connections: 128,
  pipelining: 1,
  relayPipelining: 1,
  keepAliveTimeoutMs: 4000,
  connectTimeoutMs: 2000,
  client: 'raw',
} satisfies Required<PoolOptions>);

/** Weight of the newest sample in the latency EWMA. */
const LATENCY_ALPHA = 0.2;

export type UpstreamEvent = 'up' | 'down';

/** The SPEC §5 `/workers` entry (the seed paper's fields first). */
export interface UpstreamJSON {
  ID: string;
  Address: string;
  Active: boolean;
  LastCheck: string | null;
  Load: number;
  Completed: number;
  Failed: number;
  ConsecutiveFailures: number;
  ConsecutivePasses: number;
  LatencyMs: number;
  ReportedLoad: number | null;
  Draining: boolean;
  LastError: string | null;
  /** The Unix socket connections go to, or null for TCP to Address. */
  Socket: string | null;
}

export class Upstream {
  readonly id: string;
  /** Normalised origin, e.g. `http://127.0.0.1:8081` (no trailing slash). */
  readonly address: string;
  /** Healthy: the last health verdict (starts false until the first check passes). */
  active = false;
  lastCheck: Date | null = null;
  /** Requests forwarded to it and not finished yet. */
  load = 0;
  completed = 0;
  failed = 0;
  /** Health-check streaks (the forwarder's failures are counted in `failed`). */
  consecutiveFailures = 0;
  consecutivePasses = 0;
  /** EWMA of time to response headers, ms; 0 before the first sample. */
  latency = 0;
  /** Passed health probes' duration (ms; 0 before the first; see probed): what a trivial request waits here now. */
  probeMs = 0;
  /** The in-flight count the worker itself reported on /ping. */
  reportedLoad: number | null = null;
  lastError: string | null = null;
  /** Draining: takes no new requests, removed once idle. */
  draining = false;
  /**
   * A Unix-domain socket the worker listens on (a local worker of `dhttp start`, or a fixed
   * `--upstreams unix:/path`): every connection goes there instead of to `origin`.
   */
  readonly socketPath: string | undefined;
  /**
   * The `http://host:port` the pools are for: it gives requests their Host field. The
   * `address` by default; `http://localhost` for an upstream known only by its socket.
   */
  readonly origin: string;

  readonly #poolOptions: Required<PoolOptions>;
  readonly #notify: (event: UpstreamEvent, upstream: Upstream) => void;
  #pool: Pool | undefined;
  #probeClient: Client | undefined;
  #rawPool: RawPool | undefined;
  #rawProbe: RawPool | undefined;
  #idleWaiters: Array<() => void> = [];
  #closed = false;

  constructor(
    id: string,
    address: string,
    options: { pool?: PoolOptions; notify?: (event: UpstreamEvent, upstream: Upstream) => void; socketPath?: string; origin?: string } = {},
  ) {
    this.id = id;
    this.address = address;
    this.socketPath = options.socketPath;
    this.origin = options.origin ?? address;
    this.#poolOptions = { ...POOL_DEFAULTS, ...options.pool };
    this.#notify = options.notify ?? (() => {});
  }

  /** Eligible for new requests (Caddy's `Available()`). */
  get available(): boolean {
    return this.active && !this.draining;
  }

  markUp(): void {
    if (this.active) return;
    this.active = true;
    this.lastError = null;
    this.#notify('up', this);
  }

  markDown(reason: string): void {
    this.lastError = reason;
    this.consecutivePasses = 0;
    if (!this.active) return;
    this.active = false;
    this.#notify('down', this);
  }

  /**
   * A health probe passed in `ms`. `probeMs` follows a faster probe at once and a slower one
   * as an EWMA: one slow probe (a cold start, a GC pause) says little; a run of them, load.
   */
  probed(ms: number): void {
    this.probeMs = this.probeMs === 0 || ms < this.probeMs ? ms : this.probeMs + LATENCY_ALPHA * (ms - this.probeMs);
  }

  /** A request is being sent to this upstream. */
  begin(): void {
    this.load++;
  }

  /**
   * The request finished. `ok`: the worker answered (any status); `ms`: time to response
   * headers, sampled into the latency EWMA when given.
   */
  end(ok: boolean, ms?: number): void {
    if (ok) this.completed++;
    else this.failed++;
    if (ok && ms !== undefined) {
      this.latency = this.latency === 0 ? ms : this.latency + LATENCY_ALPHA * (ms - this.latency);
    }
    this.release();
  }

  /** The request ended without a verdict on the worker (e.g. the client went away). */
  release(): void {
    if (this.load > 0) this.load--;
    if (this.load === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves when no forwarded request is in flight. */
  idle(): Promise<void> {
    if (this.load === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Keep-alive pool for forwarded traffic (created on first use). */
  get pool(): Pool {
    this.#assertOpen();
    this.#pool ??= new Pool(this.origin, {
      connections: this.#poolOptions.connections,
      pipelining: this.#poolOptions.pipelining,
      keepAliveTimeout: this.#poolOptions.keepAliveTimeoutMs,
      connect: { timeout: this.#poolOptions.connectTimeoutMs },
      socketPath: this.socketPath,
    });
    return this.#pool;
  }

  /** The selected client implementation. */
  get client(): UpstreamClient {
    return this.#poolOptions.client;
  }

  /** The raw client's keep-alive pool for forwarded traffic (created on first use). */
  get rawPool(): RawPool {
    this.#assertOpen();
    this.#rawPool ??= new RawPool(this.origin, {
      connections: this.#poolOptions.connections,
      keepAliveTimeoutMs: this.#poolOptions.keepAliveTimeoutMs,
      connectTimeoutMs: this.#poolOptions.connectTimeoutMs,
      socketPath: this.socketPath,
      pipelining: this.#poolOptions.relayPipelining,
    });
    return this.#rawPool;
  }

  /** The raw client's single health-probe connection (see `probeClient`). */
  get rawProbe(): RawPool {
    this.#assertOpen();
    this.#rawProbe ??= new RawPool(this.origin, {
      connections: 1,
      keepAliveTimeoutMs: this.#poolOptions.keepAliveTimeoutMs,
      connectTimeoutMs: this.#poolOptions.connectTimeoutMs,
      socketPath: this.socketPath,
    });
    return this.#rawProbe;
  }

  /**
   * A separate single connection for health probes, so a pool saturated by slow
   * requests does not make a busy worker look dead.
   */
  get probeClient(): Client {
    this.#assertOpen();
    this.#probeClient ??= new Client(this.origin, {
      pipelining: 1,
      keepAliveTimeout: this.#poolOptions.keepAliveTimeoutMs,
      connect: { timeout: this.#poolOptions.connectTimeoutMs },
      socketPath: this.socketPath,
    });
    return this.#probeClient;
  }

  /**
   * Fails every exchange in flight on this worker's connections and drops them; the next
   * use opens new ones. For a worker that stopped answering (a dead host, a cut link): its
   * requests would otherwise wait out the whole upstream timeout before being retried (as
   * HAProxy's `on-marked-down shutdown-sessions`).
   */
  cutConnections(): void {
    const all = [this.#pool, this.#probeClient, this.#rawPool, this.#rawProbe].filter((d) => d !== undefined);
    this.#pool = undefined;
    this.#probeClient = undefined;
    this.#rawPool = undefined;
    this.#rawProbe = undefined;
    for (const d of all) void d.destroy().catch(() => {});
  }

  /** Closes the connections: gracefully (in-flight requests finish) or at once. */
  async close(force = false): Promise<void> {
    this.#closed = true;
    const all = [this.#pool, this.#probeClient, this.#rawPool, this.#rawProbe].filter((d) => d !== undefined);
    this.#pool = undefined;
    this.#probeClient = undefined;
    this.#rawPool = undefined;
    this.#rawProbe = undefined;
    await Promise.all(all.map((d) => (force ? d.destroy() : d.close()).catch(() => {})));
  }

  /** A removed upstream opens no new connections (a re-added address is a new Upstream). */
  #assertOpen(): void {
    if (this.#closed) throw Object.assign(new Error(`worker ${this.id} was removed`), { code: 'UND_ERR_CLOSED' });
  }

  toJSON(): UpstreamJSON {
    return {
      ID: this.id,
      Address: this.address,
      Active: this.active,
      LastCheck: this.lastCheck?.toISOString() ?? null,
      Load: this.load,
      Completed: this.completed,
      Failed: this.failed,
      ConsecutiveFailures: this.consecutiveFailures,
      ConsecutivePasses: this.consecutivePasses,
      LatencyMs: Math.round(this.latency * 100) / 100,
      ReportedLoad: this.reportedLoad,
      Draining: this.draining,
      LastError: this.lastError,
      Socket: this.socketPath ?? null,
    };
  }
}
