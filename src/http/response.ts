/**
 * Response serializer. A whole body goes out as head + body in one socket write; a
 * streamed body uses chunked framing (HTTP/1.1) or is close-delimited (HTTP/1.0).
 */
import type { Socket } from 'node:net';
import { errorBody, type HttpError } from '../shared/errors.js';
import { httpDate } from './http-date.js';
import { reasonPhrase, statusHasBody } from './status.js';
import type { HttpResponse } from './types.js';

type HeaderValue = string | number | readonly string[];

/** What a response needs from its connection. */
export interface Exchange {
  readonly socket: Socket;
  readonly isHead: boolean;
  readonly httpMinor: 0 | 1;
  readonly requestId: string;
  /** Decides persistence when the head is written; false adds "Connection: close". */
  keepAliveFor(status: number, closeDelimited: boolean): boolean;
  /** The whole response has been handed to the socket. */
  responseFinished(): void;
}

export const JSON_TYPE = 'application/json; charset=utf-8';
const BAD_HEADER_VALUE = /[\r\n\0]/;
const LAST_CHUNK = '0\r\n\r\n';

export class Response implements HttpResponse {
  status = 200;
  headersSent = false;
  finished = false;
  bytesWritten = 0;
  readonly #ex: Exchange;
  #headers = new Map<string, [string, HeaderValue]>();
  #chunked = false;
  #bodyless = false;

  constructor(ex: Exchange) {
    this.#ex = ex;
  }

  setHeader(name: string, value: HeaderValue): this {
    const v = typeof value === 'number' ? value : value;
    if (typeof v === 'string' ? BAD_HEADER_VALUE.test(v) : typeof v !== 'number' && v.some((x) => BAD_HEADER_VALUE.test(x))) {
      throw new TypeError(`invalid characters in header ${name}`);
    }
    this.#headers.set(name.toLowerCase(), [name, value]);
    return this;
  }

  getHeader(name: string): HeaderValue | undefined {
    return this.#headers.get(name.toLowerCase())?.[1];
  }

  removeHeader(name: string): this {
    this.#headers.delete(name.toLowerCase());
    return this;
  }

  /** Drops everything a handler set, so an error response starts clean. */
  resetHeaders(): void {
    this.#headers.clear();
  }

  write(chunk: Buffer | string): boolean {
    if (this.finished) return false;
    if (!this.headersSent) this.#writeStreamingHead();
    const len = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (this.#bodyless || len === 0) return !this.#ex.socket.writableNeedDrain;
    this.bytesWritten += len;
    const s = this.#ex.socket;
    if (s.destroyed) return false;
    if (!this.#chunked) return s.write(chunk);
    s.cork();
    s.write(`${len.toString(16)}\r\n`);
    s.write(chunk);
    const ok = s.write('\r\n');
    s.uncork();
    return ok;
  }

  drain(): Promise<void> {
    const s = this.#ex.socket;
    if (!s.writableNeedDrain || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  end(chunk?: Buffer | string): void {
    if (this.finished) return;
    const s = this.#ex.socket;
    if (!this.headersSent) {
      const body = chunk ?? '';
      const len = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      if (!this.#headers.has('content-length') && statusHasBody(this.status)) this.setHeader('Content-Length', len);
      const head = this.#head('');
      this.#bodyless = this.#ex.isHead || !statusHasBody(this.status);
      if (this.#bodyless || len === 0) {
        if (!s.destroyed) s.write(head);
      } else if (typeof body === 'string') {
        if (!s.destroyed) s.write(head + body);
        this.bytesWritten += len;
      } else {
        if (!s.destroyed) {
          s.cork();
          s.write(head);
          s.write(body);
          s.uncork();
        }
        this.bytesWritten += len;
      }
    } else {
      if (chunk !== undefined) this.write(chunk);
      if (this.#chunked && !this.#bodyless && !s.destroyed) s.write(LAST_CHUNK);
    }
    this.finished = true;
    this.#ex.responseFinished();
  }

  json(status: number, value: unknown): void {
    this.send(status, JSON.stringify(value), JSON_TYPE);
  }

  send(status: number, body: Buffer | string, contentType = 'text/plain; charset=utf-8'): void {
    this.status = status;
    this.setHeader('Content-Type', contentType);
    this.end(body);
  }

  /** The SPEC §2 error response; previously set headers are dropped. */
  sendError(err: HttpError): void {
    this.resetHeaders();
    for (const [k, v] of Object.entries(err.headers)) this.setHeader(k, v);
    this.send(err.status, errorBody(err.code, err.message, this.#ex.requestId), JSON_TYPE);
  }

  /** Marks the response dead without writing (the socket is gone). */
  abandon(): void {
    this.finished = true;
  }

  #writeStreamingHead(): void {
    this.#bodyless = this.#ex.isHead || !statusHasBody(this.status);
    let framing = '';
    if (!this.#headers.has('content-length') && statusHasBody(this.status)) {
      if (this.#ex.httpMinor === 1) {
        this.#chunked = true;
        framing = 'Transfer-Encoding: chunked\r\n';
      }
    }
    const head = this.#head(framing);
    if (!this.#ex.socket.destroyed) this.#ex.socket.write(head);
  }

  #head(framing: string): string {
    this.headersSent = true;
    const st = this.status;
    let h = `HTTP/1.1 ${st} ${reasonPhrase(st)}\r\n`;
    for (const [, [name, v]] of this.#headers) {
      if (typeof v === 'object') for (const x of v) h += `${name}: ${x}\r\n`;
      else h += `${name}: ${v}\r\n`;
    }
    const closeDelimited = framing === '' && !this.#headers.has('content-length') && statusHasBody(st) && !this.#ex.isHead;
    const keepAlive = this.#ex.keepAliveFor(st, closeDelimited);
    h += `Date: ${httpDate()}\r\nX-Request-Id: ${this.#ex.requestId}\r\n`;
    if (!keepAlive) h += 'Connection: close\r\n';
    else if (this.#ex.httpMinor === 0) h += 'Connection: keep-alive\r\n';
    return `${h}${framing}\r\n`;
  }
}
