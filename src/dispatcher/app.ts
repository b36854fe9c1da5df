/**
 * The dispatcher application: assembles the core (upstream set, policy, health,
 * discovery, forwarder) behind the HTTP engine. The dispatcher answers its own routes
 * (SPEC §5, plus the jobs module's) and forwards everything else.
 */
import type { DispatcherConfig } from '../config/types.js';
import { createHttpServer, type HttpServer } from '../server/server.js';
import type { Handler, HttpRequest } from '../server/types.js';
import { engineOptionsOf } from '../server/engine-config.js';
import { listenerTlsOf } from '../server/tls-config.js';
import { HttpError } from '../common/errors.js';
import type { DispatcherContext, JobRoutes } from './context.js';
import { DnsDiscovery, StaticDiscovery, type Discovery, type Resolver } from './upstreams/discovery.js';
import { Forwarder } from './proxy/forward.js';
import { TunnelForwarder } from './proxy/tunnel.js';
import { accessLogOf } from './proxy/access-log-hook.js';
import { readUpstreamCa } from './upstreams/upstream-ca.js';
import { HealthChecker } from './health/health.js';
import { registerJobRoutes } from './jobs/index.js';
import { JobBoard } from './jobs/job-registry.js';
import type { DispatcherAccessLog } from '../common/access-log.js';
import { NOOP_LOGGER, type EventLogger } from './logger.js';
import { DispatcherMetrics } from './admin/metrics.js';
import { describeError } from './proxy/retry.js';
import { createPolicy } from './balance/selection.js';
import { UpstreamSet } from './upstreams/upstream-set.js';
import { dashboardRoutes } from './admin/dashboard-routes.js';
import { healthRoutes } from './admin/health-routes.js';
import { LabelledRouter } from './admin/labelled-router.js';
import { metricsRoutes } from './admin/metrics-routes.js';
import { statusRoutes } from './admin/status-routes.js';
import { workerRoutes } from './admin/workers-routes.js';
import { ClusterToken } from './access-control.js';
import { RequestFilter } from './request-filter.js';
import { OwnAddress } from './upstreams/own-address.js';
import { Registrar } from './upstreams/registration.js';

export interface StartDispatcherOptions {
  /** Event sink (a pino Logger in production). @default no logging */
  logger?: EventLogger;
  /** Use this set (e.g. the embedded cluster's); it is closed with the dispatcher. @default a new one */
  upstreams?: UpstreamSet;
  /** Resolver of `--discover`, for tests. @default the system resolver */
  resolver?: Resolver;
  /** The parallel-jobs routes (SPEC §4); null: none (jobs paths are then forwarded). @default registerJobRoutes */
  jobs?: JobRoutes | null;
  /** Where each forwarded request's access-log line goes. @default none */
  accessLog?: DispatcherAccessLog | null;
  /** Publish process metrics (CPU, memory, GC) on /metrics. @default true */
  defaultMetrics?: boolean;
}

export interface Dispatcher {
  /** `http://HOST:PORT` (`https://` with --tls-cert), with 127.0.0.1 for a wildcard bind. */
  readonly url: string;
  readonly port: number;
  readonly upstreams: UpstreamSet;
  readonly server: HttpServer;
  readonly context: DispatcherContext;
  /** Stops accepting, drains in-flight requests (≤ shutdownTimeout), stops health and discovery, closes pools. */
  close(): Promise<void>;
}

