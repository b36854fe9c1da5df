/**
 * Response serializer. A whole body goes out as head + body in one write; a streamed
 * body uses chunked framing (HTTP/1.1) or is close-delimited (HTTP/1.0). Writes go
 * through the connection, which batches the responses of one read into one syscall.
 * The common path (json/send with no extra headers) allocates no header collection.
 */
import { isAscii } from 'node:buffer';
import type { Socket } from 'node:net';
import { errorBody, type HttpError } from '../common/errors.js';
import { drained } from '../common/drained.js';
import { dateLine } from '../codec/http-date.js';
import { statusHasBody, statusLine } from '../codec/status.js';
import { plainHeadEnd, plainHeadStart, relayedHeadMiddle } from './plain-head.js';
import type { HttpResponse } from './types.js';

type HeaderValue = string | number | readonly string[];

/** What a response needs from its connection. */
export interface ResponseSink {
  readonly socket: Socket;
  /** Decides persistence when the head is written; false adds "Connection: close". */
  keepAliveFor(status: number, closeDelimited: boolean): boolean;
  /** The `Keep-Alive: timeout=N` line of a persistent response ('' for none). */
  readonly keepAliveHint: string;
  /** Field lines every response of this server carries (e.g. `X-Worker-Id: w1\r\n`), built once. */
  readonly constantLines: string;
  /** Writes (or batches) response bytes in order; false = socket buffer full. */
  output(data: string | Buffer): boolean;
  /**
   * Writes latin1 text (a byte per character) after anything queued; `whole`: it is a whole
   * answer, which may wait for the end of the turn. False = socket buffer full.
   */
  outputLatin1(text: string, whole: boolean): boolean;
  /** The whole response has been handed over. */
  responseFinished(): void;
}

export const JSON_TYPE = 'application/json; charset=utf-8';
const BAD_HEADER_VALUE = /[\r\n\0]/;
const LAST_CHUNK = '0\r\n\r\n';
/** Buffer bodies up to this size may be sent as text with their head. */
const SMALL_BODY = 4096;
/** Relayed body bytes up to this size join their head as latin1 text (one write, no Buffer made). */
const SMALL_RELAYED = 2048;

let lastType = JSON_TYPE;
let lastTypeLine = `Content-Type: ${JSON_TYPE}\r\n`;

/** Bodies up to this many characters have their byte length kept while they repeat. */
const KEPT_LENGTH_CHARS = 1024;
let lastBody = '';
let lastBodyBytes = 0;

/** Buffer.byteLength(s), kept for the last short body: a constant answer is measured once. */
function byteLengthOf(s: string): number {
  if (s.length > KEPT_LENGTH_CHARS) return Buffer.byteLength(s);
  if (s !== lastBody) {
    lastBody = s;
    lastBodyBytes = Buffer.byteLength(s);
  }
  return lastBodyBytes;
}

/** "Content-Type: …\r\n"; a server mostly sends one or two types, so the last one is kept. */
function contentTypeLine(type: string): string {
  if (type !== lastType) {
    lastType = type;
    lastTypeLine = `Content-Type: ${type}\r\n`;
  }
  return lastTypeLine;
}

export class Response implements HttpResponse {
  status = 200;
  headersSent = false;
  finished = false;
  bytesWritten = 0;
  readonly #sink: ResponseSink;
  readonly #isHead: boolean;
  readonly #httpMinor: 0 | 1;
  readonly #requestId: string;
  #headers: Map<string, [string, HeaderValue]> | null = null;
  #chunked = false;
  #bodyless = false;
  /** A streamed response's head, held back to leave with the first body bytes (one syscall). */
  #pendingHead = '';

  constructor(sink: ResponseSink, isHead: boolean, httpMinor: 0 | 1, requestId: string) {
    this.#sink = sink;
    this.#isHead = isHead;
    this.#httpMinor = httpMinor;
    this.#requestId = requestId;
  }

