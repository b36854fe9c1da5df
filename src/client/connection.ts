/**
 * One keep-alive connection to a worker, one request at a time - or, for relayed requests
 * without body, several written together (passMany: HTTP/1.1 pipelining). The head and a buffered
 * body leave in one write (Nagle off); a streamed body follows with backpressure; the
 * response body reaches the caller as a RawBody whose backpressure pauses the socket.
 * The connection goes back to its pool only when the response was read to its end, the
 * request body was fully sent and the worker allows keep-alive.
 */
import type { Socket } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { RawBody } from './body.js';
import { UnansweredError, abortReason, beforeResponseError, rawError } from './errors.js';
import { ResponseParser, type ParserEvents, type ResponseHead } from './response-parser.js';
import { ResponseRelay, type RelayEvents } from './response-relay.js';
import type { RawRequestOptions, SerializedRequest } from './request-head.js';
import { drained } from '../common/drained.js';
import type { AbortLike } from '../common/light-signal.js';

export interface RawResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: RawBody;
  /** The whole body, when it arrived in the same read as the head (no stream needed). */
  complete?: Buffer;
}

const NO_SOURCE = Object.freeze({ resume() {}, abandon() {} });
const EMPTY = Buffer.alloc(0);

/**
 * A response read whole with its head - the common case for small answers. Forwarding
 * writes `complete` at once; a Readable is made only for callers that ask for `body`.
 */
class CompleteResponse implements RawResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly complete: Buffer;
  #body: RawBody | undefined;

  constructor(head: ResponseHead, complete: Buffer) {
    this.statusCode = head.statusCode;
    this.headers = head.headers;
    this.complete = complete;
  }

  get body(): RawBody {
    if (this.#body === undefined) {
      const body = new RawBody(NO_SOURCE);
      if (this.complete.length > 0) body.push(this.complete);
      body.push(null);
      this.#body = body;
    }
    return this.#body;
  }
}

/** Who receives a relayed response (see RawConnection.pass). */
export interface PassTarget extends RelayEvents {
  /**
   * The exchange failed; `headSeen`: the head was already handed on. Before it, the error
   * is classed as the pool's `request` would class it (a reset, a timeout…).
   */
  onFail(err: unknown, headSeen: boolean): void;
}

/** The relaying side's handle on its exchange, bound to it (a late call does nothing). */
export interface PassControl {
  /** Reads on after onHead/onData asked to pause. */
  resume(): void;
  /** Gives up: the connection is closed (its response can no longer be read to the end). */
  abort(): void;
}

/** A relayed exchange: the connection's current one, or one written after it (pipelined). */
interface PassSlot {
  readonly method: string;
  readonly target: PassTarget;
  readonly timeoutMs: number;
  /** The relaying side gave up while the slot waited its turn: its response is read and dropped. */
  abandoned: boolean;
}

/** A request for passMany(): its head is part of the batch's text. */
export interface PassItem {
  method: string;
  target: PassTarget;
  timeoutMs: number;
}

/** Receives the response of an abandoned pipelined request: read to its end, dropped. */
const DISCARD: PassTarget = Object.freeze({ onHead: () => true, onData: () => true, onFail() {} });

/** The pool's side of a connection. */
export interface ConnectionOwner {
  /** The exchange ended and the connection can carry another request. */
  release(conn: RawConnection): void;
  /** The socket closed (once per connection). */
  closed(conn: RawConnection): void;
}

export class RawConnection {
  readonly #socket: Socket;
  readonly #owner: ConnectionOwner;
  /** Requests started on this connection. */
  #served = 0;
  #timeoutMs = 0;
  #socketError: Error | undefined;

