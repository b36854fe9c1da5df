/**
 * Response framing for the load generator, through the codec's ResponseDecoder - the same
 * reader of answers as the upstream client - so the bench and the product agree on where
 * each answer ends: Content-Length, chunked (with trailers) or close-delimited, as
 * strictly. Bodies are counted, never copied.
 */
import { ProtocolError } from '../../codec/errors.js';
import { ResponseDecoder } from '../../codec/response-decoder.js';

export interface ParsedResponse {
  readonly status: number;
  /** False when the server asked to close or the body ran to end of stream. */
  readonly keepAlive: boolean;
  readonly bodyBytes: number;
}

export class ResponseParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResponseParseError';
  }
}

const EVENTS_NONE = { onHead() {}, onData() {} };

export class ResponseParser {
  readonly #onResponse: (response: ParsedResponse) => void;
  /** One decoder per connection, reset per answer: nothing is allocated per response. */
  readonly #decoder = new ResponseDecoder('GET', EVENTS_NONE, { payload: false });
  /** A response has begun (bytes of it were fed) and has not completed. */
  #active = false;
  /** The next response answers a HEAD request, so it has no body whatever its headers say. */
  noBody = false;

  constructor(onResponse: (response: ParsedResponse) => void) {
    this.#onResponse = onResponse;
  }

  /** True between responses with nothing buffered. */
  get idle(): boolean {
    return !this.#active;
  }

  /** Parses `chunk[0, length)` (all of it by default); nothing of it is kept after the call. */
  execute(chunk: Buffer, length = chunk.length): void {
    let pos = 0;
    const decoder = this.#decoder;
    const input = length === chunk.length ? chunk : chunk.subarray(0, length);
    while (pos < length) {
      if (!this.#active) {
        decoder.reset(this.noBody ? 'HEAD' : 'GET');
        this.#active = true;
      }
      try {
        pos = decoder.feed(input, pos);
      } catch (err) {
        throw new ResponseParseError(err instanceof ProtocolError ? err.message : String(err));
      }
      if (decoder.done) this.#complete();
    }
  }

  /** At end of stream: true when that completed a close-delimited response. */
  end(): boolean {
    if (!this.#active || !this.#decoder.untilClose) return false;
    this.#decoder.end();
    this.#complete();
    return true;
  }

  #complete(): void {
    const decoder = this.#decoder;
    const head = decoder.head;
    this.#active = false;
    this.noBody = false;
    if (head === undefined) return;
    this.#onResponse({ status: head.status, keepAlive: head.framing.keepAlive, bodyBytes: decoder.bodyBytes });
  }
}
