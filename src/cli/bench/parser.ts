/**
 * Response framing for the load generator, through the codec's ResponseDecoder - the same
 * reader of answers as the upstream client - so the bench and the product agree on where
 * each answer ends: Content-Length, chunked (with trailers) or close-delimited, as
 * strictly. Bodies are counted, never copied. A head that repeats the last one the decoder
 * accepted, as a load test's answers do, takes that verdict again (repeat-head.ts says why
 * that is as strict): decoding every answer cost the bench more than the rest of its work
 * per request.
 */
import { ProtocolError } from '../../codec/errors.js';
import { ResponseDecoder } from '../../codec/response-decoder.js';
import { RepeatHead } from './repeat-head.js';

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

export interface ResponseParserOptions {
  /** Recognise repeats of the last decoded head (off: every head is decoded). @default true */
  repeats?: boolean;
}

export class ResponseParser {
  readonly #onResponse: (response: ParsedResponse) => void;
  /** One decoder per connection, reset per answer: nothing is allocated per response. */
  readonly #decoder = new ResponseDecoder('GET', EVENTS_NONE, { payload: false });
  readonly #repeats: boolean;
  /** The last head the decoder accepted, while its framing allows recognising repeats. */
  #last: RepeatHead | null = null;
  /** The answer being read is a repeat of #last: its body is skipped, not decoded. */
  #repeat: RepeatHead | null = null;
  /** Body bytes of that repeat still to come. */
  #skip = 0;
  /** A response has begun (bytes of it were fed) and has not completed. */
  #active = false;
  /** The next response answers a HEAD request, so it has no body whatever its headers say. */
  noBody = false;

  constructor(onResponse: (response: ParsedResponse) => void, options: ResponseParserOptions = {}) {
    this.#onResponse = onResponse;
    this.#repeats = options.repeats ?? true;
  }

  /** True between responses with nothing buffered. */
  get idle(): boolean {
    return !this.#active;
  }

  /** Parses `chunk[0, length)` (all of it by default); nothing of it is kept after the call. */
  execute(chunk: Buffer, length = chunk.length): void {
    let pos = 0;
    const decoder = this.#decoder;
    let input: Buffer | undefined;
    while (pos < length) {
      if (!this.#active) {
        this.#active = true;
        const last = this.#last;
        if (last !== null && last.noBody === this.noBody && last.matches(chunk, pos, length)) {
          this.#repeat = last;
          this.#skip = last.bodyBytes;
          pos += last.length;
          // Here, not in the skip below: a bodiless head may end the read, and the loop with it.
          if (this.#skip === 0) this.#completeRepeat();
          continue;
        }
        decoder.reset(this.noBody ? 'HEAD' : 'GET');
      }
      if (this.#repeat !== null) {
        const take = Math.min(this.#skip, length - pos);
        pos += take;
        this.#skip -= take;
        if (this.#skip === 0) this.#completeRepeat();
        continue;
      }
      input ??= length === chunk.length ? chunk : chunk.subarray(0, length);
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
    if (!this.#active || this.#repeat !== null || !this.#decoder.untilClose) return false;
    this.#decoder.end();
    this.#complete();
    return true;
  }

  #complete(): void {
    const decoder = this.#decoder;
    const head = decoder.head;
    this.#active = false;
    const noBody = this.noBody;
    this.noBody = false;
    if (head === undefined) return;
    if (this.#repeats) this.#last = RepeatHead.of(head, noBody);
    this.#onResponse({ status: head.status, keepAlive: head.framing.keepAlive, bodyBytes: decoder.bodyBytes });
  }

  #completeRepeat(): void {
    const r = this.#repeat as RepeatHead;
    this.#repeat = null;
    this.#active = false;
    this.noBody = false;
    // The repeat is its own answer: the same status, framing and body length every time.
    this.#onResponse(r);
  }
}
