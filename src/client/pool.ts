/**
 * The raw client's per-worker pool: idle connections are reused newest first (LIFO keeps
 * the hot ones warm and lets the rest time out), at most `connections` are open, and
 * requests beyond that wait in arrival order.
 */
import { connect, type Socket } from 'node:net';
import type { AbortLike } from '../common/light-signal.js';
import { RawConnection, type ConnectionOwner, type PassControl, type PassItem, type PassTarget, type RawResponse } from './connection.js';
import { abortReason, rawError } from './errors.js';
import { serializeRequest, type RawRequestOptions, type SerializedRequest } from './request-head.js';

export interface RawPoolOptions {
  /** Max open connections. @default 128 */
  connections?: number;
  /** Idle time after which a connection is closed; below the worker's 5 s. @default 4000 */
  keepAliveTimeoutMs?: number;
  /** TCP connect timeout. @default 2000 */
  connectTimeoutMs?: number;
  /** Connect to this Unix-domain socket instead of the origin's host:port (Host stays the origin's). */
  socketPath?: string;
  /**
   * Most relayed requests written together on one connection (HTTP/1.1 pipelining): those
   * passed with `pipelined` in the same turn of the event loop are sent in groups of up to
   * this many. 1: each on its own connection. @default 1
   */
  pipelining?: number;
}

export const RAW_POOL_DEFAULTS = Object.freeze({
  connections: 128,
  keepAliveTimeoutMs: 4000,
  connectTimeoutMs: 2000,
  pipelining: 1,
} satisfies Required<Omit<RawPoolOptions, 'socketPath'>>);

/** The read buffer of every pooled connection: reads are consumed before the next one. */
const READ_BUFFER = Buffer.alloc(64 * 1024);

const NO_CONTROL: PassControl = Object.freeze({ resume() {}, abort() {} });

/** A relayed request waiting for the end of the turn, to be written with the others of it. */
interface Batched extends PassItem {
  head: string;
  /** The connection's control once it was written. */
  inner: PassControl | undefined;
  aborted: boolean;
}

interface Waiter {
  give(conn: RawConnection): void;
  fail(err: unknown): void;
}

export class RawPool implements ConnectionOwner {
  readonly #host: string;
  readonly #port: number;
  /** The Host field: the origin's host[:port]. */
  readonly #authority: string;
  readonly #opts: Required<Omit<RawPoolOptions, 'socketPath'>>;
  readonly #socketPath: string | undefined;
  readonly #idle: RawConnection[] = [];
  readonly #all = new Set<RawConnection>();
  readonly #waiters: Waiter[] = [];
  /** Open plus connecting. */
  #count = 0;
  #closed = false;
  /** Keep-alive timeouts: one coarse timer per pool instead of per-connection timers. */
  #sweeps = 0;
  /** The sweep's period and its keep-alive limit in sweeps (see #startSweeper). */
  readonly #every: number;
  readonly #limit: number;
  #sweeper: NodeJS.Timeout | undefined;
  /** Times relayed exchanges (RawConnection.checkTimeout) while any runs, at this period. */
  #passSweeper: NodeJS.Timeout | undefined;
  #passEvery = 0;
  #onEmpty: (() => void) | undefined;
  /** Pipelined relayed requests of this turn (see pass), written at its end. */
  #turn: Batched[] = [];
  #turnScheduled = false;

  constructor(origin: string, options: RawPoolOptions = {}) {
    const url = new URL(origin);
    this.#host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.#port = Number(url.port || 80);
    this.#authority = url.host;
    this.#opts = { ...RAW_POOL_DEFAULTS, ...options };
    this.#socketPath = options.socketPath;
    const ms = this.#opts.keepAliveTimeoutMs;
    this.#every = Math.max(25, Math.min(1000, ms / 4));
    this.#limit = Math.max(1, Math.floor(ms / this.#every) - 1);
  }

  /** Connections open or being opened. */
  get size(): number {
    return this.#count;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  get queued(): number {
    return this.#waiters.length;
  }

