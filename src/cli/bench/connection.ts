/**
 * One keep-alive connection of `dhttp bench`, with up to `pipeline` requests in flight,
 * answered in order. Closed loop: every answer frees a slot for the next request, and the
 * requests an event-loop turn frees leave in one write. Constant rate: the connection has
 * its own schedule of intended starts; a request leaves at its start, or at once when the
 * connection is late (a slow answer, a full pipeline), and its latency counts from that
 * intended start - so a server that stalls shows in the latency of every request the stall
 * delayed, not of one per connection (wrk2's correction for coordinated omission).
 *
 * A connection that breaks is replaced for the next request, so a flaky server costs
 * errors, never stalls the run. Responses are read through parser.ts only.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type ParsedResponse, ResponseParser } from './parser.js';
import type { ErrorKind } from './report.js';

export interface BenchTarget {
  readonly host: string;
  readonly port: number;
  /** The whole request, head and body, built once. */
  readonly request: Buffer;
  /** HEAD: responses carry no body whatever their headers say. */
  readonly noBody: boolean;
}

export interface BenchControl {
  /** Reserves the next request; false means this connection is finished. */
  claim(): boolean;
  /** performance.now() from which requests count (by intended start); Infinity while warming up. */
  readonly measureFrom: number;
  response(status: number, latencyUs: number, measured: boolean, now: number): void;
  error(kind: ErrorKind, measured: boolean, now: number): void;
  bytes(n: number): void;
  done(connection: BenchConnection): void;
}

/** A constant-rate connection's schedule, in performance.now() milliseconds. */
export interface Pacing {
  readonly firstAt: number;
  readonly intervalMs: number;
}

interface InFlight {
  /** Where latency counts from: the intended start (constant rate) or the send time. */
  origin: number;
  sentAt: number;
  measured: boolean;
}

/**
 * Pause after a transport error before the next attempt, so a dead target yields a
 * bounded trickle of connect errors rather than a busy loop.
 */
const ERROR_PAUSE_MS = 10;

function kindOf(err: NodeJS.ErrnoException): ErrorKind {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connect_refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return err.code !== undefined ? err.code.toLowerCase() : 'error';
  }
}

function noop(): void {}

/** Every connection of a thread reads into this buffer: each read is parsed before the next. */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

export class BenchConnection {
  readonly #target: BenchTarget;
  readonly #control: BenchControl;
  readonly #pipeline: number;
  #pacing: Pacing | null = null;
  /** `pipeline` copies of the request back to back: n requests are one subarray, one write. */
  readonly #requests: Buffer;
  readonly #inFlight: InFlight[] = [];
  /** Requests a `Connection: close` answer left unanswered: the server never read them; sent again. */
  readonly #resend: InFlight[] = [];
  #socket: Socket | null = null;
  #nextAt = 0;
  /** performance.now() at the read being parsed: the arrival time of the answers in it. */
  #readAt = 0;
  #stopped = false;
  #finished = false;
  #timer: NodeJS.Timeout | null = null;
  /** Settles open(): the socket connected, or failed. */
  #opened: (() => void) | null = null;

  constructor(target: BenchTarget, control: BenchControl, pipeline = 1) {
    this.#target = target;
    this.#control = control;
    this.#pipeline = pipeline;
    this.#requests = pipeline === 1 ? target.request : Buffer.concat(Array.from({ length: pipeline }, () => target.request));
  }

