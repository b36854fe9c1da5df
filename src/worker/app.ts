/**
 * Builds a worker from its config: compute pool, routes, static files, rate limiter,
 * metrics and request logging around the HTTP engine. main.ts runs it as a process;
 * tests may build one in-process.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { WorkerConfig } from '../config/types.js';
import { Router } from '../server/router.js';
import { createHttpServer, type HttpServer } from '../server/server.js';
import type { Handler, HttpRequest, HttpResponse } from '../server/types.js';
import { compressionOf } from '../server/compress.js';
import { engineOptionsOf } from '../server/engine-config.js';
import { listenerTlsOf } from '../server/tls-config.js';
import { HttpError, httpError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { createAccessLog } from '../common/access-log.js';
import { ComputePool, computePoolErrorChannel } from './compute-pool.js';
import type { RouteDef, WorkerContext, WorkerStats } from './context.js';
import { buildHelp } from './help.js';
import { createWorkerMetrics } from './metrics.js';
import { RateLimiter } from '../server/rate-limit.js';
import { computeRoutes } from './routes/compute.js';
import { fileRoutes } from './routes/files.js';
import { jobRoutes } from './routes/jobs.js';
import { numberRoutes } from './routes/numbers.js';
import { statusRoutes } from './routes/status.js';
import { textRoutes } from './routes/text.js';
import { WsEcho, wsEchoRoute } from './routes/ws-echo.js';
import { createStaticHandler } from './static/index.js';

const ROUTE_GROUPS = [statusRoutes, textRoutes, numberRoutes, computeRoutes, jobRoutes, fileRoutes];

/** Health checks and scrapes are never rate limited: a limited /ping would read as a dead worker. */
const UNLIMITED = new Set(['/ping', '/health', '/metrics']);

/**
 * The rate-limit key of clients on the Unix socket, which have no address. They share one
 * bucket rather than being exempt: that client is the local dispatcher, exactly as it is
 * over loopback TCP (one address), so --rate-limit means the same on either listener —
 * and `dhttp start` runs its workers with --rate-limit 0 anyway (the dispatcher limits).
 */
const UNIX_CLIENT_KEY = 'unix';

/** The rate limiter's key for a client. */
function clientKey(req: HttpRequest): string {
  return req.remoteAddress === '' ? UNIX_CLIENT_KEY : req.remoteAddress;
}

/** The User-Agent field, read from the parser's list (the access log's lookup builds no header map). */
function userAgentOf(req: HttpRequest): string | undefined {
  const f = req.fieldList;
  let out: string | undefined;
  for (let i = 0; i < f.length; i += 2) if (f[i] === 'user-agent') out = out === undefined ? f[i + 1] : `${out}, ${f[i + 1]}`;
  return out;
}

/** setTimeout's ceiling, standing in for "no task timeout". */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

export interface WorkerApp {
  readonly id: string;
  readonly server: HttpServer;
  readonly pool: ComputePool;
  readonly context: WorkerContext;
  /**
   * Listens on config.host:config.port and, with config.unixSocket, on that Unix socket too
   * (`socket` is then its path; absent otherwise). `url` uses 127.0.0.1 for a wildcard bind
   * (and https:// with --tls-cert: the TCP port serves TLS, the Unix socket stays plain).
   * A socket path already in use or taken by another kind of file rejects with a
   * SocketPathError (src/server/server.ts) and nothing stays listening.
   */
  listen(): Promise<{ url: string; port: number; socket?: string }>;
  /** Graceful: stops accepting, closes WebSockets (1001), drains requests, then the pool. */
  close(): Promise<void>;
}

export function workerIdOf(config: WorkerConfig): string {
  return config.id ?? `w-${process.pid}`;
}

