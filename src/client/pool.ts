/**
 * The client's per-upstream pool: idle connections are reused newest first (LIFO keeps
 * the hot ones warm and lets the rest time out), at most `connections` are open, and
 * requests beyond that wait in arrival order - at most `queueTimeoutMs`, so a saturated
 * upstream answers "busy" instead of holding requests forever.
 *
 * Requests the caller marks `pipelined` (no body, known to be answered quickly) wait for
 * the end of the event-loop turn and go out together, several per connection in one
 * write (HTTP/1.1 pipelining): the largest cost of relaying small answers is per read and
 * write, on both sides, not per byte.
 */
import type { Socket } from 'node:net';
import { type ClientConnection as Conn, ClientConnection, type ConnectionOwner, type OutgoingBody } from './connection.js';
import { connectUpstream, type UpstreamTarget } from './connector.js';
import { type ClientError, clientError } from './errors.js';
import type { ExchangeControl, ExchangeOptions, ResponseHandler } from './handler.js';
import { endsPipeline } from './pipeline-rules.js';

export interface PoolOptions {
  /** Max open connections. @default 128 */
  connections?: number;
  /** Idle time after which a connection is closed; below the upstream's own keep-alive timeout. @default 4000 */
  keepAliveTimeoutMs?: number;
  /** TCP connect timeout. @default 2000 */
  connectTimeoutMs?: number;
  /** Longest wait for a free connection when all are busy; 0: no limit. @default 5000 */
  queueTimeoutMs?: number;
  /** Most pipelined requests written together on one connection; 1: never pipeline. @default 16 */
  pipelining?: number;
  /** Connect to this Unix-domain socket instead of the origin's host:port. */
  socketPath?: string;
  /** For an `https:` origin: the CAs to trust (PEM) instead of Node's bundled ones. @default Node's */
  ca?: Buffer;
}

export const POOL_DEFAULTS = Object.freeze({
  connections: 128,
  keepAliveTimeoutMs: 4000,
  connectTimeoutMs: 2000,
  queueTimeoutMs: 5000,
  pipelining: 16,
} satisfies Required<Omit<PoolOptions, 'socketPath' | 'ca'>>);

/** One request for the pool: its serialized head, its body, how its answer is handled. */
export interface PoolRequest {
  readonly head: string;
  readonly body?: OutgoingBody;
  readonly handler: ResponseHandler;
  readonly opts: ExchangeOptions;
  /** No body and known to be answered quickly: may share a write and a connection with others. */
  readonly pipelined?: boolean;
}

/** The read buffer of every pooled connection: each read is consumed before the next. */
const READ_BUFFER = Buffer.alloc(64 * 1024);

/**
 * A request and its control: until it is written the control only marks it given up; once
 * written it acts on the connection's (one object, no closures per request).
 */
class Pending implements ExchangeControl {
  readonly req: PoolRequest;
  inner: ExchangeControl | undefined = undefined;
  aborted = false;

  constructor(req: PoolRequest) {
    this.req = req;
  }

  resume(): void {
    this.inner?.resume();
  }

  abort(): void {
    this.aborted = true;
    this.inner?.abort();
  }
}

interface Waiter {
  give(conn: Conn): void;
  fail(err: unknown): void;
  readonly since: number;
}

export class Pool implements ConnectionOwner {
  /** Where and how sockets connect. */
  readonly #target: UpstreamTarget;
  /** The origin's host[:port]: the Host field of requests. */
  readonly authority: string;
  readonly #opts: Required<Omit<PoolOptions, 'socketPath' | 'ca'>>;
  readonly #idle: Conn[] = [];
  readonly #all = new Set<Conn>();
  readonly #waiters: Waiter[] = [];
  /** Open plus connecting. */
  #count = 0;
  #closed = false;
  #onEmpty: (() => void) | undefined;
  /** Pipelined requests of this turn, written at its end. */
  #turn: Pending[] = [];
  #turnScheduled = false;
  /** The sweep: idle expiry, exchange timeouts, queue timeouts (one coarse timer per pool). */
  #sweeper: NodeJS.Timeout | undefined;
  #sweepPeriod = 0;
  #sweeps = 0;
  readonly #every: number;
  readonly #idleLimit: number;

