/**
 * One closed-loop keep-alive connection of `dhttp bench`: send the prebuilt request, wait
 * for the whole response, send the next. A connection that breaks is replaced on the next
 * request, so a flaky server costs errors, never stalls the run.
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
  /** Whether a request sent now counts. */
  readonly measuring: boolean;
  response(status: number, latencyUs: number, measured: boolean): void;
  error(kind: ErrorKind, measured: boolean): void;
  bytes(n: number): void;
  done(connection: BenchConnection): void;
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

export class BenchConnection {
  readonly #target: BenchTarget;
  readonly #control: BenchControl;
  #socket: Socket | null = null;
  #parser: ResponseParser | null = null;
  /** performance.now() of the request in flight, or -1 when none is. */
  #sentAt = -1;
  #measured = false;
  #stopped = false;
  #pause: NodeJS.Timeout | null = null;

  constructor(target: BenchTarget, control: BenchControl) {
    this.#target = target;
    this.#control = control;
  }

  start(): void {
    this.#next();
  }

  /** Abandons whatever is in flight (it is not counted). */
  stop(): void {
    this.#stopped = true;
    if (this.#pause !== null) clearTimeout(this.#pause);
    this.#drop();
  }

  checkTimeout(now: number, timeoutMs: number): void {
    if (this.#sentAt >= 0 && now - this.#sentAt > timeoutMs) this.#fail('timeout');
  }

  #next(): void {
    this.#pause = null;
    if (this.#stopped) return;
    if (!this.#control.claim()) {
      this.stop();
      this.#control.done(this);
      return;
    }
    const socket = this.#socket ?? this.#connect();
    (this.#parser as ResponseParser).noBody = this.#target.noBody;
    this.#measured = this.#control.measuring;
    this.#sentAt = performance.now();
    socket.write(this.#target.request);
  }

  #connect(): Socket {
    const socket = connect({ host: this.#target.host, port: this.#target.port });
    socket.setNoDelay(true);
    const parser = new ResponseParser((r) => this.#onResponse(socket, r));
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket !== socket) return;
      this.#control.bytes(chunk.length);
      try {
        parser.execute(chunk);
      } catch {
        if (this.#socket === socket) this.#fail('invalid_response');
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.#socket === socket) this.#fail(kindOf(err));
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      // A response without length ends here; anything else in flight was cut off.
      if (parser.end()) return;
      if (this.#sentAt >= 0) this.#fail('closed');
      else this.#drop();
    });
    this.#socket = socket;
    this.#parser = parser;
    return socket;
  }

  #onResponse(socket: Socket, r: ParsedResponse): void {
    if (this.#socket !== socket) return;
    if (this.#sentAt < 0) {
      this.#fail('invalid_response'); // a response nobody asked for
      return;
    }
    const latencyUs = Math.max(1, Math.round((performance.now() - this.#sentAt) * 1000));
    this.#sentAt = -1;
    this.#control.response(r.status, latencyUs, this.#measured);
    if (!r.keepAlive) this.#drop();
    this.#next();
  }

  #fail(kind: ErrorKind): void {
    const inFlight = this.#sentAt >= 0;
    this.#sentAt = -1;
    this.#drop();
    if (!inFlight || this.#stopped) return;
    this.#control.error(kind, this.#measured);
    this.#pause = setTimeout(() => this.#next(), ERROR_PAUSE_MS);
  }

  #drop(): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#parser = null;
    if (socket === null) return;
    socket.removeAllListeners();
    socket.on('error', noop); // a late error on a socket we gave up must not crash the run
    socket.destroy();
  }
}
