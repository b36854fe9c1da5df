/**
 * The HTTP/1.1 server on node:net: accepts connections (up to maxConnections), runs one
 * timer for every connection's timeouts, and shuts down gracefully.
 *
 * It may own two listeners — TCP (listen()) and a Unix-domain socket (listenPath()) —
 * feeding one connection set: one --max-connections cap, one timeout sweep and one
 * graceful shutdown cover both. Unix-socket connections have no remote address
 * (req.remoteAddress is '' and req.remotePort 0).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, renameSync, unlinkSync, type Stats } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { MAX_SOCKET_PATH_BYTES } from '../config/addresses.js';
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

const OVERLOADED_BODY = '{"error":{"code":"SHUTTING_DOWN","message":"too many open connections"},"request_id":"-"}';
// Content-Length computed, not written by hand (it once said 88 for this 89-byte body).
const OVERLOADED =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\n' +
  `Content-Length: ${Buffer.byteLength(OVERLOADED_BODY)}\r\n\r\n${OVERLOADED_BODY}`;

export class HttpServer implements ConnectionHost {
  readonly options: EngineOptions;
  readonly keepAliveHint: string;
  readonly handler: Handler;
  closing = false;
  readonly #server: net.Server;
  /** The Unix-domain listener, once listenPath() succeeded. */
  #unix: { server: net.Server; path: string; dev: number; ino: number } | undefined;
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
    this.keepAliveHint = keepAliveHint(this.options.keepAliveTimeoutMs);
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

  /** The TCP listener's address (after listen()). */
  get address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** The Unix-domain socket path being listened on (after listenPath()), else undefined. */
  get socketPath(): string | undefined {
    return this.#unix?.path;
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

  /**
   * Also listens on a Unix-domain socket at `path` (absolute, ≤ MAX_SOCKET_PATH_BYTES),
   * serving the same handler with the same limits, connection cap and shutdown as TCP.
   * A socket file left at `path` by a dead predecessor is replaced; a live one (something
   * accepts connections on it) or any other kind of file makes this reject with a
   * SocketPathError and is left alone. The file is made 0600 (only this user may connect)
   * and is removed by close(). At most one path per server.
   */
  async listenPath(path: string): Promise<void> {
    if (this.#unix !== undefined) throw new SocketPathError(path, `already listening on ${this.#unix.path}`);
    if (this.closing) throw new SocketPathError(path, 'the server is closing');
    checkSocketPath(path);
    await checkReplaceable(path);
    // Bound under a temporary name next to `path`, made 0600, then renamed over `path`:
    // the final name never has the umask's mode, a stale file there is replaced atomically,
    // and libuv — which unlinks a pipe's bind name when it closes — only ever unlinks the
    // temporary name, never a successor's socket that took `path` while we were draining.
    const server = net.createServer({ allowHalfOpen: true }, (s) => this.#accept(s));
    let bound = '';
    for (let attempt = 0; bound === ''; attempt++) {
      const temp = join(dirname(path), `.${randomBytes(3).toString('hex')}`);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ path: temp, backlog: 2048 }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        bound = temp;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' || attempt >= 5) throw new SocketPathError(path, errnoText(err), err);
      }
    }
    let st: Stats;
    try {
      chmodSync(bound, 0o600);
      renameSync(bound, path);
      st = lstatSync(path);
    } catch (err) {
      server.close(); // unlinks `bound` if it is still there
      throw new SocketPathError(path, errnoText(err), err);
    }
    this.#unix = { server, path, dev: st.dev, ino: st.ino };
    this.#startTimer();
  }

  /** Stop accepting, let in-flight exchanges finish, close idle connections; bounded by shutdownTimeoutMs. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const unix = this.#unix;
    const unixClosed = unix === undefined ? Promise.resolve() : new Promise<void>((resolve) => unix.server.close(() => resolve()));
    // Now, not after the drain: a successor may bind the same path meanwhile (the cluster
    // restarts a worker with the same --unix-socket), and its file must survive our exit
    // (unlinkOwnSocket checks the inode).
    if (unix !== undefined) unlinkOwnSocket(unix);
    for (const c of this.#conns) c.shutdown();
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    while (this.#conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.#conns) c.destroy();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await Promise.all([closed, unixClosed]);
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
    if (this.#timer !== undefined) return; // one sweep for both listeners
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

/** listenPath() could not use the path; `message` is one line naming it. */
export class SocketPathError extends Error {
  readonly code = 'ERR_DHTTP_SOCKET_PATH';
  readonly path: string;
  /** Why, without the path (for callers that name the option themselves). */
  readonly reason: string;

  constructor(path: string, reason: string, cause?: unknown) {
    super(`cannot listen on Unix socket ${JSON.stringify(path)}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'SocketPathError';
    this.path = path;
    this.reason = reason;
  }
}

/** "ENOENT: its directory does not exist" rather than a bare code. */
function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'ENOENT: its directory does not exist';
    case 'ENOTDIR':
      return 'ENOTDIR: a parent is not a directory';
    case 'EACCES':
    case 'EPERM':
      return `${code}: permission denied`;
    case undefined:
      return err instanceof Error ? err.message : String(err);
    default:
      return code;
  }
}

function checkSocketPath(path: string): void {
  if (!isAbsolute(path)) throw new SocketPathError(path, 'must be an absolute path');
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) throw new SocketPathError(path, `is ${bytes} bytes long, at most ${MAX_SOCKET_PATH_BYTES} allowed`);
}

/**
 * Whether `path` may be bound (or renamed over): nothing there, or a socket nobody accepts
 * on (left by a SIGKILLed predecessor; the rename replaces it). Anything else — a live
 * socket, a regular file, a directory, a symlink — is never touched and makes this throw.
 */
async function checkReplaceable(path: string): Promise<void> {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new SocketPathError(path, errnoText(err), err);
    // bind() reports a missing directory as EACCES; say what is wrong.
    if (!existsSync(dirname(path))) throw new SocketPathError(path, 'its directory does not exist');
    return;
  }
  if (!st.isSocket()) throw new SocketPathError(path, 'exists and is not a socket (refusing to replace it)');
  const probe = await probeSocket(path);
  if (probe === 'live') throw new SocketPathError(path, 'another process is listening on it');
  if (probe !== 'stale') throw new SocketPathError(path, `exists and cannot be checked (${probe}); not replacing it`);
}

/**
 * Connects to the socket file at `path`: 'live' when something accepts, 'stale' when
 * nobody does (ECONNREFUSED) or it vanished (ENOENT), 'live' too on EAGAIN (a full
 * backlog), else the error code (EACCES: it is someone else's, and not ours to remove).
 */
function probeSocket(path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ path });
    const done = (result: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(result);
    };
    // A listener with a full backlog may not answer at once; it is alive all the same.
    const timer = setTimeout(() => done('live'), 1000);
    s.once('connect', () => done('live'));
    s.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      done(code === 'ECONNREFUSED' || code === 'ENOENT' ? 'stale' : code === 'EAGAIN' ? 'live' : code);
    });
  });
}

/** Unlinks the socket file we bound, unless it has since been replaced by someone else's. */
function unlinkOwnSocket(unix: { path: string; dev: number; ino: number }): void {
  try {
    const st = lstatSync(unix.path);
    if (st.dev === unix.dev && st.ino === unix.ino) unlinkSync(unix.path);
  } catch {
    // Already gone (or unreadable): nothing of ours to remove.
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createHttpServer(options: HttpServerOptions, handler: Handler): HttpServer {
  return new HttpServer(options, handler);
}

/**
 * `Keep-Alive: timeout=N` (whole seconds, rounded down), as node:http sends: a client that
 * reads it (undici, browsers) retires an idle connection before we close it, instead of
 * racing our close with its next request. Below one second there is no honest N: none.
 */
export function keepAliveHint(keepAliveTimeoutMs: number): string {
  const seconds = Math.floor(keepAliveTimeoutMs / 1000);
  return seconds >= 1 ? `Keep-Alive: timeout=${seconds}\r\n` : '';
}
