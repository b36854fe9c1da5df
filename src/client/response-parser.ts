/**
 * Incremental parser of one HTTP/1.1 response (RFC 9112): the head, then the body framed
 * by Content-Length, chunked coding (the engine's ChunkedDecoder: it validates and drops
 * trailers, which a proxy does not forward anyway) or the connection's close. Interim 1xx
 * heads are skipped; HEAD, 204 and 304 answers have no body.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { trimOws } from '../codec/chars.js';
import { ChunkedDecoder } from '../codec/chunked.js';
import { lowerName } from '../codec/request-head.js';
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

const enum State {
  Head,
  Length,
  Chunked,
  UntilClose,
  Done,
}

/** A worker's heads are small; a bigger one is a broken upstream, not a client to serve. */
const MAX_HEAD_BYTES = 64 * 1024;
/** NUL, or a CR or LF that is not part of a CRLF line end (RFC 9112 §2.2, §5.5). */
export const STRAY_BYTES = /\0|\r(?!\n)|(?<!\r)\n/;
export const CHUNK_LIMITS = Object.freeze({ maxChunkLineBytes: 4096, maxHeaderBytes: 16 * 1024, maxHeaders: 100 });
const HEAD_END = Buffer.from('\r\n\r\n');
const SIMPLE_LENGTH = /^\d{1,15}$/;

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
          const end = headEnd(buf, pos);
          if (end === -1) {
            this.#pending = Buffer.from(buf.subarray(pos));
            return;
          }
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
    // As strict as undici's llhttp: a field value with such bytes cannot be forwarded safely.
    if (STRAY_BYTES.test(text)) throw rawError('HPE_INVALID_RESPONSE', 'CR, LF or NUL out of place in the response head');
    let lineEnd = text.indexOf('\r\n');
    if (lineEnd === -1) lineEnd = text.length;
    const statusCode = statusCodeOf(text, lineEnd);
    const http10 = text.charCodeAt(7) === 0x30;
    const headers: IncomingHttpHeaders = {};
    // Field lines without splitting the head into an array: this runs once per forwarded request.
    for (let p = lineEnd + 2; p < text.length; ) {
      let e = text.indexOf('\r\n', p);
      if (e === -1) e = text.length;
      const colon = text.indexOf(':', p);
      if (colon <= p || colon > e) throw rawError('HPE_INVALID_RESPONSE', 'invalid header line');
      const name = lowerName(text.slice(p, colon));
      const value = trimOws(text.slice(colon + 1, e));
      const prev = headers[name];
      if (prev === undefined) headers[name] = value;
      else if (Array.isArray(prev)) prev.push(value);
      else headers[name] = [prev, value];
      p = e + 2;
    }
    if (statusCode < 200) {
      // 101 would switch protocols, which nothing here asks for.
      if (statusCode === 101) throw rawError('HPE_INVALID_RESPONSE', 'unexpected 101 Switching Protocols');
      return; // interim: the final head follows
    }
    const connection = joined(headers.connection)?.toLowerCase() ?? '';
    let keepAlive = !http10 && !/(?:^|,)\s*close\s*(?:,|$)/.test(connection);
    if (this.#noBody || statusCode === 204 || statusCode === 304) {
      this.#state = State.Done;
    } else if (headers['transfer-encoding'] !== undefined) {
      // Both would let a client downstream and us disagree on where the body ends (RFC 9112
      // §6.1); nginx refuses such an upstream answer too.
      if (headers['content-length'] !== undefined) throw rawError('HPE_INVALID_RESPONSE', 'both Transfer-Encoding and Content-Length');
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

/**
 * Where the response head starting at `pos` ends (the offset of its blank line's CRLF CRLF),
 * or -1 while it is incomplete; throws once it is larger than a worker's head can be.
 */
export function headEnd(buf: Buffer, pos: number): number {
  const end = buf.indexOf(HEAD_END, pos);
  if ((end === -1 ? buf.length : end) - pos > MAX_HEAD_BYTES) throw rawError('HPE_INVALID_RESPONSE', 'response head too large');
  return end;
}

/** The status code of `HTTP/1.x NNN[ reason]` checked without a regex. */
export function statusCodeOf(text: string, lineEnd: number): number {
  const c = (i: number): number => text.charCodeAt(i);
  const digit = (i: number, min: number): boolean => c(i) >= min && c(i) <= 0x39;
  const ok =
    lineEnd >= 12 &&
    text.startsWith('HTTP/1.') &&
    (c(7) === 0x30 || c(7) === 0x31) &&
    c(8) === 0x20 &&
    digit(9, 0x31) &&
    digit(10, 0x30) &&
    digit(11, 0x30) &&
    (lineEnd === 12 || c(12) === 0x20) &&
    noBareCrLf(text, lineEnd);
  if (!ok) throw rawError('HPE_INVALID_RESPONSE', `invalid status line ${JSON.stringify(text.slice(0, Math.min(lineEnd, 80)))}`);
  return (c(9) - 0x30) * 100 + (c(10) - 0x30) * 10 + (c(11) - 0x30);
}

/** The reason phrase holds no CR or LF: the first ones are the line's own CRLF (if any). */
function noBareCrLf(text: string, lineEnd: number): boolean {
  const cr = text.indexOf('\r', 12);
  const lf = text.indexOf('\n', 12);
  return lineEnd === text.length ? cr === -1 && lf === -1 : cr === lineEnd && lf === lineEnd + 1;
}

function joined(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** RFC 9112 §6.3: repeated equal values are one length; differing ones are an error. */
export function contentLength(value: string | string[]): number {
  if (typeof value === 'string' && SIMPLE_LENGTH.test(value)) return Number(value);
  const parts = (Array.isArray(value) ? value.join(',') : value).split(',').map((p) => p.trim());
  const first = parts[0];
  if (!/^\d{1,15}$/.test(first) || parts.some((p) => p !== first)) {
    throw rawError('HPE_INVALID_RESPONSE', `invalid content-length ${JSON.stringify(joined(value))}`);
  }
  return Number(first);
}