  request(req: RawRequestOptions): Promise<RawResponse> {
    if (this.#closed) return Promise.reject(rawError('UND_ERR_CLOSED', 'The client is closed'));
    let serialized: SerializedRequest;
    try {
      serialized = serializeRequest(req, this.#authority);
    } catch (err) {
      return Promise.reject(err);
    }
    const conn = this.#takeIdle();
    if (conn !== undefined) return conn.request(req, serialized);
    return this.#acquire(req.signal).then((c) => c.request(req, serialized));
  }

  /**
   * Sends `head` (a whole request without body, serialized by the caller) on a pooled
   * connection and relays the response to `target` (RawConnection.pass). Failures,
   * connecting included, reach `target.onFail`, never synchronously.
   *
   * `pipelined`: the caller knows the request to be answered quickly, so others may wait
   * behind it on one connection: it is written at the end of this turn of the event loop,
   * together with the other such requests of the turn (up to `pipelining` per connection).
   * One write and one read then carry many exchanges, on both sides - the largest cost of
   * relaying small answers is per read and write (docs/benchmarks.md).
   */
  pass(head: string, method: string, target: PassTarget, timeoutMs: number, pipelined = false): PassControl {
    if (this.#closed) {
      queueMicrotask(() => target.onFail(rawError('UND_ERR_CLOSED', 'The client is closed'), false));
      return NO_CONTROL;
    }
    if (timeoutMs > 0) this.#sweepPasses(timeoutMs);
    if (pipelined && this.#opts.pipelining > 1) return this.#batch({ head, method, target, timeoutMs, inner: undefined, aborted: false });
    return this.#passNow(head, method, target, timeoutMs);
  }

  #passNow(head: string, method: string, target: PassTarget, timeoutMs: number): PassControl {
    const entry: Batched = { head, method, target, timeoutMs, inner: undefined, aborted: false };
    this.#send([entry]);
    // Written at once on an idle connection: its own control; else one that waits for it.
    return entry.inner ?? this.#controlOf(entry);
  }

  #batch(entry: Batched): PassControl {
    this.#turn.push(entry);
    if (!this.#turnScheduled) {
      this.#turnScheduled = true;
      // The check phase runs after every I/O callback of this turn: all its requests are in.
      setImmediate(() => this.#flushTurn());
    }
    return this.#controlOf(entry);
  }

  /** The control of a request not yet written: it acts on the connection's once there is one. */
  #controlOf(entry: Batched): PassControl {
    return {
      resume: () => entry.inner?.resume(),
      abort: () => {
        entry.aborted = true;
        entry.inner?.abort();
      },
    };
  }

  /** Writes this turn's pipelined requests: in groups of up to `pipelining`, a connection each. */
  #flushTurn(): void {
    this.#turnScheduled = false;
    const live = this.#turn.filter((e) => !e.aborted);
    this.#turn = [];
    if (this.#closed) {
      const err = rawError('UND_ERR_CLOSED', 'The client is closed');
      for (const e of live) e.target.onFail(err, false);
      return;
    }
    const depth = this.#opts.pipelining;
    for (let i = 0; i < live.length; i += depth) this.#send(live.slice(i, i + depth));
  }