  /**
   * Connects ahead of the first request, so that neither a latency nor a schedule counts the
   * handshake. Resolves once connected or failed (a failure shows when a request is sent).
   */
  open(): Promise<void> {
    if (this.#socket !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#opened = resolve;
      this.#connect().once('connect', () => this.#settleOpen());
    });
  }

  /** Starts sending: closed loop, or on the schedule `pacing` gives. */
  start(pacing: Pacing | null = null): void {
    this.#pacing = pacing;
    this.#nextAt = pacing?.firstAt ?? 0;
    this.#fill();
  }

  #settleOpen(): void {
    const opened = this.#opened;
    this.#opened = null;
    opened?.();
  }

  /** Abandons whatever is in flight (it is not counted). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#drop();
  }

  checkTimeout(now: number, timeoutMs: number): void {
    const oldest = this.#inFlight[0];
    if (oldest !== undefined && now - oldest.sentAt > timeoutMs) this.#fail('timeout');
  }

  /** Sends what the pipeline, the schedule and the request budget allow, in one write. */
  #fill(now = performance.now()): void {
    if (this.#stopped || this.#timer !== null) return;
    const inFlight = this.#inFlight;
    let n = 0;
    while (this.#resend.length > 0 && inFlight.length < this.#pipeline) {
      const r = this.#resend.shift() as InFlight;
      r.sentAt = now;
      if (this.#pacing === null) r.origin = now;
      inFlight.push(r);
      n++;
    }
    while (inFlight.length < this.#pipeline) {
      const origin = this.#pacing === null ? now : this.#nextAt;
      if (origin > now) {
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.#fill();
        }, origin - now);
        break;
      }
      if (!this.#control.claim()) {
        if (inFlight.length === 0 && n === 0) this.#finish();
        break;
      }
      if (this.#pacing !== null) this.#nextAt += this.#pacing.intervalMs;
      inFlight.push({ origin, sentAt: now, measured: origin >= this.#control.measureFrom });
      n++;
    }
    if (n === 0) return;
    const socket = this.#socket ?? this.#connect();
    const len = this.#target.request.length;
    socket.write(n === 1 ? this.#target.request : this.#requests.subarray(0, n * len));
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.stop();
    this.#control.done(this);
  }

  #connect(): Socket {
    const parser = new ResponseParser((r) => this.#onResponse(socket, parser, r));
    parser.noBody = this.#target.noBody;
    // Reads land in the thread's one buffer (no Buffer and no stream machinery per read);
    // the parser copies what it must keep of a head split across reads.
    const socket: Socket = connect({
      host: this.#target.host,
      port: this.#target.port,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (n: number, buf: Uint8Array): boolean => {
          if (this.#socket !== socket) return false;
          // One clock reading per read: the answers in it arrived together, and the freed slots' requests leave now.
          const now = performance.now();
          this.#readAt = now;
          this.#control.bytes(n);
          try {
            parser.execute(buf as Buffer, n);
          } catch {
            if (this.#socket === socket) this.#fail('invalid_response');
            return false;
          }
          this.#fill(now);
          return true;
        },
      },
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.#socket === socket) this.#fail(kindOf(err));
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      // A response without length ends here; anything else in flight was cut off.
      this.#readAt = performance.now();
      if (parser.end()) {
        this.#fill();
        return;
      }
      if (this.#inFlight.length > 0) this.#fail('closed');
      else this.#drop();
    });
    this.#socket = socket;
    return socket;
  }

  #onResponse(socket: Socket, parser: ResponseParser, r: ParsedResponse): void {
    if (this.#socket !== socket) return;
    const request = this.#inFlight.shift();
    if (request === undefined) {
      this.#fail('invalid_response'); // a response nobody asked for
      return;
    }
    const now = this.#readAt;
    this.#control.response(r.status, Math.max(1, Math.round((now - request.origin) * 1000)), request.measured, now);
    parser.noBody = this.#target.noBody;
    if (!r.keepAlive) {
      // The server stops reading after an answer that closes: what was pipelined behind it
      // was never processed and goes out again on the next connection.
      this.#resend.push(...this.#inFlight.splice(0));
      this.#drop();
    }
  }

  /** Every request in flight on the connection fails with `kind`. */
  #fail(kind: ErrorKind): void {
    const failed = this.#inFlight.splice(0);
    this.#drop();
    if (this.#stopped) return;
    const now = performance.now();
    for (const r of failed) this.#control.error(kind, r.measured, now);
    if (failed.length === 0 || this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#fill();
    }, ERROR_PAUSE_MS);
  }

  #drop(): void {
    this.#settleOpen();
    const socket = this.#socket;
    this.#socket = null;
    if (socket === null) return;
    socket.removeAllListeners();
    socket.on('error', noop); // a late error on a socket we gave up must not crash the run
    socket.destroy();
  }
}