  constructor(origin: string, options: PoolOptions = {}) {
    const url = new URL(origin);
    this.authority = url.host;
    const { socketPath, ca, ...rest } = options;
    this.#opts = { ...POOL_DEFAULTS, ...stripUndefined(rest) };
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.#target = {
      host,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      authority: url.host,
      socketPath,
      tls: url.protocol === 'https:' ? { servername: host, ca } : undefined,
      connectTimeoutMs: this.#opts.connectTimeoutMs,
    };
    this.#every = Math.max(25, Math.min(1000, this.#opts.keepAliveTimeoutMs / 4));
    this.#idleLimit = Math.max(1, Math.floor(this.#opts.keepAliveTimeoutMs / this.#every) - 1);
  }

  /** Connections open or being opened. */
  get size(): number {
    return this.#count;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** Requests waiting for a connection. */
  get queued(): number {
    return this.#waiters.length;
  }

  /**
   * Sends `req` on a pooled connection and answers it through its handler. Failures,
   * connecting and queueing included, reach `handler.onError`, never synchronously.
   */
  dispatch(req: PoolRequest): ExchangeControl {
    if (this.#closed) {
      queueMicrotask(() => req.handler.onError(clientError('CLOSED', 'the pool is closed'), false));
      return NO_CONTROL;
    }
    this.#ensureSweeper(Math.min(positive(req.opts.headersTimeoutMs), positive(req.opts.bodyTimeoutMs)));
    const pending = new Pending(req);
    if (req.pipelined === true && req.body === undefined && this.#opts.pipelining > 1) {
      this.#turn.push(pending);
      if (!this.#turnScheduled) {
        this.#turnScheduled = true;
        // The check phase runs after every I/O callback of this turn: all its requests are in.
        setImmediate(() => this.#flushTurn());
      }
    } else {
      this.#send([pending]);
    }
    return pending;
  }

  /** Writes this turn's pipelined requests: in groups of up to `pipelining`, a connection each. */
  #flushTurn(): void {
    this.#turnScheduled = false;
    const live = this.#turn.filter((p) => !p.aborted);
    this.#turn = [];
    if (this.#closed) {
      for (const p of live) p.req.handler.onError(clientError('CLOSED', 'the pool is closed'), false);
      return;
    }
    const depth = this.#opts.pipelining;
    // A HEAD (or a conditional GET) may be answered without a body, which ends a pipeline:
    // such requests go last in their group, so nothing waits behind them.
    for (let i = 0; i < live.length; ) {
      const group: Pending[] = [];
      while (i < live.length && group.length < depth) {
        const p = live[i++];
        group.push(p);
        // (The group's last request is never asked: nothing waits behind it anyway.)
        if (i < live.length && group.length < depth && (p.req.opts.method === 'HEAD' || endsPipeline(p.req.head))) break;
      }
      this.#send(group);
    }
  }

  /** Writes `group` on an idle connection, or on one opened (or freed) for it. */
  #send(group: Pending[]): void {
    const conn = this.#takeIdle();
    if (conn !== undefined) {
      this.#write(conn, group);
      return;
    }
    this.#acquire().then(
      (c) => {
        const left = group.filter((p) => !p.aborted);
        if (left.length === 0) this.release(c);
        else this.#write(c, left);
      },
      (err: unknown) => {
        for (const p of group) if (!p.aborted) p.req.handler.onError(err, false);
      },
    );
  }

  #write(conn: Conn, group: readonly Pending[]): void {
    if (group.length === 1) {
      const { req } = group[0];
      group[0].inner = conn.send(req.head, req.body, req.handler, req.opts);
      return;
    }
    let heads = '';
    for (const p of group) heads += p.req.head;
    const controls = conn.sendBatch(
      heads,
      group.map((p) => ({ handler: p.req.handler, opts: p.req.opts })),
    );
    for (let i = 0; i < group.length; i++) group[i].inner = controls[i];
  }

  /** The newest idle connection, if any (a destroyed one may still be listed until its 'close'). */
  #takeIdle(): Conn | undefined {
    let conn = this.#idle.pop();
    while (conn?.destroyed) conn = this.#idle.pop();
    return conn;
  }

  release(conn: Conn): void {
    if (conn.destroyed) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.give(conn);
      return;
    }
    // An upstream's keep-alive hint below one sweep period cannot be honoured idle: close it.
    if (this.#closed || (conn.maxIdleMs !== undefined && conn.maxIdleMs < this.#every)) {
      conn.destroy();
      return;
    }
    conn.idleSince = this.#sweeps;
    this.#idle.push(conn);
  }

  closed(conn: Conn): void {
    if (!this.#all.delete(conn)) return;
    this.#count--;
    const i = this.#idle.lastIndexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
    this.#connectForWaiter();
    if (this.#count === 0) this.#onEmpty?.();
  }

  /** Stops taking requests; idle connections close now, busy ones when their exchange ends. */
  close(): Promise<void> {
    return this.#shutdown(false);
  }

  /**
   * Closes every connection now, failing what is in flight and what waits for a connection
   * with `reason` (CLOSED when not given).
   */
  destroy(reason?: ClientError): Promise<void> {
    return this.#shutdown(true, reason);
  }

  /**
   * One timer per pool, every quarter of the keep-alive timeout (25 ms – 1 s): closes
   * connections idle for long enough (never past the upstream's own keep-alive timeout),
   * fails exchanges without progress for their timeout, and requests that waited for a
   * connection longer than the queue timeout. It stops when the pool is empty.
   */
  #ensureSweeper(shortestTimeoutMs: number): void {
    // Fine enough that a timeout fires within a quarter of itself late.
    const period = Math.max(25, Math.min(this.#every, positive(this.#opts.queueTimeoutMs) / 4, shortestTimeoutMs / 4));
    if (this.#sweeper !== undefined) {
      if (period >= this.#sweepPeriod) return;
      clearInterval(this.#sweeper);
    }
    this.#sweepPeriod = period;
    const every = this.#every;
    const limitOf = (conn: Conn): number =>
      conn.maxIdleMs === undefined ? this.#idleLimit : Math.min(this.#idleLimit, Math.floor(conn.maxIdleMs / every) - 1);
    let elapsed = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      // Idle expiry counts in keep-alive periods (`every`), whatever this timer's period.
      elapsed += period;
      if (elapsed >= every) {
        elapsed = 0;
        const sweep = ++this.#sweeps;
        for (const conn of this.#idle.slice()) if (sweep - conn.idleSince > limitOf(conn)) conn.destroy();
      }
      for (const conn of this.#all) if (conn.busy) conn.checkTimeout(now);
      this.#expireWaiters(now);
      if (this.#count === 0 && this.#waiters.length === 0 && this.#turn.length === 0) {
        clearInterval(timer);
        this.#sweeper = undefined;
      }
    }, period);
    timer.unref();
    this.#sweeper = timer;
  }

  #expireWaiters(now: number): void {
    const limit = this.#opts.queueTimeoutMs;
    if (limit <= 0) return;
    while (this.#waiters.length > 0 && now - this.#waiters[0].since > limit) {
      const w = this.#waiters.shift() as Waiter;
      w.fail(clientError('QUEUE_TIMEOUT', `every connection to ${this.authority} stayed busy for ${limit} ms`));
    }
  }

  #shutdown(force: boolean, reason?: ClientError): Promise<void> {
    this.#closed = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const err = reason ?? clientError('CLOSED', 'the pool is closed');
    for (const w of this.#waiters.splice(0)) w.fail(err);
    for (const c of this.#idle.splice(0)) c.destroy();
    if (force) for (const c of this.#all) c.destroy(reason);
    if (this.#count === 0) return Promise.resolve();
    // A destroy() after a close() settles both.
    const before = this.#onEmpty;
    return new Promise((resolve) => {
      this.#onEmpty = () => {
        before?.();
        resolve();
      };
    });
  }

  #acquire(): Promise<Conn> {
    return new Promise<Conn>((resolve, reject) => {
      const waiter: Waiter = { give: resolve, fail: reject, since: performance.now() };
      if (this.#count < this.#opts.connections) this.#open(waiter);
      else this.#waiters.push(waiter);
    });
  }

  /** A connection closed: a waiter may now open one. */
  #connectForWaiter(): void {
    if (this.#closed || this.#count >= this.#opts.connections) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) this.#open(waiter);
  }

  #open(waiter: Waiter): void {
    this.#count++;
    // Reads land in one buffer shared by every connection (see ClientConnection.onRead).
    let conn: Conn | undefined;
    const onread = {
      buffer: READ_BUFFER,
      callback: (n: number, buf: Uint8Array): boolean => {
        conn?.onRead((buf as Buffer).subarray(0, n));
        return true;
      },
    };
    connectUpstream(this.#target, onread).then(
      (socket) => {
        conn = new ClientConnection(socket, this);
        this.#all.add(conn);
        if (this.#closed) {
          conn.destroy();
          waiter.fail(clientError('CLOSED', 'the pool is closed'));
          return;
        }
        waiter.give(conn);
      },
      (err: unknown) => {
        this.#count--;
        waiter.fail(err);
        this.#connectForWaiter();
        if (this.#count === 0) this.#onEmpty?.();
      },
    );
  }

  /**
   * A connection to the upstream outside the pool, for a protocol that takes it over
   * (an Upgrade tunnel): connected, within the connect timeout, or the connect error.
   */
  connectRaw(): Promise<Socket> {
    if (this.#closed) return Promise.reject(clientError('CLOSED', 'the pool is closed'));
    return connectUpstream(this.#target, undefined);
  }
}

const NO_CONTROL: ExchangeControl = Object.freeze({ resume() {}, abort() {} });

/** A timeout as a bound: 0 (none) is no bound at all. */
function positive(ms: number): number {
  return ms > 0 ? ms : Number.POSITIVE_INFINITY;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