  /** Writes `group` on an idle connection, or on one opened (or freed) for it. */
  #send(group: Batched[]): void {
    const conn = this.#takeIdle();
    if (conn !== undefined) {
      this.#sendGroup(conn, group);
      return;
    }
    this.#acquire(undefined).then(
      (c) => {
        const left = group.filter((e) => !e.aborted);
        if (left.length === 0) {
          this.release(c);
          return;
        }
        // The sweep may have stopped while this one was connecting.
        for (const e of left) if (e.timeoutMs > 0) this.#sweepPasses(e.timeoutMs);
        this.#sendGroup(c, left);
      },
      (err: unknown) => {
        for (const e of group) if (!e.aborted) e.target.onFail(err, false);
      },
    );
  }

  /** The newest idle connection, if any (a destroyed one may still be listed until its 'close' event). */
  #takeIdle(): RawConnection | undefined {
    let conn = this.#idle.pop();
    while (conn?.destroyed) conn = this.#idle.pop();
    return conn;
  }

  #sendGroup(conn: RawConnection, group: readonly Batched[]): void {
    if (group.length === 1) {
      const e = group[0];
      e.inner = conn.pass(e.head, e.method, e.target, e.timeoutMs);
      return;
    }
    let heads = '';
    for (const e of group) heads += e.head;
    const controls = conn.passMany(heads, group);
    for (let i = 0; i < group.length; i++) group[i].inner = controls[i];
  }

  release(conn: RawConnection): void {
    if (conn.destroyed) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.give(conn);
      return;
    }
    // A worker's keep-alive hint below one sweep period cannot be honoured idle: close it.
    if (this.#closed || (conn.maxIdleMs !== undefined && conn.maxIdleMs < this.#every)) {
      conn.destroy();
      return;
    }
    conn.idleSince = this.#sweeps;
    this.#idle.push(conn);
    this.#sweeper ??= this.#startSweeper();
  }

  closed(conn: RawConnection): void {
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

  /** Closes every connection now, failing what is in flight. */
  destroy(): Promise<void> {
    return this.#shutdown(true);
  }

  /**
   * Every quarter of the keep-alive timeout (25 ms – 1 s), closes connections idle for long
   * enough: one closes between ¾ and 1 timeout after its last exchange, never later, so it
   * never outlives the worker's own keep-alive timeout that ours is set below - or, when the
   * worker announced a shorter one (Keep-Alive: timeout=N), N less a second.
   */
  #startSweeper(): NodeJS.Timeout {
    const every = this.#every;
    const limit = this.#limit;
    // A connection whose worker announced a shorter keep-alive gets its own, smaller limit.
    const limitOf = (conn: RawConnection): number =>
      conn.maxIdleMs === undefined ? limit : Math.min(limit, Math.floor(conn.maxIdleMs / every) - 1);
    const timer = setInterval(() => {
      const sweep = ++this.#sweeps;
      for (const conn of this.#idle.slice()) if (sweep - conn.idleSince > limitOf(conn)) conn.destroy();
      if (this.#idle.length === 0 && this.#count === 0) this.#stopSweeper();
    }, every);
    timer.unref();
    return timer;
  }

  /**
   * Checks relayed exchanges every quarter of their timeout (25 ms – 1 s) while any runs:
   * one fails between 1 and 1¼ timeouts without progress. Stops when none is left.
   */
  #sweepPasses(timeoutMs: number): void {
    const every = Math.max(25, Math.min(1000, Math.floor(timeoutMs / 4)));
    if (this.#passSweeper !== undefined && this.#passEvery <= every) return;
    if (this.#passSweeper !== undefined) clearInterval(this.#passSweeper);
    this.#passEvery = every;
    const timer = setInterval(() => {
      const now = performance.now();
      let relaying = false;
      for (const conn of this.#all) {
        conn.checkTimeout(now);
        if (conn.relaying) relaying = true;
      }
      if (!relaying) {
        clearInterval(timer);
        this.#passSweeper = undefined;
      }
    }, every);
    timer.unref();
    this.#passSweeper = timer;
  }

  #stopSweeper(): void {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #shutdown(force: boolean): Promise<void> {
    this.#closed = true;
    this.#stopSweeper();
    if (this.#passSweeper !== undefined) clearInterval(this.#passSweeper);
    this.#passSweeper = undefined;
    const err = rawError(force ? 'UND_ERR_DESTROYED' : 'UND_ERR_CLOSED', 'The client is closed');
    for (const w of this.#waiters.splice(0)) w.fail(err);
    for (const c of this.#idle.splice(0)) c.destroy();
    if (force) for (const c of this.#all) c.destroy();
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onEmpty = resolve;
    });
  }

  #acquire(signal: AbortLike | undefined): Promise<RawConnection> {
    return new Promise<RawConnection>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        settled = true;
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(abortReason(signal as AbortLike));
      };
      const waiter: Waiter = {
        give: (conn) => {
          signal?.removeEventListener('abort', onAbort);
          // Aborted while connecting: the connection is still good for someone else.
          if (settled) this.release(conn);
          else resolve(conn);
          settled = true;
        },
        fail: (err) => {
          signal?.removeEventListener('abort', onAbort);
          if (!settled) reject(err);
          settled = true;
        },
      };
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
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
    // Reads land in one buffer shared by every connection (see RawConnection.onRead).
    let conn: RawConnection | undefined;
    const onread = {
      buffer: READ_BUFFER,
      callback: (n: number, buf: Uint8Array): boolean => {
        conn?.onRead((buf as Buffer).subarray(0, n));
        return true;
      },
    };
    const socket: Socket =
      this.#socketPath !== undefined
        ? connect({ path: this.#socketPath, onread })
        : connect({ host: this.#host, port: this.#port, noDelay: true, onread });
    const timer = setTimeout(() => {
      socket.destroy(rawError('UND_ERR_CONNECT_TIMEOUT', `Connect Timeout Error (${this.#authority}, ${this.#opts.connectTimeoutMs} ms)`));
    }, this.#opts.connectTimeoutMs);
    timer.unref();
    const onError = (err: Error): void => {
      clearTimeout(timer);
      this.#count--;
      waiter.fail(err);
      this.#connectForWaiter();
      if (this.#count === 0) this.#onEmpty?.();
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      conn = new RawConnection(socket, this);
      this.#all.add(conn);
      if (this.#closed) {
        conn.destroy();
        waiter.fail(rawError('UND_ERR_CLOSED', 'The client is closed'));
        return;
      }
      waiter.give(conn);
    });
  }
}
