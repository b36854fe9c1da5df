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
import { InputBuffer } from './input-buffer.js';
import type { EngineOptions } from './options.js';
import { type BodyStream, Request } from './request.js';
import { requestIdFor } from './request-id.js';
import { Response, type ResponseSink } from './response.js';
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

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** How long a half-closed connection may linger before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

export class Connection implements ResponseSink {
  readonly #socket: Socket;
  readonly #host: ConnectionHost;
  readonly #opts: EngineOptions;
  readonly keepAliveHint: string;
  readonly constantLines: string;
  readonly #input = new InputBuffer();
  /** Progress through a head that is still incomplete. */
  #scan = new HeadScan();
  #current: { req: Request; res: Response; framing: Framing } | null = null;
  /** Response bytes produced while parsing one read, written with one syscall at its end. */
  #out = '';
  #batching = false;
  #body: BodyReader | null = null;
  #served = 0;
  #closeAfter = false;
  #closed = false;
  #inLoop = false;
  /**
   * Times are performance.now() ms. One clock reading is taken per socket read and shared
   * by everything that read triggers synchronously (timeouts are checked by a coarse sweep
   * anyway); work that completes later reads the clock again.
   */
  #now = performance.now();
  /** When the current phase started (idle, head or last body byte). */
  #since = this.#now;
  #headStarted = 0;
  /** When we half-closed (0 = not yet). */
  #endingSince = 0;
  /** Since when the client has not taken what we wrote (0 = it keeps up): the send timeout. */
  #blockedSince = 0;

