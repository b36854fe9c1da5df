/**
 * The HTTP/1.1 server on node:net: accepts connections (up to maxConnections), runs one
 * timer for every connection's timeouts, and shuts down gracefully.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import { Connection, type ConnectionHost } from './connection.js';
import { ENGINE_DEFAULTS, type EngineOptions } from './options.js';
import type { Request } from './request.js';
import type { Response } from './response.js';
import type { Handler, HttpRequest, HttpResponse } from './types.js';

export interface HttpServerOptions extends Partial<EngineOptions> {
  /** Body limit for a route (e.g. /countwords); undefined → maxBodyBytes. */
  bodyLimit?: (method: string, path: string) => number | undefined;
  /** Called after every response is handed to the socket (logs, metrics). */
  onResponse?: (req: HttpRequest, res: HttpResponse) => void;
  /** Called for handler crashes and 5xx errors (req undefined for protocol-level faults). */
  onError?: (err: unknown, req: HttpRequest | undefined) => void;
}

const OVERLOADED =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 88\r\n\r\n' +
  '{"error":{"code":"SHUTTING_DOWN","message":"too many open connections"},"request_id":"-"}';

export class HttpServer implements ConnectionHost {
  readonly options: EngineOptions;
  readonly handler: Handler;
  closing = false;
  readonly #server: net.Server;
  readonly #conns = new Set<Connection>();
  readonly #bodyLimit: HttpServerOptions['bodyLimit'];
  readonly #onResponse: HttpServerOptions['onResponse'];
  readonly #onError: HttpServerOptions['onError'];
  #timer: NodeJS.Timeout | undefined;
  #served = 0;
  #refused = 0;

  constructor(options: HttpServerOptions, handler: Handler) {
    const { bodyLimit, onResponse, onError, ...limits } = options;
    this.options = Object.freeze({ ...ENGINE_DEFAULTS, ...stripUndefined(limits) });
    this.handler = handler;
    this.#bodyLimit = bodyLimit;
    this.#onResponse = onResponse;
    this.#onError = onError;
    this.#server = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => this.#accept(s));
  }

  get connectionCount(): number {
    return this.#conns.size;
  }

  get requestsServed(): number {
    return this.#served;
  }

  get connectionsRefused(): number {
    return this.#refused;
  }

  get address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  listen(port: number, host = '0.0.0.0'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ port, host, backlog: 2048 }, () => {
        this.#server.off('error', reject);
        this.#startTimer();
        resolve(this.address);
      });
    });
  }

  /** Stop accepting, let in-flight exchanges finish, close idle connections; bounded by shutdownTimeoutMs. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const c of this.#conns) c.shutdown();
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    while (this.#conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.#conns) c.destroy();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await closed;
  }

  bodyLimit(method: string, path: string): number {
    return this.#bodyLimit?.(method, path) ?? this.options.maxBodyBytes;
  }

  requestDone(req: Request, res: Response): void {
    this.#served++;
    this.#onResponse?.(req, res);
  }

  handlerFailed(err: unknown, req: Request | undefined): void {
    if (this.#onError !== undefined) this.#onError(err, req);
    else if (!(err instanceof Error && 'status' in err)) console.error(err);
  }

  released(conn: Connection): void {
    this.#conns.delete(conn);
  }

  #accept(socket: Socket): void {
    if (this.#conns.size >= this.options.maxConnections || this.closing) {
      this.#refused++;
      socket.on('error', () => {});
      // Read and drop what the client sends so its FIN is seen and the socket closes now.
      socket.resume();
      socket.on('end', () => socket.destroy());
      socket.end(OVERLOADED);
      const t = setTimeout(() => socket.destroy(), 1000);
      socket.once('close', () => clearTimeout(t));
      return;
    }
    this.#conns.add(new Connection(socket, this));
  }

  #startTimer(): void {
    const o = this.options;
    // One sweep for all connections: a quarter of the shortest timeout, between 25 ms and 1 s.
    const every = Math.max(25, Math.min(1000, Math.min(o.headerTimeoutMs, o.bodyTimeoutMs, o.keepAliveTimeoutMs) / 4));
    this.#timer = setInterval(() => {
      const now = performance.now(); // the connections' clock
      for (const c of this.#conns) c.checkTimeouts(now);
    }, every);
    this.#timer.unref();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createHttpServer(options: HttpServerOptions, handler: Handler): HttpServer {
  return new HttpServer(options, handler);
}
