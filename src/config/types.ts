/**
 * The typed, validated, frozen configs each command receives. Durations are milliseconds,
 * sizes bytes. Meanings and bounds live in schema.ts (and docs/configuration.md); a
 * compile-time check in options.ts keeps these field lists equal to the schema's.
 */
import type { BALANCE_POLICIES, HostPort, TLS_VERSIONS } from './schema.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type BalancePolicy = (typeof BALANCE_POLICIES)[number];
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** Limits of the HTTP engine, shared by every server process. */
export interface EngineConfig {
  /** @default '0.0.0.0' */
  readonly host: string;
  /** @default 8080 (dispatcher, start), 8081 (worker) */
  readonly port: number;
  /** @default 8192 (8KiB) */
  readonly maxUri: number;
  /** @default 16384 (16KiB) */
  readonly maxHeaderBytes: number;
  /** @default 200 */
  readonly maxHeaders: number;
  /** @default 1048576 (1MiB) */
  readonly maxBody: number;
  /** @default 10000 (10s) */
  readonly headerTimeout: number;
  /** @default 30000 (30s) */
  readonly bodyTimeout: number;
  /** @default 5000 (5s) */
  readonly keepAliveTimeout: number;
  /** 0 = unlimited. @default 1000 */
  readonly maxRequestsPerConnection: number;
  /** @default 20000 */
  readonly maxConnections: number;
  /** 0 = cut connections at once. @default 10000 (10s) */
  readonly shutdownTimeout: number;
  /** @default 30000 (30s) */
  readonly sendTimeout: number;
  /** @default 'info' */
  readonly logLevel: LogLevel;
  /** @default 'on' */
  readonly accessLog: 'on' | 'off';
  /** In (0, 1]. @default 1 */
  readonly accessLogSample: number;
  /** gzip/brotli of static files and JSON answers when Accept-Encoding allows. @default 'on' */
  readonly compress: 'on' | 'off';
  /** Bodies of at most this many bytes are never compressed. @default 1024 (1KiB) */
  readonly compressThreshold: number;
  /** Absolute path of the PEM certificate (chain); with tlsKey, the listener serves HTTPS. @default undefined */
  readonly tlsCert: string | undefined;
  /** Absolute path of the PEM private key. @default undefined */
  readonly tlsKey: string | undefined;
  /** @default 'TLSv1.2' */
  readonly tlsMinVersion: TlsVersion;
  /** Plain-HTTP port answering 308 to HTTPS; 0 = off. @default 0 */
  readonly redirectHttp: number;
  /** @default 4194304 (4MiB) */
  readonly logBuffer: number;
  /** @default 512 */
  readonly accessLogFieldMax: number;
}

/** Options a worker and the dispatcher both use for rate limiting and jobs. */
export interface SharedJobConfig {
  /** Absolute path. @default resolve('./data') */
  readonly dataDir: string;
  /** Requests/s per client address; 0 = off. @default 0 */
  readonly rateLimit: number;
  /** @default max(10, 2 × rateLimit) */
  readonly rateBurst: number;
  /** Client addresses tracked by the rate limiter at once. @default 100000 */
  readonly rateLimitClients: number;
  /** @default 4294967296 (4GiB) */
  readonly maxCountwordsBytes: number;
  /** Longest /countwords word in bytes; longer → 413. @default 1048576 (1MiB) */
  readonly maxWordBytes: number;
  /** Most distinct /countwords words; more → 413. @default 1000000 */
  readonly maxDistinctWords: number;
  /** @default 1000000 */
  readonly montecarloChunk: number;
}

/** Worker options `dhttp start` passes on to its children. */
export interface WorkerPoolConfig {
  /** Absolute path. @default resolve('./www') */
  readonly www: string;
  /** @default cores (worker); max(1, ⌊cores / workers⌋) (start); cores = os.availableParallelism() capped by the cgroup CPU quota */
  readonly threads: number;
  /** @default 64 */
  readonly queueSize: number;
  /** 0 = off. @default 60000 (60s) */
  readonly taskTimeout: number;
  /** 0 = off. @default 33554432 (32MiB) */
  readonly staticCacheBytes: number;
  /** Largest /ws/echo message in bytes (larger: close 1009). @default 1048576 (1MiB) */
  readonly wsMaxMessage: number;
  /** /ws/echo closes (1001) after this long without a frame from the client. @default 60000 (60s) */
  readonly wsIdleTimeout: number;
}

/** The shared secret of registration (SPEC §6). */
export interface ClusterTokenConfig {
  /** The token itself, also when it came from clusterTokenFile. @default undefined (registration refused) */
  readonly clusterToken: string | undefined;
  /** Absolute path the token was read from at start. @default undefined */
  readonly clusterTokenFile: string | undefined;
}

