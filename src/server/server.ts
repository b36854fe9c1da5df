/**
 * The HTTP/1.1 server on node:net: accepts connections (up to maxConnections), runs one
 * timer for every connection's timeouts, and shuts down gracefully.
 *
 * It may own two listeners — TCP (listen()) and a Unix-domain socket (listenPath()) —
 * feeding one connection set: one --max-connections cap, one timeout sweep and one
 * graceful shutdown cover both. Unix-socket connections have no remote address
 * (req.remoteAddress is '' and req.remotePort 0).
 *
 * With `tls`, the TCP listener serves HTTPS (tls-listener.ts; the Unix-domain one stays
 * plain: it is local and 0600), and `redirectHttpPort` adds a plain listener that
 * redirects there. The cap counts every accepted socket until it closes: mid-handshake,
 * serving HTTP, or taken over by the upgrade hook (upgrade.ts).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, renameSync, type Stats } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { dirname, join } from 'node:path';
import { Connection, type ConnectionHost } from './connection.js';
import { LiveList } from './live-list.js';
import { ENGINE_DEFAULTS, type EngineOptions } from './options.js';
import type { Request } from './request.js';
import type { Response } from './response.js';
import type { Handler, HttpRequest, HttpResponse } from './types.js';
import { TlsFront, type TlsSetup } from './tls-listener.js';
import type { TlsPair } from './tls-credentials.js';
import { redirectToHttps } from './tls-redirect.js';
import { SocketPathError, checkReplaceable, checkSocketPath, errnoText, unlinkOwnSocket } from './unix-path.js';
import type { UpgradeHook } from './upgrade.js';

export interface HttpServerOptions extends Partial<EngineOptions> {
  /** Body limit for a route (e.g. /countwords); undefined → maxBodyBytes. */
  bodyLimit?: (method: string, path: string) => number | undefined;
  /** Called after every response is handed to the socket (logs, metrics). */
  onResponse?: (req: HttpRequest, res: HttpResponse) => void;
  /** Called for handler crashes and 5xx errors (req undefined for protocol-level faults). */
  onError?: (err: unknown, req: HttpRequest | undefined) => void;
  /** Serve HTTPS on the TCP listener with this certificate and key. @default plain HTTP */
  tls?: TlsSetup;
  /** With `tls`: also listen on this port (same host) and answer 308 to HTTPS. @default none */
  redirectHttpPort?: number;
  /**
   * Fields every response carries, set once (e.g. `{ 'X-Worker-Id': 'w1' }`): written into
   * each head as prebuilt text, error answers of the engine included. @default none
   */
  constantHeaders?: Readonly<Record<string, string>>;
  /** Offered every `Connection: upgrade` request; may take the socket (see upgrade.ts). @default none */
  upgrade?: UpgradeHook;
}

const OVERLOADED_BODY = '{"error":{"code":"SHUTTING_DOWN","message":"too many open connections"},"request_id":"-"}';
// Content-Length computed, not written by hand (it once said 88 for this 89-byte body).
const OVERLOADED =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\n' +
  `Content-Length: ${Buffer.byteLength(OVERLOADED_BODY)}\r\n\r\n${OVERLOADED_BODY}`;

export { SocketPathError } from './unix-path.js';

export class HttpServer implements ConnectionHost {
  readonly options: EngineOptions;
  readonly keepAliveHint: string;
  readonly constantLines: string;
  readonly handler: Handler;
  /** The server's wrapper around the upgrade option (tracks what it takes). */
  readonly upgrade: UpgradeHook | undefined;
  closing = false;
  /** Requests whose handler runs now. */
  inFlight = 0;
  readonly #server: net.Server;
  readonly #tls: TlsFront | undefined;
  readonly #redirectPort: number | undefined;
  #redirect: HttpServer | undefined;
  /** Every accepted socket not yet closed (the --max-connections count). */
  readonly #sockets = new LiveList<Socket>();
  /** Sockets the upgrade hook took: closed at the end of a graceful shutdown. */
  readonly #takenOver = new LiveList<Socket>();
  /** The Unix-domain listener, once listenPath() succeeded. */
  #unix: { server: net.Server; path: string; dev: number; ino: number } | undefined;
  readonly #conns = new LiveList<Connection>();
  readonly #bodyLimit: HttpServerOptions['bodyLimit'];
  readonly #onResponse: HttpServerOptions['onResponse'];
  readonly #onError: HttpServerOptions['onError'];
  #timer: NodeJS.Timeout | undefined;
  #served = 0;
  #refused = 0;

  constructor(options: HttpServerOptions, handler: Handler) {
    const { bodyLimit, onResponse, onError, tls, redirectHttpPort, upgrade, constantHeaders, ...limits } = options;
    this.constantLines = constantLinesOf(constantHeaders);
    this.options = Object.freeze({ ...ENGINE_DEFAULTS, ...stripUndefined(limits) });
    this.keepAliveHint = keepAliveHint(this.options.keepAliveTimeoutMs);
    this.handler = handler;
    this.#bodyLimit = bodyLimit;
    this.#onResponse = onResponse;
    this.#onError = onError;
    this.#server = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => this.#accept(s, this.#tls));
    // A client that never finishes its handshake is as slow as one that never finishes its head.
    this.#tls = tls === undefined ? undefined : new TlsFront(tls, this.options.headerTimeoutMs, (s) => this.#secured(s));
    this.#redirectPort = tls === undefined ? undefined : redirectHttpPort;
    this.upgrade = upgrade === undefined ? undefined : (req, socket, head) => this.#takeOver(upgrade, req, socket, head);
  }