export function createWorkerApp(config: WorkerConfig, logger: Logger): WorkerApp {
  const id = workerIdOf(config);
  // First: a bad certificate or key is a start error, before threads are started.
  const listenerTls = listenerTlsOf(config);
  const pool = new ComputePool({
    threads: config.threads,
    queueSize: config.queueSize,
    taskTimeoutMs: config.taskTimeout > 0 ? Math.min(config.taskTimeout, NO_TIMEOUT_MS) : NO_TIMEOUT_MS,
  });
  const onPoolError = (msg: unknown): void => logger.error({ err: (msg as { error: unknown }).error }, 'compute thread error');
  subscribe(computePoolErrorChannel.name, onPoolError);

  let server: HttpServer | undefined;
  const stats: WorkerStats = {
    inFlight: 0,
    startedAt: Date.now(),
    connections: () => server?.connectionCount ?? 0,
    requestsServed: () => server?.requestsServed ?? 0,
    websockets: () => wsEcho.openCount,
  };
  const wsEcho = new WsEcho({
    maxMessage: config.wsMaxMessage,
    idleTimeoutMs: config.wsIdleTimeout,
    stats,
    // A rate-limited client's handshake is declined, then answered 429 by handle().
    admit: (req) => limiter?.take(clientKey(req)).ok ?? true,
  });
  const metrics = createWorkerMetrics(pool, stats, id);
  const routes: RouteDef[] = [];
  const help = { value: undefined as unknown };
  const context: WorkerContext = {
    config,
    id,
    pool,
    stats,
    compression: compressionOf(config),
    metricsText: () => metrics.text(),
    help: () => help.value,
  };
  for (const group of ROUTE_GROUPS) routes.push(...group(context));
  routes.push(wsEchoRoute(wsEcho));
  help.value = buildHelp(id, routes);

  const router = new Router();
  for (const r of routes) router.add(r.methods, r.path, r.handler, r.maxBody === undefined ? {} : { maxBody: r.maxBody });
  router.fallback(createStaticHandler({ root: config.www, cacheBytes: config.staticCacheBytes, compression: context.compression }));
  const known = new Set(routes.map((r) => r.path));

  const limiter = config.rateLimit > 0 ? new RateLimiter({ ratePerSec: config.rateLimit, burst: config.rateBurst }) : undefined;
  const log = logger.child({ component: 'http' });
  const accessLog = config.accessLog === 'on' ? createAccessLog(log, { maxField: config.accessLogFieldMax }) : null;
  const sample = config.accessLogSample;

  /** Errors lose the headers a handler set (the engine starts error responses clean). */
  const decorate = (err: unknown, req: HttpRequest, async: boolean): unknown => {
    // The client is gone; nothing will be sent and nothing went wrong on our side. (Only an
    // async handler can outlive its connection; req.signal costs an allocation, so sync
    // handlers never touch it.)
    if (async && req.signal.aborted) return err;
    if (err instanceof HttpError) return err;
    log.error({ err, id: req.id, method: req.method, path: req.path }, 'handler failed');
    return httpError('INTERNAL', 'internal server error');
  };

  /** An async handler whose client left before its response: the engine reports no response for it. */
  const settledAsync = (req: HttpRequest, res: HttpResponse): void => {
    stats.inFlight--;
    if (req.signal.aborted) record(req, res, 499);
  };

  const handle: Handler = (req, res) => {
    if (limiter !== undefined && !UNLIMITED.has(req.path)) {
      const took = limiter.take(clientKey(req));
      if (!took.ok) {
        throw httpError('RATE_LIMITED', `rate limit of ${config.rateLimit} requests/s (burst ${config.rateBurst}) exceeded`, {
          'Retry-After': String(took.retryAfterSec),
        });
      }
    }
    stats.inFlight++;
    let result: void | Promise<void>;
    try {
      result = router.handle(req, res);
    } catch (err) {
      stats.inFlight--;
      throw decorate(err, req, false);
    }
    if (result === undefined) {
      stats.inFlight--;
      return undefined;
    }
    return result.then(
      () => settledAsync(req, res),
      (err: unknown) => {
        settledAsync(req, res);
        throw decorate(err, req, true);
      },
    );
  };

  const routeLabel = (req: HttpRequest, status: number): string => {
    if (known.has(req.path)) return req.path;
    if (status === 404) return 'not_found';
    return req.method === 'GET' || req.method === 'HEAD' ? 'static' : 'not_found';
  };

  function record(req: HttpRequest, res: HttpResponse, status: number): void {
    const ms = performance.now() - req.startedAt;
    metrics.http.observe(routeLabel(req, status), status, ms);
    if (status >= 500) {
      log.error(
        {
          id: req.id,
          client: req.remoteAddress,
          method: req.method,
          path: req.path,
          query: req.rawQuery.slice(0, config.accessLogFieldMax),
          status,
          bytes: res.bytesWritten,
          ms: Math.round(ms * 1000) / 1000,
          ua: (userAgentOf(req) ?? '').slice(0, config.accessLogFieldMax),
        },
        'request',
      );
    } else if (accessLog !== null && (sample >= 1 || Math.random() < sample)) {
      accessLog({
        id: req.id,
        client: req.remoteAddress,
        method: req.method,
        path: req.path,
        query: req.rawQuery,
        status,
        bytes: res.bytesWritten,
        ms,
        userAgent: userAgentOf(req),
      });
    }
  }

  server = createHttpServer(
    {
      ...engineOptionsOf(config),
      ...listenerTls,
      upgrade: wsEcho.upgrade,
      // On every answer, the engine's own errors included; built once.
      constantHeaders: { 'X-Worker-Id': id },
      bodyLimit: (method, path) => router.bodyLimit(method, path),
      onResponse: (req, res) => record(req, res, res.status),
      onError: (err, req) => {
        // HttpErrors are already logged as their 5xx request line; this is for the unexpected.
        if (!(err instanceof HttpError)) log.error({ err, id: req?.id }, 'server error');
      },
    },
    handle,
  );
  const srv = server;

  return {
    id,
    server: srv,
    pool,
    context,
    async listen() {
      const { port } = await srv.listen(config.port, config.host);
      const url = `${srv.scheme}://${urlHost(config.host)}:${port}`;
      if (config.unixSocket === undefined) return { url, port };
      try {
        await srv.listenPath(config.unixSocket);
      } catch (err) {
        await srv.close(); // the TCP listener must not outlive a failed start
        throw err;
      }
      return { url, port, socket: config.unixSocket };
    },
    async close() {
      const closed = srv.close(); // refuses new connections and upgrades at once
      wsEcho.closeAll();
      await closed;
      await pool.close();
      limiter?.close();
      computePoolErrorChannel.unsubscribe(onPoolError);
    },
  };
}

/** The address a client on this machine uses to reach a listener bound to `host`. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
