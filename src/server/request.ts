/** The request object handed to handlers, and its body stream. */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { FieldList } from './field-list.js';
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

export interface RequestInit {
  method: string;
  target: string;
  path: string;
  rawPath: string;
  rawQuery: string;
  httpMinor: 0 | 1;
  /** The parser's flat [name, value, …] field list. */
  fields: string[];
  /** The head as received (latin1), request line to the last field line's CRLF. */
  head: string;
  /** Host header value or an absolute-form target's authority ('' when absent). */
  host: string;
  /** Peer address is read from it on demand (getpeername is a syscall). */
  socket: Socket;
  id: string;
  contentLength: number | null;
  body: Readable | null;
  /** performance.now() when the request arrived. */
  startedAt: number;
}

export class Request implements HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly httpMinor: 0 | 1;
  readonly id: string;
  readonly #socket: Socket;
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

  constructor(init: RequestInit) {
    this.method = init.method;
    this.target = init.target;
    this.path = init.path;
    this.rawPath = init.rawPath;
    this.rawQuery = init.rawQuery;
    this.httpMinor = init.httpMinor;
    this.#fields = init.fields;
    this.rawHead = init.head;
    this.#host = init.host;
    this.#socket = init.socket;
    this.id = init.id;
    this.contentLength = init.contentLength;
    this.hasBody = init.body !== null;
    this.#body = init.body;
    this.startedAt = init.startedAt;
  }

  get remoteAddress(): string {
    return this.#socket.remoteAddress ?? '';
  }

  get remotePort(): number {
    return this.#socket.remotePort ?? 0;
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
