/**
 * Pass-through exchanges: an optional hook (HttpServerOptions.passThrough) that takes a
 * request without body off the engine's request and response objects, for a proxy that
 * relays bytes - the dispatcher's fast path. The engine still parses and checks the head,
 * owns the connection (keep-alive, pipelining order, timeouts, shutdown) and writes the
 * fields it always writes (Date, X-Request-Id, Connection/Keep-Alive); the taker supplies
 * the status line, the other fields and the body bytes. Whatever the taker cannot do, it
 * hands back before the head is written (fallback): the request then runs through the
 * handler as if it had never been taken.
 */
import type { Socket } from 'node:net';
import { dateLine } from '../codec/http-date.js';
import { drained } from '../common/drained.js';
import type { Handler } from './types.js';

/** Bodies up to this size are sent as text with the head. */
const SMALL_BODY = 2048;

export interface PassThrough {
  /** Takes the exchange (true: it answers through `ex`) or declines it (false: the handler runs). */
  take(ex: PassExchange): boolean;
}

/** What an exchange needs from its connection. */
export interface PassHost {
  readonly socket: Socket;
  readonly keepAliveHint: string;
  /** See PassExchange.memo. */
  memo: unknown;
  /** Decides persistence for a response with this status (false adds Connection: close). */
  passKeepAlive(status: number, closeDelimited: boolean): boolean;
  output(data: Buffer): boolean;
  /** Writes latin1 text (a byte per character), after anything queued. */
  outputLatin1(text: string): boolean;
  passFinished(ex: PassExchange): void;
  /** Runs the request through `handler` (the server's when undefined) with request/response objects. */
  passFallback(ex: PassExchange, handler: Handler | undefined): void;
  destroy(): void;
}

export class PassExchange {
  readonly method: string;
  /** The request-target as received (origin-form unless the taker checks). */
  readonly target: string;
  /** Percent-decoded path without query, as handlers see `req.path`. */
  readonly path: string;
  /** Flat list: lower-cased name, value… as the head parser gave them. */
  readonly fields: readonly string[];
  /** The request head as received, as latin1 text, up to its last field line's CRLF (no blank line). */
  readonly head: string;
  /** X-Request-Id: the client's if valid, else generated. */
  readonly id: string;
  readonly startedAt: number;
  /** Status of the head written, 0 before. */
  status = 0;
  /** Called once if the client goes away before the exchange finished. */
  onAbort: (() => void) | undefined;
  #host: PassHost;
  #done = false;

  constructor(
    host: PassHost,
    method: string,
    target: string,
    path: string,
    fields: readonly string[],
    head: string,
    id: string,
    startedAt: number,
  ) {
    this.#host = host;
    this.method = method;
    this.target = target;
    this.path = path;
    this.fields = fields;
    this.head = head;
    this.id = id;
    this.startedAt = startedAt;
  }

  /** A value the taker keeps per connection (e.g. what it derives from the client's address). */
  get memo(): unknown {
    return this.#host.memo;
  }

  set memo(value: unknown) {
    this.#host.memo = value;
  }

  get remoteAddress(): string {
    return this.#host.socket.remoteAddress ?? '';
  }

  get headSent(): boolean {
    return this.status !== 0;
  }

  get done(): boolean {
    return this.#done;
  }

  /**
   * Writes the response head - `lines` is the status line and fields, each CRLF-ended,
   * without the blank line and without Date, X-Request-Id, Connection or Keep-Alive - with
   * the first body bytes in the same write. `complete`: nothing more follows.
   * Returns false when the socket's buffer is full (see whenDrained).
   */
  sendHead(status: number, lines: string, body: Buffer | undefined, complete: boolean, closeDelimited: boolean): boolean {
    const host = this.#host;
    this.status = status;
    const keep = host.passKeepAlive(status, closeDelimited);
    const text = `${lines}${dateLine()}X-Request-Id: ${this.id}\r\n${keep ? host.keepAliveHint : 'Connection: close\r\n'}\r\n`;
    // One write: a small body joins the head as latin1 text (a byte per character, read
    // back exactly), which costs less than allocating a buffer for both or a writev.
    let ok: boolean;
    if (body === undefined) ok = host.outputLatin1(text);
    else if (body.length <= SMALL_BODY) ok = host.outputLatin1(text + body.toString('latin1'));
    else {
      const out = Buffer.allocUnsafe(text.length + body.length);
      out.write(text, 0, 'latin1');
      body.copy(out, text.length);
      ok = host.output(out);
    }
    if (complete) this.#finish();
    return ok;
  }

  /** More body bytes; `complete`: the last. Returns false when the socket's buffer is full. */
  write(data: Buffer, complete: boolean): boolean {
    const ok = data.length === 0 ? true : this.#host.output(data);
    if (complete) this.#finish();
    return ok;
  }

  /** Calls `fn` once the socket's buffer drained (or soon if the socket is gone). */
  whenDrained(fn: () => void): void {
    void drained(this.#host.socket).then(fn);
  }

  /** The response cannot be completed after its head: the connection is cut. */
  destroy(): void {
    this.#done = true;
    this.#host.destroy();
  }

  /**
   * Before the head: runs the request through `handler` (the server's when undefined)
   * with the engine's request and response objects instead, as if never taken.
   */
  fallback(handler?: Handler): void {
    if (this.headSent || this.#done) throw new Error('pass-through exchange cannot fall back after its head');
    this.#done = true;
    this.#host.passFallback(this, handler);
  }

  /** The connection closed under the exchange. */
  aborted(): void {
    if (this.#done) return;
    this.#done = true;
    this.onAbort?.();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#host.passFinished(this);
  }
}
