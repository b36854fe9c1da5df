/**
 * The surface handlers see. The engine (server.ts, connection.ts) implements it;
 * the worker, the static handler and the dispatcher code against these types only.
 */
import type { Readable } from 'node:stream';
import type { AbortLike } from '../common/light-signal.js';

/** Header names are lower-cased; repeated headers keep every value in order. */
export interface HeaderMap {
  get(name: string): string | undefined; // repeated fields joined with ", " (set-cookie excluded)
  getAll(name: string): string[];
  has(name: string): boolean;
  /** [lowercased name, value] in wire order. */
  entries(): Iterable<[string, string]>;
}

export interface HttpRequest {
  readonly method: string;
  /** The request-target exactly as received. */
  readonly target: string;
  /** Percent-decoded path, without query (absolute-form reduced to its path). */
  readonly path: string;
  /** Path as received, still percent-encoded, without query. */
  readonly rawPath: string;
  /** Raw query string without the '?', '' when absent. */
  readonly rawQuery: string;
  /** Decoded query parameters ('+' is a space, as in URLSearchParams). First value wins in get(). */
  readonly query: URLSearchParams;
  /** Route parameters (":name" segments), filled by the router. */
  params: Record<string, string>;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly httpMinor: 0 | 1;
  readonly headers: HeaderMap;
  /** Host header (or the authority of an absolute-form target), lower-cased, port stripped. */
  readonly hostname: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** X-Request-Id: the client's if valid, else generated. Always echoed on the response. */
  readonly id: string;
  /** Declared body length; null for chunked; 0 when there is no body. */
  readonly contentLength: number | null;
  readonly hasBody: boolean;
  /**
   * The body as a byte stream with backpressure (chunked framing already removed).
   * Reading it sends "100 Continue" first when the client asked for it.
   * Errors with an HttpError (413, 408, 400) if the client misbehaves mid-body.
   * Handlers that do not read it leave the engine to drain or discard it.
   */
  readonly body: Readable;
  /** Aborted when the client connection closes before the response is finished. */
  readonly signal: AbortSignal;
  /** Whether that happened (reading it creates no AbortController). */
  readonly aborted: boolean;
  /** The same event as `signal` without an EventTarget per request, for hot paths. */
  readonly lightSignal: AbortLike;
  /** Start time (performance.now()). */
  readonly startedAt: number;
  /** The head as received (latin1), request line to the last field line's CRLF. */
  readonly rawHead: string;
  /** The parsed fields as a flat [lower-cased name, value, …] list in wire order. */
  readonly fieldList: readonly string[];
}

export interface HttpResponse {
  status: number;
  setHeader(name: string, value: string | number | readonly string[]): this;
  getHeader(name: string): string | number | readonly string[] | undefined;
  removeHeader(name: string): this;
  readonly headersSent: boolean;
  /** True once end() was called or the connection died. */
  readonly finished: boolean;
  /**
   * Streams a body chunk. Without a Content-Length header set beforehand the engine uses
   * chunked framing (or close-delimited for HTTP/1.0). Returns false when the socket buffer
   * is full: wait for drain() before writing more.
   */
  write(chunk: Buffer | string): boolean;
  /** Resolves when the socket can take more (immediately if it can). */
  drain(): Promise<void>;
  /** Finishes the response, optionally with a last chunk (sets Content-Length if nothing was written yet). */
  end(chunk?: Buffer | string): void;
  /** Sends a whole JSON response: application/json; charset=utf-8. */
  json(status: number, value: unknown): void;
  /** Sends a whole response with the given content type. */
  send(status: number, body: Buffer | string, contentType?: string): void;
  /** Bytes of body written so far. */
  readonly bytesWritten: number;
  /**
   * Writes a head a relaying proxy took from upstream (its status line and fields, each
   * CRLF-ended, without Date, X-Request-Id, Connection, Keep-Alive or the blank line) with
   * the first body bytes, framed as that head says. False when the socket's buffer is full.
   */
  relayHead(status: number, lines: string, body: Buffer | undefined, complete: boolean, closeDelimited: boolean): boolean;
  /** More relayed body bytes, framed as upstream framed them (copied). `complete`: the last. */
  relayData(data: Buffer, complete: boolean): boolean;
}

export type Handler = (req: HttpRequest, res: HttpResponse) => void | Promise<void>;
