/**
 * One client connection: parses requests as bytes arrive, runs one exchange at a time
 * (pipelined requests wait in the buffer, so responses go out strictly in order), feeds
 * request bodies with backpressure, and enforces the per-connection limits and timeouts.
 */
import type { Socket } from 'node:net';
import { type Framing, requestFraming } from '../codec/framing.js';
import { HeadScan, type ParsedHead, parseHead } from '../codec/request-head.js';
import { decodePath, parseTarget } from '../codec/target.js';
import { asHttpError, HttpError, httpError } from '../common/errors.js';
import { BodyReader } from './body-reader.js';
import { keepsAlive, timeoutVerdict } from './connection-rules.js';
import { InputBuffer } from './input-buffer.js';
import type { EngineOptions } from './options.js';
import { type BodyStream, Request } from './request.js';
import { requestIdFor } from './request-id.js';
import { Response, type ResponseSink } from './response.js';
import { Output } from './output.js';
import { Peer } from './peer.js';
import { runHandler } from './run-handler.js';
import type { Handler } from './types.js';
import { type UpgradeHook, upgradeRequestOf } from './upgrade.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly options: EngineOptions;
  /** The `Keep-Alive: timeout=N` line for persistent responses ('' for none). */
  readonly keepAliveHint: string;
  /** Field lines every response carries (HttpServerOptions.constantHeaders). */
  readonly constantLines: string;
  readonly handler: Handler;
  readonly closing: boolean;
  bodyLimit(method: string, path: string): number;
  requestDone(req: Request, res: Response): void;
  handlerFailed(err: unknown, req: Request | undefined): void;
  released(conn: Connection): void;
  /** Offered `Connection: upgrade` requests (see upgrade.ts); undefined: none are. */
  readonly upgrade: UpgradeHook | undefined;
  /** Exchanges whose handler runs (counted by the connections). */
  inFlight: number;
}

