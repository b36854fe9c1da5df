/** The request object handed to handlers, and its body stream. */
import { Readable } from 'node:stream';
import type { Framing } from '../codec/framing.js';
import type { ParsedHead } from '../codec/request-head.js';
import type { Target } from '../codec/target.js';
import { FieldList } from './field-list.js';
import type { Peer } from './peer.js';
import { requestIdFor } from './request-id.js';
import { LightSignal, type AbortLike } from '../common/light-signal.js';
import { hostnameOf } from '../codec/target.js';
import type { HeaderMap, HttpRequest } from './types.js';

/** A request body: the connection pushes decoded bytes; reading pulls from the socket. */
export class BodyStream extends Readable {
  readonly #pull: () => void;

  constructor(pull: () => void) {
    super({ highWaterMark: 64 * 1024 });
    this.#pull = pull;
    // Body errors (413, 408, client gone) must never crash the process when a handler
    // ignores its body; consumers that read it still see the error (pipeline, for await).
    this.on('error', () => {});
  }

  override _read(): void {
    this.#pull();
  }
}

export class Request implements HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly httpMinor: 0 | 1;
  readonly id: string;
  readonly #peer: Peer;
  readonly contentLength: number | null;
  readonly hasBody: boolean;
  readonly startedAt: number;
  readonly #fields: string[];
  /** The head as received (latin1), request line to the last field line's CRLF: what a relaying proxy sends on. */
  readonly rawHead: string;
  readonly #host: string;
  #hostname: string | undefined;
  #headers: HeaderMap | undefined;
  #params: Record<string, string> | undefined;
  #query: URLSearchParams | undefined;
  #body: Readable | null;
  #abort: AbortController | undefined;
  #light: LightSignal | undefined;
  #aborted = false;

  /**
   * The request of a parsed head: `path` is the target's decoded path; `peer` gives the
   * client's address (read once per connection); `startedAt` is performance.now()
   * when it arrived.
   */
  constructor(head: ParsedHead, framing: Framing, target: Target, path: string, peer: Peer, body: Readable | null, startedAt: number) {
    this.method = head.method;
    this.target = head.target;
    this.path = path;
    this.rawPath = target.rawPath;
    this.rawQuery = target.rawQuery;
    this.httpMinor = head.httpMinor;
    this.#fields = head.fields;
    this.rawHead = head.text;
    this.#host = target.authority ?? framing.host;
    this.#peer = peer;
    this.id = requestIdFor(framing.requestId);
    this.contentLength = framing.body === 'chunked' ? null : framing.contentLength;
    this.hasBody = body !== null;
    this.#body = body;
    this.startedAt = startedAt;
  }

  get remoteAddress(): string {
    return this.#peer.remoteAddress;
  }

  get remotePort(): number {
    return this.#peer.remotePort;
  }

  // Lazy: most requests never look at their headers, params, query, body or signal, and
  // each costs an allocation.
  /** The parser's flat [lower-cased name, value, …] list, in wire order (do not mutate). */
  get fieldList(): readonly string[] {
    return this.#fields;
  }

  get headers(): HeaderMap {
    return (this.#headers ??= new FieldList(this.#fields));
  }

  get hostname(): string {
    return (this.#hostname ??= hostnameOf(this.#host));
  }

  get params(): Record<string, string> {
    return (this.#params ??= {});
  }

  /** Set by the router for ":param" routes. */
  set params(value: Record<string, string>) {
    this.#params = value;
  }

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.rawQuery));
  }

  get body(): Readable {
    if (this.#body === null) {
      this.#body = new Readable({
        read() {
          this.push(null);
        },
      });
    }
    return this.#body;
  }

  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#aborted) this.#abort.abort();
    }
    return this.#abort.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get lightSignal(): AbortLike {
    if (this.#light === undefined) {
      this.#light = new LightSignal();
      if (this.#aborted) this.#light.abort(abortError());
    }
    return this.#light;
  }

  /** Called by the connection when the client goes away before the response is done. */
  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abort?.abort();
    this.#light?.abort(abortError());
  }
}

/** The reason an AbortController gives by default, for the light signal too. */
function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}
