/**
 * One keep-alive connection to an upstream: the socket's lifecycle and a queue of
 * exchanges, each a request and the handler of its answer. The first in the queue is the
 * one being answered; the others were written behind it (HTTP/1.1 pipelining) and are
 * answered in order. Answers are read by the codec's ResponseDecoder, in the mode the
 * handler asks for (decoded payload, or the bytes as framed for a relay).
 *
 * An answer must account for every byte: bytes beyond a complete answer, or when none
 * was asked for, destroy the connection; and an answer without a body (HEAD, 204, 304)
 * ends a pipeline - what was written behind it is handed back to go again on a fresh
 * connection - so a worker that sends a body where none belongs can never make one
 * client's bytes pass for the next client's answer.
 */
import type { Socket } from 'node:net';
import { ResponseDecoder } from '../codec/response-decoder.js';
import type { ResponseHead } from '../codec/response-head.js';
import { beforeResponseError, clientError, UnansweredError } from './errors.js';
import type { ExchangeControl, ExchangeOptions, ResponseHandler } from './handler.js';
import { idleLimitOf } from './keep-alive-hint.js';
import { drained } from '../common/drained.js';

/** The pool's side of a connection. */
export interface ConnectionOwner {
  /** The exchanges ended and the connection can carry another request. */
  release(conn: ClientConnection): void;
  /** The socket closed (once per connection). */
  closed(conn: ClientConnection): void;
}

/** A request's body as the connection writes it: whole, or streamed (chunked or with a declared length). */
export type OutgoingBody = Buffer | { stream: AsyncIterable<Uint8Array>; chunked: boolean };

interface Exchange {
  readonly handler: ResponseHandler;
  readonly opts: ExchangeOptions;
  /** Its consumer gave up while it waited its turn: its answer is read and dropped. */
  abandoned: boolean;
}

const NOOP_HANDLER: ResponseHandler = Object.freeze({ raw: true, onHead: () => true, onData: () => true, onError() {} });

