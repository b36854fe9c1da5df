/**
 * One worker as the dispatcher sees it: health and load *state*, nothing else.
 * Selection policies only read it; the health checker and the forwarder update it
 * (STYLE habit 4, after Caddy's `Upstream`/`Host`).
 */
import type { PoolOptions } from '../../client/pool.js';
import { UpstreamTransport } from './transport.js';

/** Weight of the newest sample in the latency EWMA. */
const LATENCY_ALPHA = 0.2;

export type UpstreamEvent = 'up' | 'down';

/**
 * How an upstream joined: `--upstreams` (fixed), `--discover` (discovered), a child of
 * `dhttp start` (embedded), or `POST /workers/register` (registered). Only registered
 * upstreams may be changed or removed by a registration.
 */
export type UpstreamSource = 'fixed' | 'discovered' | 'embedded' | 'registered';

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
  /** How it joined (UpstreamSource). */
  Source: UpstreamSource;
  /** Times this worker ID came back as a new process (see `restarts`). */
  Restarts: number;
  /** Seconds this worker ID has been unavailable in all (see `downSeconds`). */
  DownSeconds: number;
  /** CPU the worker reported on /ping: cores busy (1 = one core), or null before the first report. */
  CPU: number | null;
  /** Resident memory the worker reported on /ping, bytes, or null before the first report. */
  MemoryBytes: number | null;
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
  /** How it joined; the set may promote a registered one to an operator's source (UpstreamSet.add). */
  source: UpstreamSource;
  /**
   * Times this worker ID came back as a new process: a restart seen by the supervisor of
   * `dhttp start`, a new address for a known ID, or a new start time on /ping. Carried over
   * to the next Upstream of the same ID (continueFrom), like completed and failed.
   */
  restarts = 0;
  /** The process start time (unix ms) the worker reported on /ping; a change is a restart. */
  reportedStart: number | null = null;
  /** Cores busy and resident bytes the worker reported on /ping. */
  reportedCpu: number | null = null;
  reportedRss: number | null = null;
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

  /** How requests reach it (pools); the rest of this class is state. */
  readonly transport: UpstreamTransport;
  readonly #notify: (event: UpstreamEvent, upstream: Upstream) => void;
  #idleWaiters: Array<() => void> = [];
  /** Unavailable time of closed periods (ms), and the start (Date.now()) of the open one. */
  #downMs = 0;
  #downSince: number | null = null;

  constructor(
    id: string,
    address: string,
    options: {
      pool?: PoolOptions;
      notify?: (event: UpstreamEvent, upstream: Upstream) => void;
      socketPath?: string;
      origin?: string;
      source?: UpstreamSource;
    } = {},
  ) {
    this.id = id;
    this.source = options.source ?? 'fixed';
    this.address = address;
    this.socketPath = options.socketPath;
    this.origin = options.origin ?? address;
    this.transport = new UpstreamTransport(this.origin, { ...options.pool, socketPath: options.socketPath });
    this.#notify = options.notify ?? (() => {});
  }

  /** Eligible for new requests (Caddy's `Available()`). */
  get available(): boolean {
    return this.active && !this.draining;
  }

  markUp(): void {
    if (this.#downSince !== null) {
      this.#downMs += Math.max(0, Date.now() - this.#downSince);
      this.#downSince = null;
    }
    if (this.active) return;
    this.active = true;
    this.lastError = null;
    this.#notify('up', this);
  }

  markDown(reason: string): void {
    this.lastError = reason;
    this.consecutivePasses = 0;
    this.#downSince ??= Date.now();
    if (!this.active) return;
    this.active = false;
    this.#notify('down', this);
  }

  /**
   * Seconds this worker ID has been unavailable: from a markDown (or its removal while
   * serving, see `gone`) to the next markUp, summed over its lives. Before its first
   * health verdict a new worker is neither up nor down: that time does not count.
   */
  downSeconds(now = Date.now()): number {
    const open = this.#downSince === null ? 0 : Math.max(0, now - this.#downSince);
    return (this.#downMs + open) / 1000;
  }

  /** The upstream left the set at `now`: if it was serving, it is unavailable from then on. */
  gone(reason: string, now = Date.now()): void {
    this.#downSince ??= now;
    this.active = false;
    this.lastError = reason;
  }

  /**
   * This upstream is the next life of `previous` (same ID, a new Upstream): its counters,
   * restarts and down time go on from there, and an open down period stays open until
   * this one is marked up.
   */
  continueFrom(previous: Upstream): void {
    this.completed += previous.completed;
    this.failed += previous.failed;
    this.restarts += previous.restarts;
    this.#downMs += previous.#downMs;
    this.#downSince = previous.#downSince ?? this.#downSince;
    this.reportedStart ??= previous.reportedStart;
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

  /**
   * Fails every exchange in flight on this worker's connections and drops them; the next
   * use opens new ones. For a worker that stopped answering (a dead host, a cut link): its
   * requests would otherwise wait out the whole upstream timeout before being retried (as
   * HAProxy's `on-marked-down shutdown-sessions`).
   */
  cutConnections(): void {
    this.transport.cut(`worker ${this.id} stopped answering its health checks: its connections are cut`);
  }

  /** Closes the connections: gracefully (in-flight requests finish) or at once. */
  close(force = false): Promise<void> {
    return this.transport.close(force);
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
      Source: this.source,
      Restarts: this.restarts,
      DownSeconds: Math.round(this.downSeconds() * 10) / 10,
      CPU: this.reportedCpu,
      MemoryBytes: this.reportedRss,
    };
  }
}
