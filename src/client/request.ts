/**
 * The promise API over the handler interface: `request(pool, options)` resolves with the
 * status, headers and body of the answer (undici's `request()` shape), for callers that
 * read answers themselves - the health checker and the parallel jobs. Every such read is
 * bounded: `maxBytes` caps the body (TOO_LARGE past it) and `deadlineMs` the whole
 * exchange, so an upstream that streams forever costs a bounded amount of memory and time.
 */
import type { Readable } from 'node:stream';
import type { ResponseHead } from '../codec/response-head.js';
import { serializeRequestHead } from '../codec/request-serializer.js';
import type { AbortLike } from '../common/light-signal.js';
import { ResponseBody } from './body.js';
import { abortReason, clientError } from './errors.js';
import type { ExchangeControl, ResponseHandler } from './handler.js';
import type { Pool } from './pool.js';

export type RequestBody = string | Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array> | null | undefined;

export interface RequestOptions {
  method: string;
  /** Origin-form target, e.g. `/ping` or `/fibonacci?num=10`. */
  path: string;
  /** Flat `[name, value, …]` list (keeps order and repeats) or a record. */
  headers?: readonly string[] | Readonly<Record<string, string | readonly string[]>>;
  body?: RequestBody;
  /** An AbortSignal or the engine's lighter request signal. */
  signal?: AbortLike;
  /** Longest wait for the head once the request is written, and longest silence between body bytes; 0: none. @default 30000 */
  timeoutMs?: number;
  /** Longest time for the whole exchange, body read included; 0: none. @default 0 */
  deadlineMs?: number;
  /** Largest body accepted; a longer one fails with TOO_LARGE. @default 16 MiB */
  maxBytes?: number;
}

export interface ClientResponse {
  statusCode: number;
  /** Lower-cased names; a repeated field is an array. */
  headers: Record<string, string | string[]>;
  head: ResponseHead;
  /** Async-iterable with backpressure, plus text(), json(), dump(). */
  body: ResponseBody;
  /** The whole body, when it came with the head (no stream needed to read it). */
  complete?: Buffer;
}

export const REQUEST_DEFAULTS = Object.freeze({ timeoutMs: 30_000, deadlineMs: 0, maxBytes: 16 * 1024 * 1024 });

const NO_SOURCE = Object.freeze({ resume() {}, abandon() {} });

export function request(pool: Pool, options: RequestOptions): Promise<ClientResponse> {
  return new Promise<ClientResponse>((resolve, reject) => {
    const signal = options.signal;
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    let head: string;
    let body: Buffer | { stream: AsyncIterable<Uint8Array>; chunked: boolean } | undefined;
    try {
      const b = options.body;
      body =
        b === null || b === undefined
          ? undefined
          : typeof b === 'string'
            ? Buffer.from(b)
            : b instanceof Uint8Array
              ? Buffer.from(b.buffer, b.byteOffset, b.byteLength)
              : { stream: b as AsyncIterable<Uint8Array>, chunked: true };
      head = serializeRequestHead({
        method: options.method,
        target: options.path,
        headers: options.headers,
        host: pool.authority,
        body: body === undefined ? { kind: 'none' } : Buffer.isBuffer(body) ? { kind: 'length', length: body.length } : { kind: 'chunked' },
      });
    } catch (err) {
      reject(err);
      return;
    }
    const handler = new PromiseHandler(resolve, reject, options.maxBytes ?? REQUEST_DEFAULTS.maxBytes);
    const timeout = options.timeoutMs ?? REQUEST_DEFAULTS.timeoutMs;
    const control = pool.dispatch({
      head,
      body,
      handler,
      opts: { method: options.method, headersTimeoutMs: timeout, bodyTimeoutMs: timeout },
    });
    handler.bind(control, signal, options.deadlineMs ?? REQUEST_DEFAULTS.deadlineMs);
  });
}