export async function startDispatcher(config: DispatcherConfig, options: StartDispatcherOptions = {}): Promise<Dispatcher> {
  const startedAt = Date.now();
  // First: a bad certificate or key is a start error, before anything runs.
  const listenerTls = listenerTlsOf(config);
  const ca = config.upstreamCa === undefined ? undefined : readUpstreamCa(config.upstreamCa);
  const upstreams =
    options.upstreams ??
    new UpstreamSet({
      pool: {
        connections: config.upstreamConnections,
        queueTimeoutMs: config.upstreamQueueTimeout,
        pipelining: config.upstreamPipelining,
        ca,
      },
    });
  const jobs = new JobBoard({ keepFinished: config.jobsHistory });
  const metrics = new DispatcherMetrics(upstreams, {
    jobs,
    defaultMetrics: options.defaultMetrics,
    historySeconds: Math.round(config.statusHistory / 1000),
  });
  const logger = metrics.eventLogger(options.logger ?? NOOP_LOGGER);
  const policy = createPolicy(config.balance);
  const health = new HealthChecker(upstreams, {
    intervalMs: config.healthInterval,
    timeoutMs: config.healthTimeout,
    fails: config.healthFails,
    passes: config.healthPasses,
    logger,
  });
  const forwarder = new Forwarder({
    upstreams,
    policy,
    retries: config.retries,
    tryDurationMs: config.tryDuration,
    tryIntervalMs: config.tryInterval,
    upstreamTimeoutMs: config.upstreamTimeout,
    body: { bufferBytes: config.proxyBuffer, deadlineMs: config.proxyBodyTimeout, minRate: config.proxyMinRate },
    retryAfterSeconds: 1,
    onAnswered: metrics.upstreamAnswered,
    onFinished: accessLogOf(options.accessLog ?? null, config),
    logger,
  });
  metrics.registerForwarder(forwarder.counts);
  const tunnels = new TunnelForwarder({
    upstreams,
    policy,
    idleTimeoutMs: config.tunnelIdleTimeout,
    answerTimeoutMs: config.upstreamTimeout,
    isLocal: (path) => path === '*' || router.labelOf(path) !== undefined,
    logger,
  });
  metrics.registerTunnels(tunnels);
  // Registration (POST /workers/register) is always on; these are the other sources.
  const discoveries: Discovery[] = [new StaticDiscovery(config.upstreams)];
  if (config.discover !== undefined) {
    discoveries.push(
      new DnsDiscovery(config.discover.host, config.discover.port, config.discoverInterval, { resolver: options.resolver, logger }),
    );
  }
  const ctx: DispatcherContext = { config, upstreams, policy, forwarder, health, jobs, metrics, logger, startedAt };

  let listenPort = 0;
  const ownAddress = new OwnAddress({ host: config.host, port: () => listenPort, resolver: options.resolver });
  const registrar = new Registrar(upstreams, {
    maxRegistered: config.maxRegistered,
    isOwnAddress: (origin) => ownAddress.is(origin),
    pastAddress: (id) => metrics.lineage.pastAddress(id),
  });
  const filter = new RequestFilter(config);

  const router = new LabelledRouter();
  workerRoutes(router, ctx, { token: new ClusterToken(config.clusterToken), registrar });
  healthRoutes(router, ctx);
  statusRoutes(router, ctx);
  metricsRoutes(router, ctx);
  dashboardRoutes(router, ctx);
  const jobRoutes = options.jobs === undefined ? registerJobRoutes : options.jobs;
  if (jobRoutes) router.withLabelPrefix('jobs/', () => jobRoutes(router, ctx));

  // Loops (508) and the rate limit (429) are refused before anything else runs; then the
  // dispatcher's own paths (and `OPTIONS *`, which asks about this server) are answered
  // here, everything else forwarded.
  const handler: Handler = (req, res) => {
    filter.enforce(req);
    if (req.path === '*' || router.labelOf(req.path) !== undefined) return router.handle(req, res);
    return forwarder.forward(req, res);
  };

  /** Metrics and the 5xx log line of every answered request, whichever path served it. */
  const answered = (route: string, status: number, r: { id: string; method: string; path: string; startedAt: number }): void => {
    const ms = performance.now() - r.startedAt;
    metrics.observe(route, status, ms);
    // /ready's 503 is its answer, not a fault, and load balancers poll it.
    if (status >= 500 && route !== 'ready') {
      logger.error(
        { event: 'response_5xx', request_id: r.id, status, method: r.method, path: r.path, route, duration_ms: Math.round(ms) },
        'request answered with a server error',
      );
    }
  };
  const server = createHttpServer(
    {
      ...engineOptionsOf(config),
      ...listenerTls,
      bodyLimit: (method, path) => router.bodyLimit(method, path),
      onResponse: (req, res) => answered(router.labelOf(req.path) ?? (req.path === '*' ? 'options' : 'forward'), res.status, req),
      onError: (err, req) => logHandlerError(logger, err, req),
      // Refused upgrades (a loop, the rate limit) are declined: the handler answers them.
      upgrade: (req, socket, head) => tunnels.wants(req) && filter.allows(req) && tunnels.take(req, socket, head),
    },
    handler,
  );

  metrics.recent.inFlightOf = () => server.inFlight;
  const address = await server.listen(config.port, config.host);
  listenPort = address.port;
  for (const d of discoveries) d.start(upstreams);
  health.start();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // Health keeps running while draining, so held requests still find returning workers.
      await server.close();
      for (const d of discoveries) d.stop();
      health.stop();
      filter.close();
      metrics.close();
      await upstreams.close();
    })());

  return {
    url: `${server.scheme}://${urlHost(config.host)}:${address.port}`,
    port: address.port,
    upstreams,
    server,
    context: ctx,
    close,
  };
}

/** A wildcard bind is reached through loopback; IPv6 literals need brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** 5xx HttpErrors are logged by onResponse with their request id; this is for crashes. */
function logHandlerError(logger: EventLogger, err: unknown, req: HttpRequest | undefined): void {
  if (err instanceof HttpError) return;
  logger.error(
    {
      event: 'handler_error',
      request_id: req?.id,
      method: req?.method,
      path: req?.path,
      error: describeError(err),
      stack: err instanceof Error ? err.stack : undefined,
    },
    req ? 'handler failed' : 'connection fault',
  );
}