export class Connection implements ResponseSink {
  readonly #socket: Socket;
  readonly #peer: Peer;
  readonly #host: ConnectionHost;
  readonly #opts: EngineOptions;
  readonly keepAliveHint: string;
  readonly constantLines: string;
  readonly #input = new InputBuffer();
  /** Progress through a head that is still incomplete. */
  readonly #scan = new HeadScan();
  #current: { req: Request; res: Response; framing: Framing } | null = null;
  /** Response bytes; those produced while parsing one read leave with one syscall at its end. */
  readonly #output: Output;
  #body: BodyReader | null = null;
  #served = 0;
  #closeAfter = false;
  /** A request said Connection: close (or was HTTP/1.0 without keep-alive). */
  #clientCloses = false;
  #closed = false;
  #inLoop = false;
  /** performance.now() ms, read once per socket read for all it triggers synchronously; later work reads it again. */
  #now = performance.now();
  /** When the current phase started (idle, head or last body byte). */
  #since = this.#now;
  #headStarted = 0;
  /** When we half-closed (0 = not yet). */
  #endingSince = 0;
  readonly #handlerHost = {
    handlerFailed: (err: unknown, req: Request): void => this.#host.handlerFailed(err, req),
    cut: (): void => this.#destroy(),
  };

  constructor(socket: Socket, host: ConnectionHost) {
    this.#socket = socket;
    this.#peer = new Peer(socket);
    this.#host = host;
    this.#opts = host.options;
    this.keepAliveHint = host.keepAliveHint;
    this.constantLines = host.constantLines;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#output = new Output(socket);
    socket.on('error', () => {}); // 'close' follows; nothing to answer
    socket.on('end', () => this.#onEnd());
    socket.on('close', () => this.#onClose());
  }

  get socket(): Socket {
    return this.#socket;
  }

  output(data: string | Buffer): boolean {
    return this.#output.write(data);
  }

  outputLatin1(text: string, whole: boolean): boolean {
    return whole ? this.#output.writeLatin1Soon(text) : this.#output.writeLatin1(text);
  }

  keepAliveFor(status: number, closeDelimited: boolean): boolean {
    const cur = this.#current;
    return cur !== null && this.#decideKeepAlive(cur.framing, status, closeDelimited);
  }

  responseFinished(): void {
    this.#finished();
  }

  get busy(): boolean {
    return this.#current !== null || this.#input.length > 0;
  }

  /** Periodic check from the server's timer: header, body, send and keep-alive timeouts. */
  checkTimeouts(now: number): void {
    if (this.#closed) return;
    const b = this.#body;
    const receivingBody = b !== null && !b.done;
    const awaitingBody = receivingBody && b.waitingForClient && !this.#socket.isPaused();
    const clocks = { now, output: this.#output, endingSince: this.#endingSince, since: this.#since, headStarted: this.#headStarted };
    const phase = { receivingBody, awaitingBody, handling: this.#current !== null, headPending: this.#input.length > 0 };
    const verdict = timeoutVerdict({ ...clocks, ...phase, closing: this.#host.closing, fresh: this.#served === 0 }, this.#opts);
    if (verdict === 'destroy') this.#destroy();
    else if (verdict === 'body') this.#fail(httpError('REQUEST_TIMEOUT', `no body bytes for ${this.#opts.bodyTimeoutMs} ms`));
    else if (verdict === 'head')
      this.#fail(httpError('REQUEST_TIMEOUT', `request head not received within ${this.#opts.headerTimeoutMs} ms`));
  }

  /** Graceful shutdown: idle connections close now, busy ones after their response. */
  shutdown(): void {
    this.#closeAfter = true;
    if (this.#current === null && this.#input.length === 0 && this.#body === null) this.#destroy();
  }

  destroy(): void {
    this.#destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    const now = (this.#now = performance.now());
    let rest: Buffer | null = chunk;
    if (this.#body !== null && !this.#body.done) {
      this.#since = now;
      rest = this.#body.feed(chunk);
      if (rest === null) return;
    }
    if (this.#input.length === 0) this.#headStarted = now;
    this.#input.append(rest);
    if (this.#current === null && (this.#body === null || this.#body.done)) {
      this.#loop(now);
    } else if (this.#input.length > this.#opts.maxHeaderBytes + this.#opts.maxUriBytes) {
      // Pipelined bytes pile up while an exchange runs: stop reading until it ends.
      this.#socket.pause();
    }
  }

  #onEnd(): void {
    // The client half-closed. A body cut short can never complete: fail it.
    const b = this.#body;
    if (b !== null && !b.done) {
      b.fail(httpError('BAD_REQUEST', 'connection closed before the body was complete'));
      return;
    }
    // A client that shuts its side while its answer is being worked on has given up (as
    // nginx takes it): the handler hears so at once and upstream work stops.
    if (this.#current !== null) {
      this.#destroy();
      return;
    }
    // Otherwise answer what it sent before, then close our side.
    if (this.#input.length > 0) this.#loop(performance.now());
    if (this.#current === null) this.#endSoon();
    else this.#closeAfter = true;
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#body?.abort(httpError('BAD_REQUEST', 'client closed the connection before the body was complete'));
    if (this.#current !== null) {
      this.#host.inFlight--;
      this.#current.req.abort();
      this.#current.res.abandon();
      this.#current = null;
    }
    this.#input.clear();
    this.#host.released(this);
  }

  /** Parses and runs requests from the buffer until one is still running or bytes run out. */
  #loop(now: number): void {
    if (this.#inLoop) return;
    this.#inLoop = true;
    this.#now = now;
    // Responses of requests handled synchronously in this pass go out in one write.
    this.#output.batching = true;
    try {
      while (this.#current === null && this.#input.length > 0 && !this.#closed && !this.#closeAfter) {
        if (this.#body !== null && !this.#body.done) break;
        const buf = this.#input.bytes as Buffer;
        let head: ParsedHead | null;
        try {
          head = parseHead(buf, this.#opts, this.#scan);
        } catch (err) {
          this.#fail(err);
          break;
        }
        if (head === null) break;
        this.#scan.reset();
        const rest = head.end < buf.length ? buf.subarray(head.end) : null;
        this.#input.clear();
        try {
          this.#start(head, rest);
        } catch (err) {
          this.#fail(err);
          break;
        }
        // An upgrade hook took the socket (and the bytes after the head).
        if (this.#closed) break;
        if (rest !== null) {
          if (this.#body !== null && !this.#body.done) this.#input.reset(this.#body.feed(rest));
          else this.#input.reset(rest);
          if (this.#input.length > 0) this.#headStarted = now;
        }
      }
    } finally {
      this.#inLoop = false;
      this.#output.batching = false;
      this.#output.flushSoon();
    }
    if (this.#current === null && this.#input.length === 0 && !this.#closed) {
      this.#scan.forget();
      this.#since = now;
      if (this.#closeAfter) this.#endSoon();
      else if (this.#socket.isPaused()) this.#socket.resume();
    }
  }

  /** Runs the request whose head is `head`; `rest` holds the bytes that followed it. */
  #start(head: ParsedHead, rest: Buffer | null): void {
    const framing = requestFraming(head);
    if (head.method === 'CONNECT') throw httpError('NOT_IMPLEMENTED', 'CONNECT is not supported');
    const t = parseTarget(head.method, head.target);
    const path = t.rawPath === '*' ? '*' : decodePath(t.rawPath);
    const hook = this.#host.upgrade;
    if (framing.upgrade !== undefined && hook !== undefined) {
      const req = upgradeRequestOf(head, framing, t, path, this.#peer, this.#now);
      // Answers to earlier pipelined requests go out before the new protocol's first bytes.
      this.#output.flush();
      if (req !== undefined && hook(req, this.#socket, rest ?? Buffer.alloc(0))) {
        this.#detach();
        return;
      }
    }
    let stream: BodyStream | null = null;
    if (framing.body !== 'none') {
      // Only a request with a body needs its limit (a callback that may match routes).
      const limit = this.#host.bodyLimit(head.method, path);
      if (framing.body === 'length' && framing.contentLength > limit) {
        throw new HttpError('PAYLOAD_TOO_LARGE', `body of ${framing.contentLength} bytes exceeds the limit of ${limit} bytes`);
      }
      stream = this.#openBody(framing, limit);
    }
    const req = new Request(head, framing, t, path, this.#peer, stream, this.#now);
    const res = new Response(this, req.method === 'HEAD', req.httpMinor, req.id);
    this.#current = { req, res, framing };
    this.#served++;
    this.#host.inFlight++;
    runHandler(this.#host.handler, req, res, this.#handlerHost);
  }

  #openBody(framing: Framing, limit: number): BodyStream {
    this.#since = this.#now;
    const reader = new BodyReader(framing, limit, this.#opts, {
      socket: this.#socket,
      progress: () => {
        this.#since = performance.now();
      },
      discardEnded: () => this.#discardEnded(),
      failed: (hadConsumer) => this.#bodyFailed(hadConsumer),
    });
    this.#body = reader;
    return reader.stream;
  }

  #decideKeepAlive(framing: Framing, status: number, closeDelimited: boolean): boolean {
    const b = this.#body;
    const unreadBody = b !== null && !b.done ? b : undefined;
    const closeAfter = this.#closeAfter || this.#host.closing;
    const keep = keepsAlive({ framing, status, closeDelimited, closeAfter, served: this.#served, unreadBody }, this.#opts);
    if (!keep) this.#closeAfter = true;
    if (!framing.keepAlive) this.#clientCloses = true;
    return keep;
  }

  #finished(): void {
    const cur = this.#current;
    if (cur === null) return;
    this.#current = null;
    this.#host.inFlight--;
    this.#host.requestDone(cur.req, cur.res);
    this.#afterExchange();
  }

  /** An exchange ended: discard what is left of its body, close, or go on with the next request. */
  #afterExchange(): void {
    const b = this.#body;
    if (b !== null && !b.done) {
      if (this.#closeAfter) {
        this.#endSoon();
        return;
      }
      // Discard the rest of the body, within budget, then go on with the next request.
      b.discard(this.#opts.maxDiscardBytes);
      if (this.#socket.isPaused()) this.#socket.resume();
      return;
    }
    this.#body = null;
    if (this.#closeAfter) {
      // The client sends nothing more (RFC 9112 §9.6): closed once the answer is out, as by node:http and nginx.
      const clientDone = this.#clientCloses && this.#input.length === 0;
      if (clientDone && this.#output.closeIfWritten()) return;
      this.#endSoon();
      if (clientDone) this.#output.destroyWhenFlushed();
      return;
    }
    // Finished synchronously within #loop: the clock reading of that pass is recent enough.
    this.#since = this.#inLoop ? this.#now : performance.now();
    if (this.#input.length > 0) {
      // Continue with pipelined requests on the next tick: keeps stacks shallow and lets I/O in.
      if (this.#inLoop) return;
      queueMicrotask(() => this.#loop(performance.now()));
    } else if (this.#socket.isPaused()) {
      this.#socket.resume();
    }
  }

  /** A body discarded after its exchange is complete: go on with the next request. */
  #discardEnded(): void {
    this.#body = null;
    this.#since = performance.now();
    if (this.#closeAfter) this.#endSoon();
    else if (this.#input.length > 0) queueMicrotask(() => this.#loop(performance.now()));
  }

  /** Broken framing or a limit mid-body: the connection closes after what can still be said. */
  #bodyFailed(hadConsumer: boolean): void {
    this.#closeAfter = true;
    this.#socket.pause();
    // With a consumer, the handler learns it from its stream and answers (or not).
    if (!hadConsumer || this.#current === null || this.#current.res.headersSent) this.#destroy();
  }

  /** Answers an error that is not tied to a running handler, then closes. */
  #fail(err: unknown): void {
    if (this.#closed) return;
    const known = asHttpError(err);
    const e = known ?? httpError('BAD_REQUEST', 'malformed request');
    if (known === undefined) this.#host.handlerFailed(err, undefined);
    this.#closeAfter = true;
    this.#input.clear();
    this.#body?.abort(e);
    const cur = this.#current;
    if (cur !== null) {
      if (cur.res.headersSent) {
        this.#destroy();
        return;
      }
      cur.res.sendError(e);
      return;
    }
    // No exchange to answer through: this connection is the sink (keepAliveFor says no: no current exchange).
    new Response(this, false, 1, requestIdFor(undefined)).sendError(e);
    this.#endSoon();
  }

  /** Half-close after the queued bytes; a client that never reads or closes is swept (CLOSE_GRACE_MS). */
  #endSoon(): void {
    if (this.#closed) return;
    if (this.#endingSince === 0) this.#endingSince = performance.now();
    this.#output.end();
  }

  /** An upgrade hook took the socket: no more parsing, timeouts or events here; the server tracks it. */
  #detach(): void {
    this.#closed = true;
    this.#input.clear();
    this.#host.released(this);
    // Paused by pipelining backpressure: the taker's 'data' listener is attached by now.
    if (this.#socket.isPaused()) this.#socket.resume();
  }

  /** Whole answers still gathered for the end of the turn (flushSoon) go out first. */
  #destroy(): void {
    if (!this.#socket.destroyed) this.#output.flush();
    if (!this.#socket.destroyed) this.#socket.destroy();
  }
}