  /** Open client sockets: serving HTTP, mid-TLS-handshake, or taken over by the upgrade hook. */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  /** Sockets the upgrade hook took and that are still open. */
  get upgradedCount(): number {
    return this.#takenOver.size;
  }

  /** 'https' when the TCP listener serves TLS. */
  get scheme(): 'http' | 'https' {
    return this.#tls === undefined ? 'http' : 'https';
  }

  /** TLS handshakes that failed or timed out. */
  get failedHandshakes(): number {
    return this.#tls?.failedHandshakes ?? 0;
  }

  /** The SHA-256 fingerprint of the certificate new handshakes get; undefined without TLS. */
  get tlsFingerprint(): string | undefined {
    return this.#tls?.fingerprint;
  }

  /** The --redirect-http listener's address, once listening. */
  get redirectAddress(): AddressInfo | undefined {
    return this.#redirect?.address;
  }

  /**
   * Re-reads the certificate and key (SIGHUP). New handshakes get the new pair; open
   * connections keep theirs. A bad pair rejects (TlsFilesError, one line) and the current
   * one stays. Rejects too when the server has no TLS.
   */
  reloadTls(): Promise<TlsPair> {
    if (this.#tls === undefined) return Promise.reject(new Error('this server does not serve TLS'));
    return this.#tls.reload();
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
    return new Promise<AddressInfo>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ port, host, backlog: 2048 }, () => {
        this.#server.off('error', reject);
        this.#startTimer();
        resolve(this.address);
      });
    }).then(async (address) => {
      if (this.#redirectPort === undefined) return address;
      const redirect = new HttpServer(
        { ...this.options },
        redirectToHttps(() => this.address.port),
      );
      this.#redirect = redirect;
      try {
        await redirect.listen(this.#redirectPort, host);
      } catch (err) {
        await this.close(); // the HTTPS listener must not outlive a failed start
        throw err;
      }
      return address;
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
    const redirectClosed = this.#redirect?.close();
    for (const c of this.#conns.toArray()) c.shutdown();
    // Taken-over sockets are their takers' to close (a WebSocket says 1001 first); what is
    // left at the deadline is cut, with connections and handshakes still under way.
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    while ((this.#conns.size > 0 || this.#takenOver.size > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.#conns.toArray()) c.destroy();
    for (const s of this.#takenOver.toArray()) s.destroy();
    for (const s of this.#sockets.toArray()) s.destroy();
    // Their 'close' events follow within a tick or two: once close() resolves, none is open.
    const cut = Date.now() + 1000;
    while (this.#sockets.size > 0 && Date.now() < cut) await new Promise((r) => setTimeout(r, 5));
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await Promise.all([closed, unixClosed, redirectClosed]);
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

  /** A new TCP or Unix-domain socket; `tls` set for the TCP listener of an HTTPS server. */
  #accept(socket: Socket, tls?: TlsFront): void {
    if (this.#sockets.size >= this.options.maxConnections || this.closing) {
      this.#refused++;
      if (tls !== undefined) {
        // No plaintext answer a TLS client could read; a handshake to say 503 would cost
        // the CPU the cap is there to protect.
        socket.destroy();
        return;
      }
      socket.on('error', () => {});
      // Read and drop what the client sends so its FIN is seen and the socket closes now.
      socket.resume();
      socket.on('end', () => socket.destroy());
      socket.end(OVERLOADED);
      const t = setTimeout(() => socket.destroy(), 1000);
      socket.once('close', () => clearTimeout(t));
      return;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    if (tls !== undefined) tls.handshake(socket);
    else this.#conns.add(new Connection(socket, this));
  }

  /** A TLS handshake completed: the socket is served like a TCP one. */
  #secured(socket: TLSSocket): void {
    socket.setNoDelay(true);
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.#conns.add(new Connection(socket, this));
  }

  #takeOver(hook: UpgradeHook, req: HttpRequest, socket: Socket, head: Buffer): boolean {
    if (this.closing || !hook(req, socket, head)) return false;
    this.#takenOver.add(socket);
    socket.once('close', () => this.#takenOver.delete(socket));
    if (socket.destroyed) this.#takenOver.delete(socket);
    return true;
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return; // one sweep for both listeners
    const o = this.options;
    // One sweep for all connections: a quarter of the shortest timeout, between 25 ms and 1 s.
    const every = Math.max(25, Math.min(1000, Math.min(o.headerTimeoutMs, o.bodyTimeoutMs, o.keepAliveTimeoutMs) / 4));
    this.#timer = setInterval(() => {
      const now = performance.now(); // the connections' clock
      for (const c of this.#conns.toArray()) c.checkTimeouts(now);
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

/**
 * `Keep-Alive: timeout=N` (whole seconds, rounded down), as node:http sends: a client that
 * reads it (undici, browsers) retires an idle connection before we close it, instead of
 * racing our close with its next request. Below one second there is no honest N: none.
 */
/** `Name: value\r\n` per field, checked once: a name that is not a token or a value with CR, LF or NUL throws. */
function constantLinesOf(headers: Readonly<Record<string, string>> | undefined): string {
  let lines = '';
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value))
      throw new TypeError(`invalid constant header ${JSON.stringify(name)}`);
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

export function keepAliveHint(keepAliveTimeoutMs: number): string {
  const seconds = Math.floor(keepAliveTimeoutMs / 1000);
  return seconds >= 1 ? `Keep-Alive: timeout=${seconds}\r\n` : '';
}