/** Collects an answer for the promise API: whole when it arrives whole, else as a stream. */
class PromiseHandler implements ResponseHandler {
  readonly raw = false;
  readonly #resolve: (res: ClientResponse) => void;
  readonly #reject: (err: unknown) => void;
  readonly #maxBytes: number;
  #control: ExchangeControl | undefined;
  #signal: AbortLike | undefined;
  #timer: NodeJS.Timeout | undefined;
  #head: ResponseHead | undefined;
  /** Pieces of the read that brought the head, until the promise is settled. */
  #pieces: Buffer[] | undefined;
  #complete = false;
  #body: ResponseBody | undefined;
  #bytes = 0;
  #settled = false;
  #ended = false;
  readonly #onAbort = (): void => {
    if (this.#signal !== undefined) this.#fail(abortReason(this.#signal));
  };

  constructor(resolve: (res: ClientResponse) => void, reject: (err: unknown) => void, maxBytes: number) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#maxBytes = maxBytes;
  }

  bind(control: ExchangeControl, signal: AbortLike | undefined, deadlineMs: number): void {
    this.#control = control;
    if (this.#ended) return;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (deadlineMs > 0) {
      this.#timer = setTimeout(() => this.#fail(clientError('DEADLINE', `the exchange took longer than ${deadlineMs} ms`)), deadlineMs);
      this.#timer.unref();
    }
  }

  onHead(head: ResponseHead, _body: Buffer | undefined, complete: boolean): boolean {
    this.#head = head;
    this.#pieces = [];
    this.#complete = complete;
    if (complete) this.#finish();
    // The answer is given once this read is handled: whole if the body came along.
    queueMicrotask(() => this.#deliver());
    return true;
  }

  onData(data: Buffer, complete: boolean): boolean {
    this.#bytes += data.length;
    if (this.#bytes > this.#maxBytes) {
      this.#fail(clientError('TOO_LARGE', `the answer's body exceeds ${this.#maxBytes} bytes`));
      return true;
    }
    if (complete) this.#finish();
    // A view of a reused buffer: copied to be kept.
    const piece = data.length === 0 ? data : Buffer.from(data);
    if (this.#pieces !== undefined) {
      if (piece.length > 0) this.#pieces.push(piece);
      if (complete) this.#complete = true;
      return true;
    }
    const body = this.#body;
    if (body === undefined || body.destroyed) return true;
    const flowing = piece.length === 0 ? true : body.push(piece);
    if (complete) body.push(null);
    return flowing;
  }

  onError(err: unknown, _headSeen: boolean): void {
    this.#fail(err);
  }

  #deliver(): void {
    const head = this.#head as ResponseHead;
    const pieces = this.#pieces ?? [];
    this.#pieces = undefined;
    if (this.#settled) return;
    this.#settled = true;
    const headers = headersOf(head);
    if (this.#complete) {
      const whole = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
      const body = new ResponseBody(NO_SOURCE);
      if (whole.length > 0) body.push(whole);
      body.push(null);
      this.#resolve({ statusCode: head.status, headers, head, body, complete: whole });
      return;
    }
    const body = new ResponseBody({
      resume: () => this.#control?.resume(),
      abandon: () => {
        if (!this.#ended) this.#fail(clientError('ABORTED', 'response body abandoned'));
      },
    });
    this.#body = body;
    for (const piece of pieces) body.push(piece);
    this.#resolve({ statusCode: head.status, headers, head, body });
  }

  #finish(): void {
    this.#ended = true;
    this.#cleanup();
  }

  #fail(err: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#cleanup();
    this.#control?.abort();
    this.#pieces = undefined;
    if (!this.#settled) {
      this.#settled = true;
      this.#reject(err);
    } else if (this.#body !== undefined && !this.#body.destroyed) {
      this.#body.destroy(err instanceof Error ? err : clientError('SOCKET', String(err)));
    }
  }

  #cleanup(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** The head's fields as a record: lower-cased names, a repeated field as an array. */
function headersOf(head: ResponseHead): Record<string, string | string[]> {
  const list = head.fieldList();
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    const prev = out[name];
    if (prev === undefined) out[name] = list[i + 1];
    else if (Array.isArray(prev)) prev.push(list[i + 1]);
    else out[name] = [prev, list[i + 1]];
  }
  return out;
}