  setHeader(name: string, value: HeaderValue): this {
    if (
      typeof value === 'string' ? BAD_HEADER_VALUE.test(value) : typeof value !== 'number' && value.some((x) => BAD_HEADER_VALUE.test(x))
    ) {
      throw new TypeError(`invalid characters in header ${name}`);
    }
    (this.#headers ??= new Map()).set(name.toLowerCase(), [name, value]);
    return this;
  }

  getHeader(name: string): HeaderValue | undefined {
    return this.#headers?.get(name.toLowerCase())?.[1];
  }

  removeHeader(name: string): this {
    this.#headers?.delete(name.toLowerCase());
    return this;
  }

  /** Drops everything a handler set, so an error response starts clean. */
  resetHeaders(): void {
    this.#headers = null;
  }

  write(chunk: Buffer | string): boolean {
    if (this.finished) return false;
    if (!this.headersSent) this.#writeStreamingHead();
    const len = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (this.#bodyless || len === 0) {
      // An empty write is how a handler asks for the head to go out now.
      this.#flushHead();
      return !this.#sink.socket.writableNeedDrain;
    }
    this.bytesWritten += len;
    const head = this.#pendingHead;
    this.#pendingHead = '';
    if (typeof chunk === 'string') {
      return this.#sink.output(this.#chunked ? `${head}${len.toString(16)}\r\n${chunk}\r\n` : head + chunk);
    }
    // A Buffer body: the pieces are corked so head, size line and data leave in one writev.
    const s = this.#sink.socket;
    s.cork();
    if (this.#chunked) this.#sink.output(`${head}${len.toString(16)}\r\n`);
    else if (head !== '') this.#sink.output(head);
    let ok = this.#sink.output(chunk);
    if (this.#chunked) ok = this.#sink.output('\r\n');
    s.uncork();
    return ok;
  }

  drain(): Promise<void> {
    return drained(this.#sink.socket);
  }

  end(chunk?: Buffer | string): void {
    if (this.finished) return;
    if (!this.headersSent) {
      this.#whole(chunk ?? '', undefined);
      return;
    }
    if (chunk !== undefined) this.write(chunk);
    const head = this.#pendingHead;
    this.#pendingHead = '';
    if (this.#chunked && !this.#bodyless) this.#sink.output(head + LAST_CHUNK);
    else if (head !== '') this.#sink.output(head);
    this.#done();
  }

  json(status: number, value: unknown): void {
    this.send(status, JSON.stringify(value), JSON_TYPE);
  }

  send(status: number, body: Buffer | string, contentType = 'text/plain; charset=utf-8'): void {
    if (this.finished) return;
    if (this.headersSent) {
      this.end(body);
      return;
    }
    this.status = status;
    this.#headers?.delete('content-type');
    this.#whole(body, contentType);
  }

  /** The SPEC §2 error response; previously set headers are dropped. */
  sendError(err: HttpError): void {
    this.resetHeaders();
    for (const k in err.headers) this.setHeader(k, err.headers[k]);
    this.send(err.status, errorBody(err.code, err.message, this.#requestId), JSON_TYPE);
  }

  /**
   * Writes a head that a relaying proxy took from upstream - `lines` is its status line and
   * fields, each CRLF-ended, without Date, X-Request-Id, Connection, Keep-Alive or the
   * blank line, which are added here - with the first body bytes `body`, framed as the
   * head says (the upstream's own framing, passed on as it came), in one write.
   * `complete`: nothing more follows. Returns false when the socket's buffer is full.
   */
  relayHead(status: number, lines: string, body: Buffer | undefined, complete: boolean, closeDelimited: boolean): boolean {
    if (this.headersSent) throw new Error('relayHead after the head was sent');
    this.status = status;
    this.headersSent = true;
    const keep = this.#sink.keepAliveFor(status, closeDelimited);
    const text = lines + relayedHeadMiddle(this.#sink.constantLines) + this.#requestId + plainHeadEnd(keep, 1, this.#sink.keepAliveHint);
    let ok: boolean;
    if (body === undefined || body.length === 0) ok = this.#sink.outputLatin1(text, complete);
    else if (body.length <= SMALL_RELAYED) ok = this.#sink.outputLatin1(text + body.toString('latin1'), complete);
    else {
      // The body is a view of a buffer its owner reuses: it is copied with the head.
      const out = Buffer.allocUnsafe(text.length + body.length);
      out.write(text, 0, 'latin1');
      body.copy(out, text.length);
      ok = this.#sink.output(out);
    }
    if (body !== undefined) this.bytesWritten += body.length;
    if (complete) this.#done();
    return ok;
  }

  /** More relayed body bytes as framed upstream (copied: `data` may be a reused buffer). `complete`: the last. */
  relayData(data: Buffer, complete: boolean): boolean {
    if (this.finished) return false;
    const ok = data.length === 0 ? !this.#sink.socket.writableNeedDrain : this.#sink.output(Buffer.from(data));
    this.bytesWritten += data.length;
    if (complete) this.#done();
    return ok;
  }

  /** Marks the response dead without writing (the socket is gone). */
  abandon(): void {
    this.finished = true;
  }

  /** A whole response: head and body in one output call. */
  #whole(body: Buffer | string, contentType: string | undefined): void {
    const st = this.status;
    const hasBody = statusHasBody(st);
    const len = typeof body === 'string' ? byteLengthOf(body) : body.length;
    const typeLine = contentType === undefined ? '' : contentTypeLine(contentType);
    let head: string;
    if (this.#headers === null) {
      this.headersSent = true;
      const keepAlive = this.#sink.keepAliveFor(st, false);
      const start = plainHeadStart(st, typeLine, hasBody ? len : -1, this.#sink.constantLines);
      head = start + this.#requestId + plainHeadEnd(keepAlive, this.#httpMinor, this.#sink.keepAliveHint);
    } else {
      const lengthLine = hasBody && !this.#headers.has('content-length') ? `Content-Length: ${len}\r\n` : '';
      head = this.#head(typeLine + lengthLine, false);
    }
    this.#bodyless = this.#isHead || !hasBody;
    if (this.#bodyless || len === 0) {
      this.#sink.output(head);
    } else if (typeof body === 'string') {
      this.#sink.output(head + body);
      this.bytesWritten = len;
    } else if (len <= SMALL_BODY && isAscii(body)) {
      // A small ASCII body (a forwarded JSON answer) joins the head as text: one plain
      // write, cheaper than a writev of two buffers. ASCII reads back byte for byte.
      this.#sink.output(head + body.toString('latin1'));
      this.bytesWritten = len;
    } else {
      // Corked, head and Buffer body (and any batched responses before them) leave in one writev.
      const s = this.#sink.socket;
      s.cork();
      this.#sink.output(head);
      this.#sink.output(body);
      s.uncork();
      this.bytesWritten = len;
    }
    this.#done();
  }

  #done(): void {
    this.finished = true;
    this.#sink.responseFinished();
  }

  #writeStreamingHead(): void {
    const hasBody = statusHasBody(this.status);
    this.#bodyless = this.#isHead || !hasBody;
    let framing = '';
    let closeDelimited = false;
    if (hasBody && this.#headers?.has('content-length') !== true) {
      if (this.#httpMinor === 1) {
        this.#chunked = true;
        framing = 'Transfer-Encoding: chunked\r\n';
      } else {
        closeDelimited = !this.#isHead;
      }
    }
    this.#pendingHead = this.#head(framing, closeDelimited);
    // Nothing will follow a bodyless head (HEAD, 204, 304): no reason to wait.
    if (this.#bodyless) this.#flushHead();
  }

  #flushHead(): void {
    if (this.#pendingHead === '') return;
    const head = this.#pendingHead;
    this.#pendingHead = '';
    this.#sink.output(head);
  }

  #head(extra: string, closeDelimited: boolean): string {
    this.headersSent = true;
    const st = this.status;
    let h = statusLine(st);
    if (this.#headers !== null) {
      for (const [, [name, v]] of this.#headers) {
        if (typeof v === 'object') for (const x of v) h += `${name}: ${x}\r\n`;
        else h += `${name}: ${v}\r\n`;
      }
    }
    const keepAlive = this.#sink.keepAliveFor(st, closeDelimited);
    return `${h}${extra}${this.#sink.constantLines}${dateLine()}X-Request-Id: ${this.#requestId}${plainHeadEnd(keepAlive, this.#httpMinor, this.#sink.keepAliveHint)}`;
  }
}
