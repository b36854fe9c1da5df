/**
 * Incremental parser of one HTTP/1.1 response (RFC 9112): the head, then the body framed
 * by Content-Length, chunked coding (the engine's ChunkedDecoder: it validates and drops
 * trailers, which a proxy does not forward anyway) or the connection's close. Interim 1xx
 * heads are skipped; HEAD, 204 and 304 answers have no body.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ChunkedDecoder } from '../../http/chunked-decoder.js';
import { rawError } from './errors.js';

export interface ResponseHead {
  statusCode: number;
  /** Lower-cased names; a repeated field becomes an array (as undici gives it). */
  headers: IncomingHttpHeaders;
  /** The connection may carry another request after this response. */
  keepAlive: boolean;
}

export interface ParserEvents {
  onHead(head: ResponseHead): void;
  /** A view into the fed buffer: copy it to keep it beyond the call. */
  onData(data: Buffer): void;
  onComplete(): void;
}

const enum State { Head, Length, Chunked, UntilClose, Done }

/** A worker's heads are small; a bigger one is a broken upstream, not a client to serve. */
const MAX_HEAD_BYTES = 64 * 1024;
const CHUNK_LIMITS = Object.freeze({ maxChunkLineBytes: 4096, maxHeaderBytes: 16 * 1024, maxHeaders: 100 });
const HEAD_END = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;

export class ResponseParser {
  readonly #noBody: boolean;
  readonly #events: ParserEvents;
  readonly #onData: (data: Buffer) => void;
  #state = State.Head;
  #pending: Buffer | undefined;
  #remaining = 0;
  #chunked: ChunkedDecoder | undefined;
  #extra = 0;

  constructor(method: string, events: ParserEvents) {
    this.#noBody = method === 'HEAD';
    this.#events = events;
    this.#onData = (data) => events.onData(data);
  }

  /** Bytes that followed the complete response (a protocol violation for one request). */
  get extra(): number {
    return this.#extra;
  }

  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Whether the head (of the final response) was parsed. */
  get headParsed(): boolean {
    return this.#state !== State.Head;
  }

  /** Whether the body ends with the connection (the caller then calls `end()` on EOF). */
  get untilClose(): boolean {
    return this.#state === State.UntilClose;
  }

  /** Feeds the bytes that arrived; throws a coded error on a malformed response. */
  feed(chunk: Buffer): void {
    let buf = chunk;
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    let pos = 0;
    // Bounded: every pass consumes a head or body bytes, or returns.
    while (pos < buf.length) {
      switch (this.#state) {
        case State.Head: {
          const end = buf.indexOf(HEAD_END, pos);
          if (end === -1) {
            if (buf.length - pos > MAX_HEAD_BYTES) throw rawError('HPE_INVALID_RESPONSE', 'response head too large');
            this.#pending = Buffer.from(buf.subarray(pos));
            return;
          }
          if (end - pos > MAX_HEAD_BYTES) throw rawError('HPE_INVALID_RESPONSE', 'response head too large');
          this.#head(buf.toString('utf8', pos, end));
          pos = end + 4;
          break;
        }
        case State.Length: {
          const n = Math.min(this.#remaining, buf.length - pos);
          this.#remaining -= n;
          const data = buf.subarray(pos, pos + n);
          pos += n;
          if (this.#remaining === 0) this.#state = State.Done;
          this.#events.onData(data);
          if (this.#state === State.Done) this.#events.onComplete();
          break;
        }
        case State.Chunked: {
          const decoder = this.#chunked as ChunkedDecoder;
          try {
            pos = decoder.feed(buf, pos, this.#onData);
          } catch (err) {
            throw rawError('HPE_INVALID_RESPONSE', `bad chunked response body: ${(err as Error).message}`, err);
          }
          if (decoder.done) {
            this.#state = State.Done;
            this.#events.onComplete();
          } else if (pos < buf.length) {
            // The decoder waits for the rest of a line it could not finish: keep a copy,
            // the socket may reuse its buffer.
            this.#pending = Buffer.from(buf.subarray(pos));
            return;
          }
          break;
        }
        case State.UntilClose:
          this.#events.onData(pos === 0 ? buf : buf.subarray(pos));
          return;
        case State.Done:
          this.#extra += buf.length - pos;
          return;
      }
    }
  }

  /** The connection reached EOF: completes a close-delimited body; false if cut short. */
  end(): boolean {
    if (this.#state === State.UntilClose) {
      this.#state = State.Done;
      this.#events.onComplete();
      return true;
    }
    return this.#state === State.Done;
  }

  #head(text: string): void {
    const lines = text.split('\r\n');
    const status = STATUS_LINE.exec(lines[0]);
    if (status === null) throw rawError('HPE_INVALID_RESPONSE', `invalid status line ${JSON.stringify(lines[0].slice(0, 80))}`);
    const statusCode = Number(status[2]);
    const headers: IncomingHttpHeaders = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      if (colon <= 0) throw rawError('HPE_INVALID_RESPONSE', 'invalid header line');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      const prev = headers[name];
      if (prev === undefined) headers[name] = value;
      else if (Array.isArray(prev)) prev.push(value);
      else headers[name] = [prev, value];
    }
    if (statusCode < 200) {
      // 101 would switch protocols, which nothing here asks for.
      if (statusCode === 101) throw rawError('HPE_INVALID_RESPONSE', 'unexpected 101 Switching Protocols');
      return; // interim: the final head follows
    }
    const http10 = status[1] === '0';
    const connection = joined(headers.connection)?.toLowerCase() ?? '';
    let keepAlive = !http10 && !/(?:^|,)\s*close\s*(?:,|$)/.test(connection);
    if (this.#noBody || statusCode === 204 || statusCode === 304) {
      this.#state = State.Done;
    } else if (headers['transfer-encoding'] !== undefined) {
      const codings = joined(headers['transfer-encoding']) ?? '';
      if (/(?:^|,)\s*chunked\s*$/i.test(codings)) {
        this.#chunked = new ChunkedDecoder(CHUNK_LIMITS);
        this.#state = State.Chunked;
      } else {
        this.#state = State.UntilClose;
        keepAlive = false;
      }
    } else if (headers['content-length'] !== undefined) {
      const length = contentLength(headers['content-length']);
      this.#remaining = length;
      this.#state = length === 0 ? State.Done : State.Length;
    } else {
      this.#state = State.UntilClose;
      keepAlive = false;
    }
    this.#events.onHead({ statusCode, headers, keepAlive });
    if (this.#state === State.Done) this.#events.onComplete();
  }
}

function joined(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** RFC 9112 §6.3: repeated equal values are one length; differing ones are an error. */
function contentLength(value: string | string[]): number {
  const parts = (Array.isArray(value) ? value.join(',') : value).split(',').map((p) => p.trim());
  const first = parts[0];
  if (!/^\d{1,15}$/.test(first) || parts.some((p) => p !== first)) {
    throw rawError('HPE_INVALID_RESPONSE', `invalid content-length ${JSON.stringify(joined(value))}`);
  }
  return Number(first);
}
