/**
 * A forwarded request's body, taken from the client before a worker connection is
 * (nginx's request buffering): a body up to `bufferBytes` is read whole first, so a
 * client that sends slowly holds only its own connection to the dispatcher, never a
 * worker's, and the body can be sent again if an attempt fails. A larger body is streamed
 * - what was read so far, then the rest as it comes - under a minimum average rate and a
 * total deadline, so a slow client cannot hold a worker connection for long either; once
 * its sending began it cannot be replayed.
 */
import { httpError } from '../../common/errors.js';
import type { OutgoingBody } from '../../client/connection.js';
import type { HttpRequest } from '../../server/types.js';
import { ClientSideError } from './retry.js';

export interface ProxyBodyOptions {
  /** Bodies up to this many bytes are read whole before a worker is chosen. @default 65536 */
  bufferBytes: number;
  /** Longest time to stream a larger body to the worker. @default 60000 */
  deadlineMs: number;
  /** Lowest average rate (bytes/s) of a streamed body, checked after its first `graceMs`. @default 16384 */
  minRate: number;
  /** @default 5000 */
  graceMs: number;
}

export const PROXY_BODY_DEFAULTS: Readonly<ProxyBodyOptions> = Object.freeze({
  bufferBytes: 64 * 1024,
  deadlineMs: 60_000,
  minRate: 16 * 1024,
  graceMs: 5000,
});

export type ProxyBody = { readonly kind: 'none' } | { readonly kind: 'buffered'; readonly bytes: Buffer } | StreamedBody;

/** The head's framing line for `body` (none for a body-less request). */
export function framingLine(body: ProxyBody, declared: number | null): string {
  if (body.kind === 'none') return '';
  if (body.kind === 'buffered') return `content-length: ${body.bytes.length}\r\n`;
  return declared !== null ? `content-length: ${declared}\r\n` : 'transfer-encoding: chunked\r\n';
}

/** What the client connection writes for `body` in one attempt. */
export function outgoing(body: ProxyBody, declared: number | null): OutgoingBody | undefined {
  if (body.kind === 'none') return undefined;
  if (body.kind === 'buffered') return body.bytes;
  return { stream: body.attempt(), chunked: declared === null };
}

/** Reads the body up to the buffer size: whole (buffered) if it ends by then, else streamed. */
export async function takeBody(req: HttpRequest, options: ProxyBodyOptions): Promise<ProxyBody> {
  if (!req.hasBody) return { kind: 'none' };
  const declared = req.contentLength;
  if (declared !== null && declared > options.bufferBytes) return new StreamedBody(req, [], options);
  const iterator = req.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const prefix: Buffer[] = [];
  let size = 0;
  try {
    for (;;) {
      const { value, done } = await iterator.next();
      if (done) return { kind: 'buffered', bytes: prefix.length === 1 ? prefix[0] : Buffer.concat(prefix, size) };
      prefix.push(value);
      size += value.length;
      if (size > options.bufferBytes) return new StreamedBody(req, prefix, options, iterator);
    }
  } catch (err) {
    throw new ClientSideError(err);
  }
}

/** A body too large to buffer: sent once, as it arrives, within the rate and deadline. */
export class StreamedBody {
  readonly kind = 'streamed';
  readonly #req: HttpRequest;
  readonly #prefix: Buffer[];
  readonly #options: ProxyBodyOptions;
  readonly #iterator: AsyncIterator<Buffer> | undefined;
  /** Its sending began: another attempt cannot send it again. */
  spent = false;
  /** Bytes handed to the worker's connection so far. */
  sentBytes = 0;

  constructor(req: HttpRequest, prefix: Buffer[], options: ProxyBodyOptions, iterator?: AsyncIterator<Buffer>) {
    this.#req = req;
    this.#prefix = prefix;
    this.#options = options;
    this.#iterator = iterator;
  }

  /** The body for one attempt: the prefix read already, then the rest from the client. */
  attempt(): AsyncIterable<Uint8Array> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        self.spent = true;
        const started = performance.now();
        let sent = 0;
        const check = (): void => {
          const elapsed = performance.now() - started;
          const { deadlineMs, minRate, graceMs } = self.#options;
          if (deadlineMs > 0 && elapsed > deadlineMs) throw tooSlow(`the request body took longer than ${deadlineMs} ms`);
          if (minRate > 0 && elapsed > graceMs && (sent * 1000) / elapsed < minRate)
            throw tooSlow(`the request body came slower than ${minRate} bytes/s`);
        };
        for (const piece of self.#prefix) {
          sent += piece.length;
          self.sentBytes = sent;
          yield piece;
        }
        const rest = self.#iterator ?? (self.#req.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
        for (;;) {
          let next: IteratorResult<Buffer>;
          try {
            next = await rest.next();
          } catch (err) {
            throw new ClientSideError(err);
          }
          if (next.done) return;
          sent += next.value.length;
          self.sentBytes = sent;
          check();
          yield next.value;
        }
      },
    };
  }
}

function tooSlow(message: string): ClientSideError {
  return new ClientSideError(httpError('REQUEST_TIMEOUT', message));
}