export class ClientConnection {
  readonly #socket: Socket;
  readonly #owner: ConnectionOwner;
  /** Requests written on this connection. */
  #served = 0;
  #socketError: Error | undefined;
  readonly #queue: Exchange[] = [];
  /** Reads the current exchange's answer (reset per exchange); undefined while none is current. */
  #decoder: ResponseDecoder | undefined;
  #spareDecoder: ResponseDecoder | undefined;
  /** The current exchange's handler (a no-op one once its consumer gave up). */
  #handler: ResponseHandler = NOOP_HANDLER;
  readonly #events = {
    onHead: (head: ResponseHead, body: Buffer | undefined, complete: boolean): void => {
      this.#headSeen = true;
      if (!this.#handler.onHead(head, body, complete)) this.#pause(this.#queue[0]);
    },
    onData: (data: Buffer, complete: boolean): void => {
      if (!this.#handler.onData(data, complete)) this.#pause(this.#queue[0]);
    },
  };
  #headSeen = false;
  #gotBytes = false;
  #reused = false;
  /** A request body is still being written. */
  #writing = false;
  /** The consumer of the current answer asked to pause. */
  #paused = false;
  /** When the current exchange started waiting for its answer, and its last progress (performance.now()). */
  #waitingSince = 0;
  #activeAt = 0;
  /** Bumped whenever the queue is reset: a late callback of an earlier exchange sees it changed. */
  #generation = 0;

  /** The pool's sweep count when this connection last went idle. */
  idleSince = 0;
  /**
   * How long the upstream said it keeps this connection idle (`Keep-Alive: timeout=N`),
   * less a second of margin; undefined without a hint. The pool never keeps it idle longer,
   * so a request does not race the upstream's close.
   */
  maxIdleMs: number | undefined = undefined;

  constructor(socket: Socket, owner: ConnectionOwner) {
    this.#socket = socket;
    this.#owner = owner;
    // Sockets opened with `onread` (the pool's) deliver through onRead() instead.
    socket.on('data', (chunk: Buffer) => this.onRead(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (err) => {
      this.#socketError ??= err;
    });
    socket.on('close', () => this.#onClose());
  }

  get destroyed(): boolean {
    return this.#socket.destroyed;
  }

  /** An exchange is in flight (the pool times those). */
  get busy(): boolean {
    return this.#queue.length > 0;
  }

  /** For tests: the socket's local port names the connection. */
  get localPort(): number | undefined {
    return this.#socket.localPort;
  }

  destroy(err?: Error): void {
    this.#socket.destroy(err);
  }

  /** Writes one request (head as latin1 text, and its body) and answers it through `handler`. */
  send(head: string, body: OutgoingBody | undefined, handler: ResponseHandler, opts: ExchangeOptions): ExchangeControl {
    const ex: Exchange = { handler, opts, abandoned: false };
    this.#begin([ex]);
    const socket = this.#socket;
    if (body === undefined) {
      socket.write(head, 'latin1');
    } else if (Buffer.isBuffer(body)) {
      // cork/uncork: one writev, one syscall.
      socket.cork();
      socket.write(head, 'latin1');
      socket.write(body);
      socket.uncork();
    } else {
      socket.write(head, 'latin1');
      void this.#pump(body.stream, body.chunked, this.#generation);
    }
    return this.#controlOf(ex);
  }

  /**
   * Writes several requests without body in one write (`heads`: their heads one after the
   * other) and answers each through its handler, in order. One control per handler.
   */
  sendBatch(heads: string, items: readonly { handler: ResponseHandler; opts: ExchangeOptions }[]): ExchangeControl[] {
    const exchanges = items.map((i): Exchange => ({ handler: i.handler, opts: i.opts, abandoned: false }));
    this.#begin(exchanges);
    this.#socket.write(heads, 'latin1');
    return exchanges.map((ex) => this.#controlOf(ex));
  }

  #begin(exchanges: Exchange[]): void {
    this.#generation++;
    this.#reused = this.#served > 0;
    this.#served += exchanges.length;
    this.#queue.push(...exchanges);
    this.#startCurrent();
  }

  /** The first exchange in the queue starts waiting for its answer. */
  #startCurrent(): void {
    const ex = this.#queue[0];
    this.#headSeen = false;
    this.#gotBytes = false;
    this.#paused = false;
    this.#waitingSince = this.#activeAt = performance.now();
    const handler = ex.abandoned ? NOOP_HANDLER : ex.handler;
    this.#handler = handler;
    let decoder = this.#spareDecoder;
    const options = { raw: handler.raw, upgrade: ex.opts.upgrade };
    if (decoder === undefined) decoder = new ResponseDecoder(ex.opts.method, this.#events, options);
    else {
      this.#spareDecoder = undefined;
      decoder.reset(ex.opts.method, options);
    }
    this.#decoder = decoder;
  }

  /** The current exchange is over: its decoder waits for the next one. */
  #dropDecoder(): void {
    if (this.#decoder !== undefined) this.#spareDecoder = this.#decoder;
    this.#decoder = undefined;
    this.#handler = NOOP_HANDLER;
  }

  /**
   * The consumer cannot take more now. A client that reads slowly must not hold other
   * clients' answers: the requests behind this one are handed back at once (their answers
   * will be read and dropped) to go again on another connection.
   */
  #pause(ex: Exchange): void {
    this.#paused = true;
    for (const q of this.#queue) {
      if (q === ex || q.abandoned) continue;
      q.abandoned = true;
      q.handler.onError(new UnansweredError('an earlier pipelined answer waits for a slow client', false), false);
    }
  }

  #controlOf(ex: Exchange): ExchangeControl {
    return {
      resume: () => {
        if (this.#queue[0] !== ex || !this.#paused) return;
        this.#paused = false;
        // The wait was the consumer's; the upstream's time starts again now.
        this.#activeAt = performance.now();
        this.#socket.resume();
      },
      abort: () => {
        if (this.#queue[0] === ex) {
          // Its answer can no longer be read to the end: the connection goes, and with it
          // the requests written behind this one (their handlers hear so).
          ex.abandoned = true;
          this.#failQueue(new UnansweredError('an earlier pipelined request was given up: its connection is closed', false));
        } else if (this.#queue.includes(ex)) {
          ex.abandoned = true;
        }
      },
    };
  }

  /** Bytes from the socket (the pool's shared read buffer: handed on before this returns). */
  onRead(chunk: Buffer): void {
    let pos = 0;
    // Bounded: each pass completes an answer or consumes the rest of the chunk.
    while (pos < chunk.length) {
      const ex = this.#queue[0];
      const decoder = this.#decoder;
      if (ex === undefined || decoder === undefined) {
        // Bytes nobody asked for (or beyond a complete answer): the upstream is confused.
        this.#socket.destroy();
        return;
      }
      this.#gotBytes = true;
      this.#activeAt = performance.now();
      try {
        pos = decoder.feed(chunk, pos);
      } catch (err) {
        this.#failQueue(clientError('BAD_RESPONSE', (err as Error).message, err));
        return;
      }
      // A handler may have given up meanwhile (the connection is then gone).
      if (this.#queue[0] !== ex || this.#socket.destroyed) return;
      if (!decoder.done) break;
      if (!this.#completed(decoder.head as ResponseHead, pos < chunk.length)) return;
    }
    if (this.#paused && !this.#socket.destroyed) this.#socket.pause();
  }

  /** The current answer is complete. Returns whether reading goes on (with the next queued exchange). */
  #completed(head: ResponseHead, more: boolean): boolean {
    const done = this.#queue.shift() as Exchange;
    this.#dropDecoder();
    // The head seen was this answer's: the exchanges behind it have seen none.
    this.#headSeen = false;
    const keep = head.framing.keepAlive && !this.#writing && !this.#socket.destroyed;
    if (this.#queue.length > 0) {
      if (keep && !bodylessByRule(done.opts.method, head.status)) {
        this.#startCurrent();
        return true;
      }
      // The upstream closes after this answer, or an answer without a body ended the
      // pipeline: the requests behind it go again elsewhere.
      const reason = keep
        ? 'an answer without a body ends a pipeline'
        : 'the worker closed the connection after an earlier answer, before reading this request';
      this.#failQueue(new UnansweredError(reason, false));
      return false;
    }
    if (more || !keep) {
      this.#socket.destroy();
      return false;
    }
    this.maxIdleMs = idleLimitOf(head.framing.keepAliveField);
    // The last bytes may have filled the consumer and paused the socket.
    this.#paused = false;
    if (this.#socket.isPaused()) this.#socket.resume();
    this.#owner.release(this);
    return false;
  }

  /** Streams a request body, waiting for 'drain' whenever the socket's buffer is full. */
  async #pump(body: AsyncIterable<Uint8Array>, chunked: boolean, generation: number): Promise<void> {
    const socket = this.#socket;
    const current = (): boolean => this.#generation === generation && !socket.destroyed;
    this.#writing = true;
    try {
      for await (const piece of body) {
        if (!current()) return;
        if (piece.byteLength === 0) continue;
        let ok: boolean;
        if (chunked) {
          socket.cork();
          socket.write(`${piece.byteLength.toString(16)}\r\n`, 'latin1');
          socket.write(piece);
          ok = socket.write('\r\n', 'latin1');
          socket.uncork();
        } else {
          ok = socket.write(piece);
        }
        if (!ok) await drained(socket);
      }
      if (!current()) return;
      if (chunked) socket.write('0\r\n\r\n', 'latin1');
      this.#writing = false;
      // The upstream's wait for our body is over: its time to answer starts now.
      this.#waitingSince = performance.now();
      // The answer may have been complete before the body was: the connection cannot be reused.
      if (this.#queue.length === 0) socket.destroy();
    } catch (err) {
      if (this.#generation === generation) this.#failQueue(err);
    } finally {
      if (this.#generation === generation) this.#writing = false;
    }
  }

  #onEnd(): void {
    const decoder = this.#decoder;
    if (decoder === undefined || !decoder.untilClose) return;
    // The close ends this answer (its handler hears the end); anything written behind it
    // was never read: handed back, and the connection goes.
    decoder.end();
    this.#queue.shift();
    this.#dropDecoder();
    this.#headSeen = false;
    this.#failQueue(new UnansweredError('the worker closed the connection after an earlier answer, before reading this request', false));
  }

  /** The pool's sweep: fails an exchange without progress for its timeout. */
  checkTimeout(now: number): void {
    const ex = this.#queue[0];
    if (ex === undefined || this.#writing) return;
    if (!this.#headSeen) {
      const limit = ex.opts.headersTimeoutMs;
      if (limit > 0 && now - this.#waitingSince > limit) this.#failQueue(clientError('HEADERS_TIMEOUT', `no answer within ${limit} ms`));
    } else if (!this.#paused) {
      // A paused socket is our consumer's slowness, not the upstream's.
      const limit = ex.opts.bodyTimeoutMs;
      if (limit > 0 && now - this.#activeAt > limit) this.#failQueue(clientError('BODY_TIMEOUT', `no body bytes for ${limit} ms`));
    }
  }

  #onClose(): void {
    if (this.#queue.length > 0) {
      const err = this.#socketError;
      this.#failQueue(
        !this.#headSeen ? beforeResponseError(err, this.#reused && !this.#gotBytes) : (err ?? clientError('SOCKET', 'other side closed')),
      );
    }
    this.#owner.closed(this);
  }

  /**
   * Fails the current exchange with `err` and hands back those written behind it (never
   * answered: a reset, which the retry rule may retry), then closes the socket.
   */
  #failQueue(err: unknown): void {
    const queue = this.#queue.splice(0);
    const headSeen = this.#headSeen;
    this.#generation++;
    this.#decoder = undefined;
    this.#handler = NOOP_HANDLER;
    this.#writing = false;
    this.#socket.destroy();
    const [current, ...rest] = queue;
    if (current !== undefined && !current.abandoned) current.handler.onError(err, headSeen);
    if (rest.length === 0) return;
    const unanswered =
      err instanceof UnansweredError
        ? err
        : new UnansweredError('the connection failed before this pipelined request was answered', true, err);
    for (const q of rest) if (!q.abandoned) q.handler.onError(unanswered, false);
  }
}

/** Answers that carry no body whatever their fields say (RFC 9112 §6.3): a pipeline stops there. */
function bodylessByRule(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || status < 200;
}