  constructor(socket: Socket, host: ConnectionHost) {
    this.#socket = socket;
    this.#host = host;
    this.#opts = host.options;
    this.keepAliveHint = host.keepAliveHint;
    this.constantLines = host.constantLines;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => {
      this.#blockedSince = 0;
    });
    socket.on('error', () => {
      /* 'close' follows; nothing to answer */
    });
    socket.on('end', () => this.#onEnd());
    socket.on('close', () => this.#onClose());
  }

  get socket(): Socket {
    return this.#socket;
  }

  output(data: string | Buffer): boolean {
    const s = this.#socket;
    if (s.destroyed) return false;
    if (this.#batching && typeof data === 'string') {
      this.#out += data;
      return true;
    }
    if (this.#out !== '') this.#flush();
    return this.#written(s.write(data));
  }

  outputLatin1(text: string): boolean {
    const s = this.#socket;
    if (s.destroyed) return false;
    if (this.#out !== '') this.#flush();
    return this.#written(s.write(text, 'latin1'));
  }

  keepAliveFor(status: number, closeDelimited: boolean): boolean {
    const cur = this.#current;
    return cur !== null && this.#decideKeepAlive(cur.framing, status, closeDelimited);
  }

  responseFinished(): void {
    this.#finished();
  }

  #written(ok: boolean): boolean {
    if (!ok && this.#blockedSince === 0) this.#blockedSince = performance.now();
    return ok;
  }

  #flush(): void {
    const out = this.#out;
    this.#out = '';
    if (!this.#socket.destroyed) this.#written(this.#socket.write(out));
  }

  get busy(): boolean {
    return this.#current !== null || this.#input.length > 0;
  }

  /** Periodic check from the server's timer: header, body, send and keep-alive timeouts. */
  checkTimeouts(now: number): void {
    if (this.#closed) return;
    const o = this.#opts;
    // A client that takes none of our bytes for the send timeout is gone in all but name.
    if (this.#blockedSince !== 0 && now - this.#blockedSince > o.sendTimeoutMs) {
      this.#destroy();
      return;
    }
    if (this.#endingSince !== 0) {
      if (now - this.#endingSince > CLOSE_GRACE_MS) this.#destroy();
      return;
    }
    const b = this.#body;
    if (b !== null && !b.done) {
      const waitingForClient = b.waitingForClient && !this.#socket.isPaused();
      if (waitingForClient && now - this.#since > o.bodyTimeoutMs) {
        this.#fail(httpError('REQUEST_TIMEOUT', `no body bytes for ${o.bodyTimeoutMs} ms`));
      }
      return;
    }
    // The handler is working: not the client's fault.
    if (this.#current !== null) return;
    if (this.#input.length > 0) {
      if (now - this.#headStarted > o.headerTimeoutMs) {
        this.#fail(httpError('REQUEST_TIMEOUT', `request head not received within ${o.headerTimeoutMs} ms`));
      }
    } else if (now - this.#since > o.keepAliveTimeoutMs || this.#host.closing) {
      this.#destroy();
    }
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
    this.#batching = true;
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
        this.#scan = new HeadScan();
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
      this.#batching = false;
      if (this.#out !== '') this.#flush();
    }
    if (this.#current === null && this.#input.length === 0 && !this.#closed) {
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
    if (framing.upgrade !== undefined && this.#host.upgrade !== undefined && this.#offerUpgrade(head, framing, path, rest)) return;
    let stream: BodyStream | null = null;
    if (framing.body !== 'none') {
      // Only a request with a body needs its limit (a callback that may match routes).
      const limit = this.#host.bodyLimit(head.method, path);
      if (framing.body === 'length' && framing.contentLength > limit) {
        throw new HttpError('PAYLOAD_TOO_LARGE', `body of ${framing.contentLength} bytes exceeds the limit of ${limit} bytes`);
      }
      stream = this.#openBody(framing, limit);
    }
    const req = new Request({
      method: head.method,
      target: head.target,
      path,
      rawPath: t.rawPath,
      rawQuery: t.rawQuery,
      httpMinor: head.httpMinor,
      fields: head.fields,
      head: head.text,
      host: t.authority ?? framing.host,
      socket: this.#socket,
      id: requestIdFor(framing.requestId),
      contentLength: framing.body === 'chunked' ? null : framing.contentLength,
      body: stream,
      startedAt: this.#now,
    });
    const res = new Response(this, req.method === 'HEAD', req.httpMinor, req.id);
    this.#current = { req, res, framing };
    this.#served++;
    this.#host.inFlight++;
    this.#run(req, res, this.#host.handler);
  }

  /**
   * Offers an upgrade request to the server's hook. When the hook takes the socket, this
   * connection detaches: marked closed (its listeners, timeout checks and parsing loop
   * become no-ops) and released from the server, which tracks the socket from now on.
   */
  #offerUpgrade(head: ParsedHead, framing: Framing, path: string, rest: Buffer | null): boolean {
    const hook = this.#host.upgrade as UpgradeHook;
    const req = upgradeRequestOf(
      head,
      framing,
      parseTarget(head.method, head.target),
      path,
      requestIdFor(framing.requestId),
      this.#socket,
      this.#now,
    );
    if (req === undefined) return false;
    // Answers to earlier pipelined requests go out before the new protocol's first bytes.
    if (this.#out !== '') this.#flush();
    if (!hook(req, this.#socket, rest ?? Buffer.alloc(0))) return false;
    this.#closed = true;
    this.#input.clear();
    this.#host.released(this);
    // Paused by pipelining backpressure: the taker's 'data' listener is attached by now.
    if (this.#socket.isPaused()) this.#socket.resume();
    return true;
  }

  #openBody(framing: Framing, limit: number): BodyStream {
    this.#since = this.#now;
    const s = this.#socket;
    const reader = new BodyReader(framing, limit, this.#opts, {
      pause: () => s.pause(),
      resume: () => {
        if (s.isPaused()) s.resume();
      },
      sendContinue: () => {
        if (!s.destroyed) s.write(CONTINUE);
      },
      progress: () => {
        this.#since = performance.now();
      },
      discardEnded: () => this.#discardEnded(),
      failed: (hadConsumer) => this.#bodyFailed(hadConsumer),
    });
    this.#body = reader;
    return reader.stream;
  }

  #run(req: Request, res: Response, handler: Handler): void {
    let result: undefined | Promise<void>;
    try {
      result = handler(req, res) as undefined | Promise<void>;
    } catch (err) {
      this.#handlerError(err, req, res);
      return;
    }
    if (result !== undefined && typeof result.then === 'function') {
      result.then(
        () => this.#settled(req, res),
        (err: unknown) => this.#handlerError(err, req, res),
      );
    } else {
      this.#settled(req, res);
    }
  }

  /** A handler returned: a response it left unstarted is a bug (500); a started one is ended. */
  #settled(req: Request, res: Response): void {
    if (res.finished) return;
    if (res.headersSent) res.end();
    else this.#handlerError(new Error(`handler for ${req.method} ${req.path} returned without responding`), req, res);
  }

  #handlerError(err: unknown, req: Request, res: Response): void {
    if (res.finished) return;
    const httpErr = asHttpError(err);
    if (httpErr === undefined || httpErr.status >= 500) this.#host.handlerFailed(err, req);
    if (res.headersSent) {
      // Too late for an error response: cut the connection so the client sees a broken body.
      res.abandon();
      this.#destroy();
      return;
    }
    res.sendError(httpErr ?? httpError('INTERNAL', 'internal server error'));
  }

  #decideKeepAlive(framing: Framing, status: number, closeDelimited: boolean): boolean {
    const o = this.#opts;
    let keep = framing.keepAlive && !closeDelimited && !this.#closeAfter && !this.#host.closing;
    if (o.maxRequestsPerConnection > 0 && this.#served >= o.maxRequestsPerConnection) keep = false;
    const b = this.#body;
    if (keep && b !== null && !b.done) {
      // An unread body must be read and dropped to find the next request. Do that only
      // when it is small and the client will send it (not waiting for 100 Continue).
      if (b.continuePending) keep = false;
      else if (b.remaining > o.maxDiscardBytes) keep = false;
    }
    if (status === 408 || status === 413) keep = false;
    if (!keep) this.#closeAfter = true;
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
      this.#endSoon();
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
    const sink: ResponseSink = {
      socket: this.#socket,
      keepAliveFor: () => false,
      keepAliveHint: '',
      constantLines: this.constantLines,
      output: (data) => this.output(data),
      outputLatin1: (text) => this.outputLatin1(text),
      responseFinished: () => this.#endSoon(),
    };
    new Response(sink, false, 1, requestIdFor(undefined)).sendError(e);
  }

  /**
   * Half-close after the queued bytes are flushed. Ending twice would make Node build an
   * error object per connection, so it happens once; a client that never reads or never
   * closes its side is destroyed by the timeout sweep (CLOSE_GRACE_MS).
   */
  #endSoon(): void {
    if (this.#closed) return;
    if (this.#out !== '') this.#flush();
    if (this.#endingSince === 0) this.#endingSince = performance.now();
    if (!this.#socket.writableEnded) this.#socket.end();
  }

  #destroy(): void {
    if (!this.#socket.destroyed) this.#socket.destroy();
  }
}
