/**
 * The body of one request as it arrives: decodes Content-Length or chunked framing,
 * enforces the route's limit, hands bytes to the handler's stream with backpressure,
 * sends "100 Continue" when the handler first reads, and - once the exchange is over -
 * reads and drops what is left within a budget so the next request can be found.
 * The connection owns the socket; the reader asks it for what it needs via BodySink.
 */
import type { Socket } from 'node:net';
import { type HttpError, asHttpError, httpError } from '../common/errors.js';
import { BodyDecoder, type BodyLimits, REQUEST_BODY_CODES } from '../codec/body-decoder.js';
import type { Framing } from '../codec/framing.js';
import { BodyStream } from './request.js';

/** What a body reader needs from its connection. */
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

export interface BodySink {
  /** The connection's socket: paused while the handler's stream is full, `100 Continue` written to it. */
  readonly socket: Socket;
  /** Bytes arrived or the handler pulled: the body timeout restarts. */
  progress(): void;
  /** A body being discarded is complete: the connection goes on with the next request. */
  discardEnded(): void;
  /** Broken framing, a limit or a truncated body; the handler's stream (if any) already has the error. */
  failed(hadConsumer: boolean): void;
}

export class BodyReader {
  readonly stream: BodyStream;
  readonly #sink: BodySink;
  readonly #limit: number;
  /** The handler's stream; null once the exchange is over and the rest is discarded. */
  #consumer: BodyStream | null;
  readonly #decoder: BodyDecoder;
  readonly #deliverFn = (data: Buffer): void => this.#deliver(data);
  #received = 0;
  #done = false;
  #continuePending: boolean;
  #paused = false;
  #discardBudget = 0;

  constructor(framing: Framing, limit: number, limits: BodyLimits, sink: BodySink) {
    this.#sink = sink;
    this.#limit = limit;
    this.#decoder = new BodyDecoder(framing.body, framing.contentLength, limits, REQUEST_BODY_CODES);
    this.#continuePending = framing.expectContinue;
    this.stream = new BodyStream(() => this.#pull());
    this.#consumer = this.stream;
  }

  get done(): boolean {
    return this.#done;
  }

  /** The client still owes us bytes: neither we (backpressure) nor it (100 Continue) are waiting. */
  get waitingForClient(): boolean {
    return !this.#done && !this.#paused && !this.#continuePending;
  }

  /** The client has not been told to send the body yet. */
  get continuePending(): boolean {
    return this.#continuePending;
  }

  /** Declared bytes still to come (-1 for chunked). */
  get remaining(): number {
    return this.#decoder.remaining;
  }

  /** Returns the bytes after the body (the next request), or null if all were body bytes. */
  feed(chunk: Buffer): Buffer | null {
    try {
      const used = this.#decoder.feed(chunk, 0, this.#deliverFn);
      if (!this.#decoder.done) return null;
      this.#end();
      return used < chunk.length ? chunk.subarray(used) : null;
    } catch (err) {
      this.fail(asHttpError(err) ?? httpError('BAD_REQUEST', 'malformed body'));
      return null;
    }
  }

  /** The exchange is over: read and drop the rest of the body, up to `budget` bytes. */
  discard(budget: number): void {
    this.#consumer = null;
    this.#paused = false;
    this.#discardBudget = budget;
  }

  /** The body can no longer complete: the handler's stream gets `err`; the sink is told. */
  fail(err: HttpError): void {
    if (this.#done) return;
    const hadConsumer = this.#abort(err);
    this.#sink.failed(hadConsumer);
  }

  /** Ends the body with `err` without telling the sink (the connection is already failing). */
  abort(err: HttpError): void {
    this.#abort(err);
  }

  #abort(err: HttpError): boolean {
    if (this.#done) return false;
    this.#done = true;
    const c = this.#consumer;
    c?.destroy(err);
    return c !== null;
  }

  #deliver(data: Buffer): void {
    if (data.length === 0) return;
    this.#received += data.length;
    if (this.#received > this.#limit) {
      throw httpError('PAYLOAD_TOO_LARGE', `body exceeds the limit of ${this.#limit} bytes`);
    }
    if (this.#consumer === null) {
      this.#discardBudget -= data.length;
      if (this.#discardBudget < 0) throw httpError('PAYLOAD_TOO_LARGE', 'unread body too large to discard');
      return;
    }
    if (!this.#consumer.push(data)) {
      this.#paused = true;
      this.#sink.socket.pause();
    }
  }

  #end(): void {
    this.#done = true;
    if (this.#consumer !== null) this.#consumer.push(null);
    else this.#sink.discardEnded();
  }

  #pull(): void {
    if (this.#done) return;
    if (this.#continuePending) {
      this.#continuePending = false;
      this.#sink.progress();
      if (!this.#sink.socket.destroyed) this.#sink.socket.write(CONTINUE);
    }
    if (this.#paused) {
      this.#paused = false;
      this.#sink.progress();
    }
    if (this.#sink.socket.isPaused()) this.#sink.socket.resume();
  }
}
