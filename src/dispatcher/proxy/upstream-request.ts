/**
 * One HTTP request to one upstream over its keep-alive pool. Shared by the forwarder,
 * the health checker and the parallel-jobs code, so they all use the same connections
 * and the same timeout semantics.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { toAbortSignal, type AbortLike } from '../../common/light-signal.js';
import type { Upstream } from '../upstreams/upstream.js';

export interface UpstreamRequestOptions {
  method: string;
  /** Origin-form path with query, e.g. `/ping` or `/fibonacci?num=10`. */
  path: string;
  /** Flat `[name, value, name, value…]` list (keeps order and repeats) or a record. */
  headers?: string[] | Record<string, string | string[]>;
  body?: string | Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array> | null;
  /** An AbortSignal, or a request's lighter `lightSignal` (the raw client takes it as is). */
  signal?: AbortLike;
  /**
   * Max wait for the response head once the request is on the wire, and max idle time
   * between body chunks; 0 disables. @default 30000
   */
  timeoutMs?: number;
  /** Header names are lower-case tokens and values hold no CR/LF/NUL (see RawRequestOptions). */
  headersValidated?: boolean;
  /** `probe` uses the upstream's dedicated health-check connection. @default 'pool' */
  via?: 'pool' | 'probe';
}

/** What callers use of a response; both clients give it (undici's `ResponseData` and more). */
export interface UpstreamResponse {
  statusCode: number;
  /** Lower-cased names; a repeated field is an array. */
  headers: IncomingHttpHeaders;
  /** Async-iterable with backpressure, plus undici's body mixin methods that callers use. */
  body: Readable & { text(): Promise<string>; json(): Promise<unknown>; dump(): Promise<void> };
  /** The whole body when it came with the head (raw client): no need to stream it. */
  complete?: Buffer;
}

export function upstreamRequest(upstream: Upstream, options: UpstreamRequestOptions): Promise<UpstreamResponse> {
  const timeout = options.timeoutMs ?? 30_000;
  if (upstream.client === 'raw') {
    const pool = options.via === 'probe' ? upstream.rawProbe : upstream.rawPool;
    return pool.request({ ...options, timeoutMs: timeout });
  }
  const dispatcher: Dispatcher = options.via === 'probe' ? upstream.probeClient : upstream.pool;
  return dispatcher.request<null>({
    method: options.method as Dispatcher.HttpMethod,
    path: options.path,
    headers: options.headers ?? null,
    // undici streams any (async) iterable body; its typings only list Readable.
    body: (options.body ?? null) as Dispatcher.RequestOptions['body'],
    signal: options.signal === undefined ? null : toAbortSignal(options.signal),
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
}