  // The current exchange; `#seq` tells a late callback of an earlier one apart.
  #seq = 0;
  #busy = false;
  #reused = false;
  #gotBytes = false;
  #writing = false;
  #parser: ResponseParser | undefined;
  /** Instead of #parser when the exchange is relayed (pass()). */
  #relay: ResponseRelay | undefined;
  #target: PassTarget | undefined;
  #slot: PassSlot | undefined;
  /** Relayed requests written after the current one (passMany), answered in order. */
  #queue: PassSlot[] = [];
  /**
   * A relayed exchange is timed by its pool's sweep (checkTimeout) rather than the socket's
   * timer, which Node re-arms on every read and write: ≈ 6 % of a relaying dispatcher's CPU.
   */
  #passTimeoutMs = 0;
  /** performance.now() of the last progress of a relayed exchange. */
  #activeAt = 0;
  #head: ResponseHead | undefined;
  /** Body pieces seen in the read that brought the head, until that read is parsed. */
  #collected: Buffer[] | undefined;
  #body: RawBody | undefined;
  #resolve: ((res: RawResponse) => void) | undefined;
  #reject: ((err: unknown) => void) | undefined;
  #signal: AbortLike | undefined;
  readonly #onAbort = (): void => {
    if (this.#signal !== undefined) this.#fail(abortReason(this.#signal));
  };
  readonly #events: ParserEvents;

  constructor(socket: Socket, owner: ConnectionOwner) {
    this.#socket = socket;
    this.#owner = owner;
    this.#events = {
      onHead: (head) => this.#onHead(head),
      onData: (data) => {
        if (this.#collected !== undefined) this.#collected.push(data);
        else if (this.#body !== undefined && !this.#body.push(data)) this.#socket.pause();
      },
      // While collecting, the end is seen from parser.done once the read is parsed.
      onComplete: () => this.#body?.push(null),
    };
    // Sockets opened with `onread` (the pool's) deliver through onRead() instead.
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (err) => {
      this.#socketError ??= err;
    });
    socket.on('timeout', () => this.#onTimeout());
    socket.on('close', () => this.#onClose());
  }

  get destroyed(): boolean {
    return this.#socket.destroyed;
  }

  /** For tests: the socket's local port names the connection. */
  get localPort(): number | undefined {
    return this.#socket.localPort;
  }

  /**
   * The pool's sweep count when this connection last went idle: the pool closes it after
   * enough sweeps. (Re-arming the socket's own timer between the request timeout and the
   * keep-alive timeout on every exchange cost ≈ 3 % of the dispatcher's CPU.)
   */
  idleSince = 0;

  /**
   * How long the worker said it keeps this connection idle (`Keep-Alive: timeout=N`), less a
   * second of margin; undefined without a hint. The pool never keeps it idle longer, so our
   * request does not race the worker's close (undici does the same with its threshold).
   */
  maxIdleMs: number | undefined = undefined;

  destroy(err?: Error): void {
    this.#socket.destroy(err);
  }

  request(req: RawRequestOptions, serialized: SerializedRequest): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      const signal = req.signal;
      if (signal?.aborted) {
        reject(abortReason(signal));
        this.#owner.release(this);
        return;
      }
      this.#seq++;
      this.#busy = true;
      this.#reused = this.#served++ > 0;
      this.#gotBytes = false;
      this.#head = undefined;
      this.#body = undefined;
      this.#resolve = resolve;
      this.#reject = reject;
      this.#parser = new ResponseParser(req.method, this.#events);
      this.#signal = signal;
      signal?.addEventListener('abort', this.#onAbort, { once: true });
      this.#setTimeout(req.timeoutMs);
      this.#write(req, serialized);
    });
  }

  /**
   * Sends a request head that the caller built (latin1 text: a request without body) and relays the
   * response to `target` as bytes (ResponseRelay) instead of parsing it into an object.
   */
  pass(head: string, method: string, target: PassTarget, timeoutMs: number): PassControl {
    const slot: PassSlot = { method, target, timeoutMs, abandoned: false };
    this.#begin(slot, [], 1);
    this.#socket.write(head, 'latin1');
    return this.#controlOf(slot);
  }

  /**
   * HTTP/1.1 pipelining for relayed requests: `heads` is the text of several requests without
   * body, one after the other, sent in one write; their responses come back in the same order
   * and each is relayed to its item's target. When the connection fails, the current request
   * fails as a single one would; those still waiting fail as never answered (a reset, which
   * the forwarder retries). One control per item.
   */
  passMany(heads: string, items: readonly PassItem[]): PassControl[] {
    const slots: PassSlot[] = items.map((i) => ({ method: i.method, target: i.target, timeoutMs: i.timeoutMs, abandoned: false }));
    this.#begin(slots[0], slots.slice(1), slots.length);
    this.#socket.write(heads, 'latin1');
    return slots.map((slot) => this.#controlOf(slot));
  }

  #begin(first: PassSlot, queue: PassSlot[], count: number): void {
    this.#seq++;
    this.#busy = true;
    this.#reused = this.#served > 0;
    this.#served += count;
    this.#gotBytes = false;
    this.#setTimeout(0);
    this.#queue = queue;
    this.#startSlot(first);
  }

