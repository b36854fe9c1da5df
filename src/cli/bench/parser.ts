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
  #decoder: ResponseDecoder | undefined;
  #bodyBytes = 0;
  /** The next response answers a HEAD request, so it has no body whatever its headers say. */
  noBody = false;

  constructor(onResponse: (response: ParsedResponse) => void) {
    this.#onResponse = onResponse;
  }

  /** True between responses with nothing buffered. */
  get idle(): boolean {
    return this.#decoder === undefined;
  }

  execute(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      const decoder = this.#decoder ?? this.#start();
      try {
        pos = decoder.feed(chunk, pos);
      } catch (err) {
        throw new ResponseParseError(err instanceof ProtocolError ? err.message : String(err));
      }
      if (decoder.done) this.#complete(decoder);
    }
  }

  /** At end of stream: true when that completed a close-delimited response. */
  end(): boolean {
    const decoder = this.#decoder;
    if (decoder === undefined || !decoder.untilClose) return false;
    decoder.end();
    this.#complete(decoder);
    return true;
  }

  #start(): ResponseDecoder {
    this.#bodyBytes = 0;
    const decoder = new ResponseDecoder(this.noBody ? 'HEAD' : 'GET', {
      ...EVENTS_NONE,
      onData: (data: Buffer) => {
        this.#bodyBytes += data.length;
      },
    });
    this.#decoder = decoder;
    return decoder;
  }

  #complete(decoder: ResponseDecoder): void {
    const head = decoder.head;
    this.#decoder = undefined;
    this.noBody = false;
    if (head === undefined) return;
    this.#onResponse({ status: head.status, keepAlive: head.framing.keepAlive, bodyBytes: this.#bodyBytes });
  }
}