export interface WorkerConfig extends EngineConfig, SharedJobConfig, WorkerPoolConfig, ClusterTokenConfig {
  /** Dispatcher URLs to register with (normalised; the worker announces to each). @default [] (no registration) */
  readonly register: readonly string[];
  /** URL announced to the dispatcher. @default undefined (the listen address) */
  readonly advertise: string | undefined;
  /** @default 3000 (3s) */
  readonly registerInterval: number;
  /** @default undefined (derived by the worker from host and port) */
  readonly id: string | undefined;
  /** Absolute path (≤ 100 bytes) of an extra Unix-domain listener. @default undefined (TCP only) */
  readonly unixSocket: string | undefined;
}

export interface DispatcherConfig extends EngineConfig, SharedJobConfig, ClusterTokenConfig {
  /** Normalised http(s) URLs without trailing slash. @default [] */
  readonly upstreams: readonly string[];
  /** @default undefined */
  readonly discover: HostPort | undefined;
  /** @default 5000 (5s) */
  readonly discoverInterval: number;
  /** @default 'p2c' */
  readonly balance: BalancePolicy;
  /** @default 1000 (1s) */
  readonly healthInterval: number;
  /** @default 500 */
  readonly healthTimeout: number;
  /** @default 2 */
  readonly healthFails: number;
  /** @default 1 */
  readonly healthPasses: number;
  /** 0 = do not hold. @default 30000 (30s) */
  readonly tryDuration: number;
  /** @default 10 */
  readonly tryInterval: number;
  /** @default 3 */
  readonly retries: number;
  /** 0 = off. @default 60000 (60s) */
  readonly upstreamTimeout: number;
  /** 0 = wait as long as it takes. @default 5000 (5s) */
  readonly upstreamQueueTimeout: number;
  /** @default 128 */
  readonly upstreamConnections: number;
  /** @default 65536 (64KiB) */
  readonly proxyBuffer: number;
  /** 0 = off. @default 60000 (60s) */
  readonly proxyBodyTimeout: number;
  /** Bytes per second; 0 = off. @default 16384 (16KiB) */
  readonly proxyMinRate: number;
  /** @default 16 */
  readonly upstreamPipelining: number;
  /** Absolute path of a PEM CA bundle for https:// workers. @default undefined */
  readonly upstreamCa: string | undefined;
  /** 0 = never. @default 60000 (60s) */
  readonly tunnelIdleTimeout: number;
  /** @default 4194304 (4MiB) */
  readonly countwordsChunk: number;
  /** Registered workers at most. @default 256 */
  readonly maxRegistered: number;
  /** CIDRs (`address/prefix`) whose X-Forwarded-For is believed. @default [] */
  readonly trustedProxies: readonly string[];
  /** Reach of the per-second history, ms. @default 900000 (15m) */
  readonly statusHistory: number;
  /** Finished jobs kept for /status. @default 50 */
  readonly jobsHistory: number;
  /** Deadline of a /workers/<id>/metrics scrape of the worker, ms. @default 5000 (5s) */
  readonly workerMetricsTimeout: number;
  /** Cap of a worker's /metrics answer relayed by /workers/<id>/metrics, bytes. @default 4194304 (4MiB) */
  readonly workerMetricsMaxBytes: number;
}

/** `dhttp start`: the dispatcher's options, the workers' pass-through options, and the supervisor's. */
export interface ClusterConfig extends DispatcherConfig, WorkerPoolConfig {
  /** @default max(2, cores); cores (one per allowed CPU) under a cgroup CPU quota */
  readonly workers: number;
  /** First restart delay; doubles per crash in a row. @default 250 */
  readonly restartBackoff: number;
  /** @default 10000 (10s) */
  readonly restartBackoffMax: number;
}

export interface BenchConfig {
  /** http:// URL (positional). */
  readonly url: string;
  /** @default 100 */
  readonly connections: number;
  /** 0 = no limit. @default 0 */
  readonly requests: number;
  /** 0 = no limit. @default 10000 when requests is 0, else 0 */
  readonly duration: number;
  /** @default 0 */
  readonly warmup: number;
  /** Upper-cased token. @default 'GET' */
  readonly method: string;
  /** Absolute path of the body file. @default undefined */
  readonly body: string | undefined;
  /** "Name: value" lines. @default [] */
  readonly header: readonly string[];
  /** @default 10000 (10s) */
  readonly timeout: number;
  /** @default 1 */
  readonly threads: number;
  /** Requests/s over all connections; 0 = closed loop. @default 0 */
  readonly rate: number;
  /** @default 1 */
  readonly pipeline: number;
  /** @default false */
  readonly json: boolean;
}

export type ParsedCommand =
  | { readonly command: 'worker'; readonly config: WorkerConfig }
  | { readonly command: 'dispatcher'; readonly config: DispatcherConfig }
  | { readonly command: 'start'; readonly config: ClusterConfig }
  | { readonly command: 'bench'; readonly config: BenchConfig };

/** A command to run, or text to print and exit 0 (--help, --version). */
export type ParseResult = ParsedCommand | { readonly help: string } | { readonly version: string };