  /** Makes `slot` the current exchange: its response is the next to arrive. */
  #startSlot(slot: PassSlot): void {
    const target = slot.abandoned ? DISCARD : slot.target;
    this.#slot = slot;
    this.#target = target;
    this.#relay = new ResponseRelay(slot.method, target);
    this.#passTimeoutMs = slot.timeoutMs;
    this.#activeAt = performance.now();
  }

  #controlOf(slot: PassSlot): PassControl {
    return {
      resume: () => {
        if (this.#slot !== slot || !this.#socket.isPaused()) return;
        // The wait was the client's; the worker's time starts again now.
        this.#activeAt = performance.now();
        this.#socket.resume();
      },
      abort: () => {
        if (this.#slot === slot) {
          // Its response can no longer be read to the end: the connection goes, and with it
          // the requests written after this one (their targets hear so).
          const queued = this.#takeQueued();
          this.#end();
          this.#socket.destroy();
          this.#failQueued(queued, new UnansweredError('an earlier pipelined request was given up: its connection is closed', false));
        } else if (this.#queue.includes(slot)) {
          slot.abandoned = true;
        }
      },
    };
  }

  #detachQueued(): void {
    for (const slot of this.#queue) {
      if (slot.abandoned) continue;
      slot.abandoned = true;
      slot.target.onFail(new UnansweredError('an earlier pipelined answer waits for a slow client', false), false);
    }
  }

  #takeQueued(): PassSlot[] {
    const queued = this.#queue;
    if (queued.length > 0) this.#queue = [];
    return queued;
  }

  /** Hands the waiting pipelined requests back: `err` is an UnansweredError, or the connection's own failure. */
  #failQueued(queued: readonly PassSlot[], err: unknown): void {
    if (queued.length === 0) return;
    // A reset in classify()'s terms either way: they never got an answer, so the forwarder may retry them.
    const reason =
      err instanceof UnansweredError
        ? err
        : new UnansweredError('connection to the worker failed before this pipelined request was answered', true, err);
    for (const slot of queued) if (!slot.abandoned) slot.target.onFail(reason, false);
  }

  #write(req: RawRequestOptions, { head, chunked }: SerializedRequest): void {
    const body = req.body;
    const socket = this.#socket;
    if (body === null || body === undefined) {
      socket.write(head, 'latin1');
    } else if (typeof body === 'string') {
      socket.write(head + body);
    } else if (body instanceof Uint8Array) {
      // cork/uncork: one writev, one syscall.
      socket.cork();
      socket.write(head, 'latin1');
      socket.write(body);
      socket.uncork();
    } else {
      socket.write(head, 'latin1');
      void this.#pump(body as AsyncIterable<Uint8Array | string>, chunked, this.#seq);
    }
  }

  /** Streams a request body, waiting for 'drain' whenever the socket's buffer is full. */
  async #pump(body: AsyncIterable<Uint8Array | string>, chunked: boolean, seq: number): Promise<void> {
    const socket = this.#socket;
    const current = (): boolean => this.#seq === seq && this.#busy && !socket.destroyed;
    this.#writing = true;
    try {
      for await (const piece of body) {
        if (!current()) return;
        const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
        if (chunk.byteLength === 0) continue;
        let ok: boolean;
        if (chunked) {
          socket.cork();
          socket.write(`${chunk.byteLength.toString(16)}\r\n`, 'latin1');
          socket.write(chunk);
          ok = socket.write('\r\n', 'latin1');
          socket.uncork();
        } else {
          ok = socket.write(chunk);
        }
        if (!ok) await drained(socket);
      }
      if (!current()) return;
      if (chunked) socket.write('0\r\n\r\n', 'latin1');
      this.#writing = false;
      // The answer may have been complete before the body was.
      if (this.#parser?.done) this.#finish();
    } catch (err) {
      if (this.#seq === seq) this.#fail(err);
    } finally {
      if (this.#seq === seq) this.#writing = false;
    }
  }

  #onHead(head: ResponseHead): void {
    this.#head = head;
    // The answer is given once this read is parsed: whole if its body came along.
    this.#collected = [];
  }

  /** Answers the caller after the read that brought the head: whole, or as a stream. */
  #deliver(complete: boolean): void {
    const head = this.#head as ResponseHead;
    const pieces = this.#collected as Buffer[];
    this.#collected = undefined;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    this.#reject = undefined;
    // Only a Content-Length (or empty) body: a chunked one keeps its framing when forwarded.
    if (complete && head.headers['transfer-encoding'] === undefined) {
      const whole = pieces.length === 0 ? EMPTY : pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
      resolve?.(new CompleteResponse(head, whole));
      return;
    }
    // Bound to this exchange: a body read or dropped late must not touch the next one.
    const seq = this.#seq;
    const body = new RawBody({
      resume: () => {
        if (this.#seq === seq) this.#socket.resume();
      },
      abandon: () => {
        if (this.#seq === seq) this.#fail(rawError('UND_ERR_ABORTED', 'response body abandoned'));
      },
    });
    this.#body = body;
    let flowing = true;
    for (const piece of pieces) flowing = body.push(piece);
    if (complete) body.push(null);
    else if (!flowing) this.#socket.pause();
    resolve?.({ statusCode: head.statusCode, headers: head.headers, body });
  }

  /**
   * Bytes read into a buffer that is reused for the next read (net.connect's `onread`, which
   * skips a buffer allocation and the stream machinery per read): a relayed response is
   * handed on before this returns (ResponseRelay copies what it keeps); the parsing path
   * keeps views of what it reads, so it gets a copy.
   */
  onRead(view: Buffer): void {
    this.#onData(this.#relay !== undefined ? view : Buffer.from(view));
  }

  #onData(chunk: Buffer): void {
    let relay = this.#relay;
    if (relay !== undefined) {
      this.#gotBytes = true;
      this.#activeAt = performance.now();
      let rest: Buffer | undefined = chunk;
      // Bounded: each pass completes a response, or returns.
      for (;;) {
        try {
          rest = relay.feed(rest);
        } catch (err) {
          this.#fail(err);
          return;
        }
        // Its target may have given up on it meanwhile (abort: the connection is gone).
        if (this.#relay !== relay) return;
        if (!relay.done) {
          if (relay.paused) {
            this.#socket.pause();
            // A client that reads slowly must not hold others' answers: the requests behind
            // this one are given up here (their answers will be read and dropped) and fail as
            // never answered, so they are sent again on another connection.
            if (this.#queue.length > 0) this.#detachQueued();
          }
          return;
        }
        if (this.#queue.length === 0 || !relay.keepsAlive) {
          this.#finish();
          return;
        }
        // Pipelined: what followed this response starts the next one.
        this.#startSlot(this.#queue.shift() as PassSlot);
        relay = this.#relay as ResponseRelay;
        if (rest === undefined) return;
      }
    }
    const parser = this.#parser;
    if (!this.#busy || parser === undefined) {
      // Bytes nobody asked for: the worker is confused; never reuse this connection.
      this.#socket.destroy();
      return;
    }
    this.#gotBytes = true;
    try {
      parser.feed(chunk);
    } catch (err) {
      this.#fail(err);
      return;
    }
    if (this.#collected !== undefined) this.#deliver(parser.done);
    if (parser.done) this.#finish();
  }

  #onEnd(): void {
    if (!this.#busy) return;
    const untilClose = this.#parser?.untilClose === true || this.#relay?.untilClose === true;
    if (!untilClose) return;
    this.#parser?.end();
    this.#relay?.end();
    this.#finish();
  }

  #headSeen(): boolean {
    return this.#relay !== undefined ? this.#relay.headSeen : this.#head !== undefined;
  }

  /** The pool's sweep: fails a relayed exchange without progress for its timeout. */
  checkTimeout(now: number): void {
    if (!this.#busy || this.#relay === undefined || this.#passTimeoutMs <= 0) return;
    if (now - this.#activeAt > this.#passTimeoutMs) this.#onTimeout();
  }

  /** Whether a relayed exchange is in flight (the pool sweeps only while there are). */
  get relaying(): boolean {
    return this.#busy && this.#relay !== undefined;
  }

  #onTimeout(): void {
    // The timer is the last request's, left armed (see idleSince). An idle connection is the
    // pool's to expire; closing it here threw away every connection idle longer than its last
    // request's timeout - a health probe's (500 ms, every second) reconnected each time.
    // The next request's first write re-arms the timer.
    if (!this.#busy) return;
    if (!this.#headSeen()) {
      this.#fail(rawError('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error'));
    } else if (!this.#socket.isPaused()) {
      // A paused socket is our consumer's slowness, not the worker's.
      this.#fail(rawError('UND_ERR_BODY_TIMEOUT', 'Body Timeout Error'));
    }
  }

  #onClose(): void {
    if (this.#busy) {
      const err = this.#socketError;
      this.#fail(
        !this.#headSeen()
          ? beforeResponseError(err, this.#reused && !this.#gotBytes)
          : (err ?? rawError('UND_ERR_SOCKET', 'other side closed')),
      );
    }
    this.#owner.closed(this);
  }

  /** The exchange completed: back to the pool, or closed when keep-alive is not possible. */
  #finish(): void {
    if (!this.#busy || this.#writing) {
      // A body still being sent makes the connection unusable; the pump stops on its own.
      if (this.#busy) {
        this.#end();
        this.#socket.destroy();
      }
      return;
    }
    const head = this.#head;
    const relay = this.#relay;
    // Pipelined requests still waiting: the worker closes after this response (it said so).
    const queued = this.#takeQueued();
    const reusable =
      queued.length === 0 &&
      !this.#socket.destroyed &&
      (relay !== undefined ? relay.reusable : head?.keepAlive === true && this.#parser?.extra === 0);
    if (reusable) this.maxIdleMs = idleLimitOf(relay !== undefined ? relay.keepAliveField : head?.headers['keep-alive']);
    this.#end();
    if (reusable) {
      // The last chunk may have filled the body's buffer and paused the socket.
      this.#socket.resume();
      this.#owner.release(this);
    } else {
      this.#socket.destroy();
      this.#failQueued(
        queued,
        new UnansweredError('the worker closed the connection after an earlier answer, before reading this request', false),
      );
    }
  }

  /** Fails the current exchange (before the head: the promise; after: the body) and the socket. */
  #fail(err: unknown): void {
    if (!this.#busy) return;
    const reject = this.#reject;
    const body = this.#body;
    const target = this.#target;
    const headSeen = this.#headSeen();
    const queued = this.#takeQueued();
    this.#end();
    this.#socket.destroy();
    if (target !== undefined) target.onFail(err, headSeen);
    else if (reject !== undefined) reject(err);
    else if (body !== undefined && !body.destroyed) body.destroy(err instanceof Error ? err : rawError('UND_ERR_SOCKET', String(err)));
    this.#failQueued(queued, err);
  }

  #end(): void {
    this.#busy = false;
    this.#writing = false;
    this.#seq++;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#signal = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#parser = undefined;
    this.#relay = undefined;
    this.#target = undefined;
    this.#slot = undefined;
    this.#body = undefined;
    this.#head = undefined;
    this.#collected = undefined;
  }

  #setTimeout(ms: number): void {
    if (ms === this.#timeoutMs) return;
    this.#timeoutMs = ms;
    this.#socket.setTimeout(ms);
  }
}

const HINT_MARGIN_MS = 1000;
const TIMEOUT_PARAM = /(?:^|[\s,;])timeout\s*=\s*(\d{1,9})/i;

/** `Keep-Alive: timeout=N, max=M` → N s less the margin (≤ 0: do not keep it idle at all). */
export function idleLimitOf(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  // A worker sends the same line every time: parse it once.
  if (value === lastHint) return lastLimit;
  const m = TIMEOUT_PARAM.exec(Array.isArray(value) ? value.join(',') : value);
  const limit = m === null ? undefined : Number(m[1]) * 1000 - HINT_MARGIN_MS;
  if (typeof value === 'string') {
    lastHint = value;
    lastLimit = limit;
  }
  return limit;
}
let lastHint: string | undefined;
let lastLimit: number | undefined;
