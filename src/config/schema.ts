/**
 * Every command-line option, once. Flags, environment twins, defaults, validation, --help
 * and docs/configuration.md are all derived from this table, so they cannot disagree.
 */
import { SOCKET_PATH_PATTERN } from './addresses.js';
import { CLUSTER_TOKEN_PATTERN, CLUSTER_TOKEN_TEXT } from './cluster-token.js';
import { cpuBudget } from './cpus.js';

export const COMMANDS = Object.freeze(['start', 'worker', 'dispatcher', 'bench'] as const);
export type CommandName = (typeof COMMANDS)[number];

export type OptionType = 'int' | 'number' | 'bool' | 'string' | 'path' | 'duration' | 'size' | 'enum' | 'list' | 'url' | 'host:port';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type OptionValue = string | number | boolean | readonly string[] | HostPort | undefined;

/**
 * The headings of `--help` and the sections of docs/configuration.md, in the order shown.
 * A group says what an option is about; `commands` says who takes it (the table below is
 * laid out by the latter).
 */
export const OPTION_GROUPS = Object.freeze({
  listen: 'Listening',
  limits: 'Limits and timeouts',
  content: 'Static files, data files and compression',
  jobs: 'Compute pool and parallel jobs',
  cluster: 'Cluster membership',
  proxy: 'Forwarding to workers',
  health: 'Health checks',
  logging: 'Logging',
  load: 'Load generation',
} as const);

export type OptionGroup = keyof typeof OPTION_GROUPS;

export interface OptionSpec {
  /** camelCase field of the parsed config. */
  readonly key: string;
  /** kebab-case long flag, without the dashes. */
  readonly flag: string;
  /** One-letter alias, without the dash. */
  readonly short?: string;
  readonly type: OptionType;
  /** undefined means "not set" (optional urls, ids). */
  readonly default: OptionValue;
  /** Per-command defaults that differ from `default` (the port of each role). */
  readonly defaultFor?: Partial<Record<CommandName, OptionValue>>;
  /** Shown instead of the value when the default depends on the machine or on other options. */
  readonly defaultText?: string;
  /** Inclusive bounds, in the option's unit (ms, bytes). */
  readonly min?: number;
  readonly max?: number;
  /** When set, 0 is accepted outside [min, max] and means this. */
  readonly zero?: string;
  /** Allowed values of an enum. */
  readonly values?: readonly string[];
  /** Element type of a list. */
  readonly item?: 'upstream' | 'cidr' | 'url' | 'string';
  /** Extra check for strings, with the words the error message uses for it. */
  readonly pattern?: RegExp;
  readonly patternText?: string;
  readonly help: string;
  readonly group: OptionGroup;
  readonly commands: readonly CommandName[];
}

const SERVERS: readonly CommandName[] = ['worker', 'dispatcher', 'start'];
const WORKERS: readonly CommandName[] = ['worker', 'start'];
const DISPATCHERS: readonly CommandName[] = ['dispatcher', 'start'];
const BENCH: readonly CommandName[] = ['bench'];

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const LOG_LEVELS = Object.freeze(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);
export const BALANCE_POLICIES = Object.freeze(['round-robin', 'least-load', 'p2c'] as const);
export const TLS_VERSIONS = Object.freeze(['TLSv1.2', 'TLSv1.3'] as const);

const CPU_BUDGET = cpuBudget();
/** CPUs this process may use: the host's, capped by a cgroup CPU quota (a container's CPU limit). */
export const CORES = CPU_BUDGET.cpus;

export const OPTIONS: readonly OptionSpec[] = Object.freeze([
  // ── engine limits: every server process ────────────────────────────────────────────
  {
    key: 'host',
    flag: 'host',
    type: 'string',
    default: '0.0.0.0',
    group: 'listen',
    commands: SERVERS,
    help: 'Address to listen on. `dhttp start` binds its dispatcher here; its workers always use 127.0.0.1.',
  },
  {
    key: 'port',
    flag: 'port',
    type: 'int',
    default: 8080,
    defaultFor: { worker: 8081 },
    min: 0,
    max: 65535,
    group: 'listen',
    commands: SERVERS,
    help: 'TCP port to listen on; 0 picks a free one. `PORT` also sets it.',
  },
  {
    key: 'maxUri',
    flag: 'max-uri',
    type: 'size',
    default: 8 * KiB,
    min: 64,
    max: MiB,
    group: 'limits',
    commands: SERVERS,
    help: 'Longest request-target accepted; longer gets 414.',
  },
  {
    key: 'maxHeaderBytes',
    flag: 'max-header-bytes',
    type: 'size',
    default: 16 * KiB,
    min: KiB,
    max: MiB,
    group: 'limits',
    commands: SERVERS,
    help: 'Largest header section (request line included); larger gets 431.',
  },
  {
    key: 'maxHeaders',
    flag: 'max-headers',
    type: 'int',
    default: 200,
    min: 1,
    max: 10_000,
    group: 'limits',
    commands: SERVERS,
    help: 'Most header fields in one request; more gets 431.',
  },
  {
    key: 'maxBody',
    flag: 'max-body',
    type: 'size',
    default: MiB,
    min: 0,
    max: TiB,
    group: 'limits',
    commands: SERVERS,
    help: 'Largest request body (declared length checked before reading); larger gets 413. /countwords uses --max-countwords-bytes instead.',
  },
  {
    key: 'headerTimeout',
    flag: 'header-timeout',
    type: 'duration',
    default: 10 * SECOND,
    min: 1,
    max: HOUR,
    group: 'limits',
    commands: SERVERS,
    help: 'Time allowed to receive a whole request head (slowloris guard); then 408.',
  },
  {
    key: 'bodyTimeout',
    flag: 'body-timeout',
    type: 'duration',
    default: 30 * SECOND,
    min: 1,
    max: DAY,
    group: 'limits',
    commands: SERVERS,
    help: 'Longest pause between two reads of a request body; then 408.',
  },
  {
    key: 'keepAliveTimeout',
    flag: 'keep-alive-timeout',
    type: 'duration',
    default: 5 * SECOND,
    min: 1,
    max: HOUR,
    group: 'limits',
    commands: SERVERS,
    help: 'How long an idle keep-alive connection stays open; then it is closed quietly. Announced as Keep-Alive: timeout=N (whole seconds) so clients retire idle connections first.',
  },
  {
    key: 'maxRequestsPerConnection',
    flag: 'max-requests-per-connection',
    type: 'int',
    default: 1000,
    min: 1,
    max: 1e9,
    zero: 'unlimited',
    group: 'limits',
    commands: SERVERS,
    help: 'Requests served on one connection before answering with `Connection: close` (as nginx keepalive_requests).',
  },
  {
    key: 'maxConnections',
    flag: 'max-connections',
    type: 'int',
    default: 20_000,
    min: 1,
    max: 1e6,
    group: 'limits',
    commands: SERVERS,
    help: 'Open client connections at most; further connections are closed at once.',
  },
  {
    key: 'shutdownTimeout',
    flag: 'shutdown-timeout',
    type: 'duration',
    default: 10 * SECOND,
    min: 1,
    max: HOUR,
    zero: 'close at once',
    group: 'limits',
    commands: SERVERS,
    help: 'On SIGINT/SIGTERM, how long in-flight requests may finish before connections are cut.',
  },
  {
    key: 'sendTimeout',
    flag: 'send-timeout',
    type: 'duration',
    default: 30 * SECOND,
    min: 1,
    max: DAY,
    group: 'limits',
    commands: SERVERS,
    help: "Longest time a client may take none of its answer's bytes (nginx's send_timeout); then its connection is closed (and, on a dispatcher, the worker connection it held is freed).",
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    type: 'enum',
    default: 'info',
    values: LOG_LEVELS,
    group: 'logging',
    commands: SERVERS,
    help: 'pino log level.',
  },
  {
    key: 'tlsCert',
    flag: 'tls-cert',
    type: 'path',
    default: undefined,
    defaultText: 'off (plain HTTP)',
    group: 'listen',
    commands: SERVERS,
    help: 'PEM certificate (the server certificate first, then any intermediates): serve HTTPS on --port, with --tls-key. SIGHUP re-reads both without dropping connections. In `dhttp start`, for the dispatcher only (its workers stay plain).',
  },
  {
    key: 'tlsKey',
    flag: 'tls-key',
    type: 'path',
    default: undefined,
    defaultText: 'off',
    group: 'listen',
    commands: SERVERS,
    help: 'PEM private key (unencrypted) matching --tls-cert.',
  },
  {
    key: 'tlsMinVersion',
    flag: 'tls-min-version',
    type: 'enum',
    default: 'TLSv1.2',
    values: TLS_VERSIONS,
    group: 'listen',
    commands: SERVERS,
    help: 'Oldest TLS version a client may use (with --tls-cert).',
  },
  {
    key: 'redirectHttp',
    flag: 'redirect-http',
    type: 'int',
    default: 0,
    min: 1,
    max: 65535,
    zero: 'off',
    group: 'listen',
    commands: SERVERS,
    help: 'With --tls-cert: also listen on this port (same --host) for plain HTTP and answer every request with 308 to https://<host>:<port><target>.',
  },

  // ── compression: every server process ──────────────────────────────────────────────
  {
    key: 'compress',
    flag: 'compress',
    type: 'enum',
    default: 'on',
    values: ['on', 'off'],
    group: 'content',
    commands: SERVERS,
    help: 'gzip/brotli for static files and JSON answers larger than --compress-threshold when Accept-Encoding allows (never for images, video, archives or fonts that are compressed already). The dispatcher compresses its own pages and JSON only; forwarded answers pass as the worker sent them.',
  },
  {
    key: 'compressThreshold',
    flag: 'compress-threshold',
    type: 'size',
    default: KiB,
    min: 0,
    max: GiB,
    group: 'content',
    commands: SERVERS,
    help: 'Bodies up to this size go out uncompressed: below about a kilobyte the coding costs more than it saves.',
  },

  // ── worker ─────────────────────────────────────────────────────────────────────────
  {
    key: 'www',
    flag: 'www',
    type: 'path',
    default: './www',
    group: 'content',
    commands: WORKERS,
    help: "Static files root; its subdirectory named like a request's Host serves that virtual host.",
  },
  {
    key: 'dataDir',
    flag: 'data-dir',
    type: 'path',
    default: './data',
    group: 'content',
    commands: [...WORKERS, 'dispatcher'],
    help: 'Directory of /createfile, /deletefile and /countwords?file= (one directory shared by the embedded cluster).',
  },
  {
    key: 'threads',
    flag: 'threads',
    type: 'int',
    default: CORES,
    min: 1,
    max: 1024,
    group: 'jobs',
    commands: WORKERS,
    defaultText: 'cores (worker); max(1, ⌊cores / workers⌋) (start); cores = CPUs allowed by affinity and the cgroup CPU quota',
    help: 'Compute pool threads per worker.',
  },
  {
    key: 'queueSize',
    flag: 'queue-size',
    type: 'int',
    default: 64,
    min: 0,
    max: 100_000,
    group: 'jobs',
    commands: WORKERS,
    help: 'Compute tasks waiting for a thread before new ones get 503.',
  },
  {
    key: 'taskTimeout',
    flag: 'task-timeout',
    type: 'duration',
    default: MINUTE,
    min: 1,
    max: DAY,
    zero: 'off',
    group: 'jobs',
    commands: WORKERS,
    help: 'A compute task running longer gets 504 and its thread is recycled.',
  },
  {
    key: 'rateLimit',
    flag: 'rate-limit',
    type: 'number',
    default: 0,
    min: 0.01,
    max: 1e9,
    zero: 'off',
    group: 'limits',
    commands: [...WORKERS, 'dispatcher'],
    help: 'Requests per second per client address (token bucket); excess gets 429 with Retry-After. In `dhttp start` it applies at the dispatcher only; the dispatcher finds the client address with --trusted-proxies. Its own /health, /ready and /metrics (a worker: /ping, /health, /metrics) are never limited.',
  },
  {
    key: 'rateBurst',
    flag: 'rate-burst',
    type: 'number',
    default: 10,
    min: 1,
    max: 1e9,
    group: 'limits',
    commands: [...WORKERS, 'dispatcher'],
    defaultText: 'max(10, 2 × rate-limit)',
    help: 'Token bucket size: requests a client may send at once.',
  },
  {
    key: 'rateLimitClients',
    flag: 'rate-limit-clients',
    type: 'int',
    default: 100_000,
    min: 1,
    max: 10_000_000,
    group: 'limits',
    commands: [...WORKERS, 'dispatcher'],
    help: 'Client addresses whose buckets are kept at once (memory stays bounded); past it the least recently seen is forgotten and starts again with a full bucket.',
  },
  {
    key: 'maxCountwordsBytes',
    flag: 'max-countwords-bytes',
    type: 'size',
    default: 4 * GiB,
    min: 0,
    max: 64 * TiB,
    group: 'limits',
    commands: [...WORKERS, 'dispatcher'],
    help: 'Largest /countwords body; larger gets 413.',
  },
  {
    key: 'montecarloChunk',
    flag: 'montecarlo-chunk',
    type: 'int',
    default: 1_000_000,
    min: 1,
    max: 1e10,
    group: 'jobs',
    commands: [...WORKERS, 'dispatcher'],
    help: 'Points per Monte Carlo chunk (chunk boundaries depend on this and N only).',
  },
  {
    key: 'staticCacheBytes',
    flag: 'static-cache-bytes',
    type: 'size',
    default: 32 * MiB,
    min: 0,
    max: 64 * GiB,
    zero: 'off',
    group: 'content',
    commands: WORKERS,
    help: 'Memory for caching small static files.',
  },
  {
    key: 'wsMaxMessage',
    flag: 'ws-max-message',
    type: 'size',
    default: MiB,
    min: 1,
    max: 256 * MiB,
    group: 'limits',
    commands: WORKERS,
    help: 'Largest WebSocket message /ws/echo accepts (after reassembly of its fragments); a larger one closes the connection with 1009.',
  },
  {
    key: 'wsIdleTimeout',
    flag: 'ws-idle-timeout',
    type: 'duration',
    default: MINUTE,
    min: 1,
    max: DAY,
    group: 'limits',
    commands: WORKERS,
    help: 'A /ws/echo connection that receives no frame (message, ping or pong) for this long is closed with 1001.',
  },
  {
    key: 'register',
    flag: 'register',
    type: 'list',
    item: 'url',
    default: [],
    group: 'cluster',
    commands: ['worker'],
    help: 'Dispatcher URLs, comma-separated (the flag may repeat), to announce this worker to (POST /workers/register), each again every --register-interval: two dispatchers over the same workers both learn them.',
  },
  {
    key: 'advertise',
    flag: 'advertise',
    type: 'url',
    default: undefined,
    group: 'cluster',
    commands: ['worker'],
    defaultText: 'the listen address',
    help: 'URL the dispatcher should use to reach this worker.',
  },
  {
    key: 'registerInterval',
    flag: 'register-interval',
    type: 'duration',
    default: 3 * SECOND,
    min: 100,
    max: HOUR,
    group: 'cluster',
    commands: ['worker'],
    help: 'How often to re-announce to --register, so a restarted dispatcher learns the worker again.',
  },
  {
    key: 'id',
    flag: 'id',
    type: 'string',
    default: undefined,
    group: 'cluster',
    commands: ['worker'],
    pattern: /^[A-Za-z0-9._:-]{1,64}$/,
    patternText: '1–64 characters of [A-Za-z0-9._:-]',
    defaultText: 'derived from host and port',
    help: 'Worker ID shown by the dispatcher (1–64 of [A-Za-z0-9._:-]); kept across restarts.',
  },
  // Only `worker`: `dhttp start` gives each child its own socket itself. A string, not a
  // path, so a relative path is refused rather than resolved; ASCII keeps chars = bytes.
  {
    key: 'unixSocket',
    flag: 'unix-socket',
    type: 'string',
    default: undefined,
    group: 'listen',
    commands: ['worker'],
    pattern: SOCKET_PATH_PATTERN,
    patternText: 'an absolute path of at most 100 bytes (printable ASCII)',
    defaultText: 'off',
    help: 'Also listen on this Unix-domain socket (mode 0600), serving the same app as the TCP port. A stale socket file there is replaced; any other file is an error. Removed on shutdown.',
  },

  // ── dispatcher ─────────────────────────────────────────────────────────────────────
  {
    key: 'upstreams',
    flag: 'upstreams',
    type: 'list',
    item: 'upstream',
    default: [],
    group: 'cluster',
    commands: DISPATCHERS,
    help: 'Fixed workers, comma-separated (http://h1:8081,http://h2:8081), or unix:/path/w1.sock for a worker on a Unix-domain socket (dhttp worker --unix-socket); the flag may repeat.',
  },
  {
    key: 'discover',
    flag: 'discover',
    type: 'host:port',
    default: undefined,
    group: 'cluster',
    commands: DISPATCHERS,
    help: 'DNS name and port re-resolved every --discover-interval; every A/AAAA record becomes a worker.',
  },
  {
    key: 'discoverInterval',
    flag: 'discover-interval',
    type: 'duration',
    default: 5 * SECOND,
    min: 100,
    max: HOUR,
    group: 'cluster',
    commands: DISPATCHERS,
    help: 'How often --discover is re-resolved.',
  },
  {
    key: 'clusterToken',
    flag: 'cluster-token',
    type: 'string',
    default: undefined,
    group: 'cluster',
    commands: SERVERS,
    pattern: CLUSTER_TOKEN_PATTERN,
    patternText: CLUSTER_TOKEN_TEXT,
    defaultText: 'none: registration refused',
    help: 'Shared secret of the cluster. The dispatcher accepts POST /workers/register and /workers/deregister only with `Authorization: Bearer <token>` (401 otherwise; with no token set it refuses them with 403); `dhttp worker --register` sends it. Flags show in `ps`: prefer --cluster-token-file or the environment.',
  },
  {
    key: 'clusterTokenFile',
    flag: 'cluster-token-file',
    type: 'path',
    default: undefined,
    group: 'cluster',
    commands: SERVERS,
    defaultText: 'none',
    help: 'File holding the cluster token, read once at start (a trailing newline is ignored); instead of --cluster-token.',
  },
  {
    key: 'maxRegistered',
    flag: 'max-registered',
    type: 'int',
    default: 256,
    min: 1,
    max: 100_000,
    group: 'cluster',
    commands: DISPATCHERS,
    help: 'Most workers added by POST /workers/register at a time; one more gets 503 REGISTRY_FULL.',
  },
  {
    key: 'trustedProxies',
    flag: 'trusted-proxies',
    type: 'list',
    item: 'cidr',
    default: [],
    group: 'limits',
    commands: DISPATCHERS,
    defaultText: 'none',
    help: 'Proxies in front of the dispatcher (IPv4/IPv6 addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed: for a request from one of them the client address is the right-most X-Forwarded-For entry outside this list. Otherwise it is the peer address.',
  },
  {
    key: 'balance',
    flag: 'balance',
    type: 'enum',
    default: 'p2c',
    values: BALANCE_POLICIES,
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'Worker selection: round-robin, least in-flight load, or power of two choices on load.',
  },
  {
    key: 'healthInterval',
    flag: 'health-interval',
    type: 'duration',
    default: SECOND,
    min: 10,
    max: HOUR,
    group: 'health',
    commands: DISPATCHERS,
    help: 'Active health check (GET /ping) period.',
  },
  {
    key: 'healthTimeout',
    flag: 'health-timeout',
    type: 'duration',
    default: 500,
    min: 1,
    max: MINUTE,
    group: 'health',
    commands: DISPATCHERS,
    help: 'A health check not answered within this fails.',
  },
  {
    key: 'healthFails',
    flag: 'health-fails',
    type: 'int',
    default: 2,
    min: 1,
    max: 100,
    group: 'health',
    commands: DISPATCHERS,
    help: 'Consecutive failed checks that mark a worker inactive.',
  },
  {
    key: 'healthPasses',
    flag: 'health-passes',
    type: 'int',
    default: 1,
    min: 1,
    max: 100,
    group: 'health',
    commands: DISPATCHERS,
    help: 'Consecutive passed checks that mark an inactive worker active again.',
  },
  {
    key: 'tryDuration',
    flag: 'try-duration',
    type: 'duration',
    default: 30 * SECOND,
    min: 1,
    max: HOUR,
    zero: 'do not hold',
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'How long a request is held while no worker is available; then 503.',
  },
  {
    key: 'tryInterval',
    flag: 'try-interval',
    type: 'duration',
    default: 10,
    min: 1,
    max: MINUTE,
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'How often a held request looks for an available worker.',
  },
  {
    key: 'retries',
    flag: 'retries',
    type: 'int',
    default: 3,
    min: 0,
    max: 100,
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'Further attempts on other workers after a failed one (failures before any response byte, or any failure of an idempotent request).',
  },
  {
    key: 'upstreamTimeout',
    flag: 'upstream-timeout',
    type: 'duration',
    default: MINUTE,
    min: 1,
    max: DAY,
    zero: 'off',
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'Time a worker has to start answering a forwarded request; then 504 (after retries).',
  },
  {
    key: 'upstreamQueueTimeout',
    flag: 'upstream-queue-timeout',
    type: 'duration',
    default: 5 * SECOND,
    min: 1,
    max: HOUR,
    zero: 'wait as long as it takes',
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'Longest wait for a free connection to a worker when all of its --upstream-connections are busy; the request then tries another worker, else gets 503 with Retry-After.',
  },
  {
    key: 'upstreamConnections',
    flag: 'upstream-connections',
    type: 'int',
    default: 128,
    min: 1,
    max: 100_000,
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'Connections to each worker at most (a keep-alive pool per worker).',
  },
  {
    key: 'proxyBuffer',
    flag: 'proxy-buffer',
    type: 'size',
    default: 64 * KiB,
    min: 0,
    max: GiB,
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'Request bodies up to this size are read whole before a worker connection is taken (a slow client then holds only its own connection), and can be sent again on a retry. Larger bodies are streamed under --proxy-body-timeout and --proxy-min-rate.',
  },
  {
    key: 'proxyBodyTimeout',
    flag: 'proxy-body-timeout',
    type: 'duration',
    default: MINUTE,
    min: 1,
    max: DAY,
    zero: 'off',
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'Longest time to stream a request body larger than --proxy-buffer to a worker; then 408.',
  },
  {
    key: 'proxyMinRate',
    flag: 'proxy-min-rate',
    type: 'size',
    default: 16 * KiB,
    min: 0,
    max: GiB,
    zero: 'off',
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'Lowest average rate, in bytes per second, of a request body streamed to a worker (checked after its first 5 s); slower gets 408.',
  },
  {
    key: 'upstreamCa',
    flag: 'upstream-ca',
    type: 'path',
    default: undefined,
    defaultText: "Node's bundled CAs",
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'PEM file of the CAs to trust for https:// workers (a private CA), instead of the bundled public ones.',
  },
  {
    key: 'tunnelIdleTimeout',
    flag: 'tunnel-idle-timeout',
    type: 'duration',
    default: MINUTE,
    min: 1,
    max: DAY,
    zero: 'never',
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'An Upgrade tunnel (a WebSocket through the dispatcher) with no byte either way for this long is closed.',
  },
  {
    key: 'upstreamPipelining',
    flag: 'upstream-pipelining',
    type: 'int',
    default: 16,
    min: 1,
    max: 256,
    group: 'proxy',
    commands: DISPATCHERS,
    help: 'GET/HEAD requests known to be answered quickly that may go to a worker together on one connection (HTTP/1.1 pipelining); 1 = never.',
  },
  {
    key: 'countwordsChunk',
    flag: 'countwords-chunk',
    type: 'size',
    default: 4 * MiB,
    min: KiB,
    max: GiB,
    group: 'jobs',
    commands: DISPATCHERS,
    help: 'Bytes per /countwords chunk sent to a worker (cut at a word boundary).',
  },
  {
    key: 'statusHistory',
    flag: 'status-history',
    type: 'duration',
    default: 15 * MINUTE,
    min: MINUTE,
    max: HOUR,
    group: 'logging',
    commands: DISPATCHERS,
    help: 'How far back the per-second samples of /status?since= and the dashboard reach (one sample a second, per worker too).',
  },
  {
    key: 'jobsHistory',
    flag: 'jobs-history',
    type: 'int',
    default: 50,
    min: 0,
    max: 1000,
    group: 'logging',
    commands: DISPATCHERS,
    help: 'Finished parallel jobs listed by /status and the dashboard (the newest).',
  },
  {
    key: 'workerMetricsTimeout',
    flag: 'worker-metrics-timeout',
    type: 'duration',
    default: 5 * SECOND,
    min: 1,
    max: MINUTE,
    group: 'logging',
    commands: DISPATCHERS,
    help: 'Time a worker has to send its whole /metrics when scraped through /workers/<id>/metrics; then 504.',
  },
  {
    key: 'workerMetricsMaxBytes',
    flag: 'worker-metrics-max-bytes',
    type: 'size',
    default: 4 * MiB,
    min: KiB,
    max: 256 * MiB,
    group: 'logging',
    commands: DISPATCHERS,
    help: 'Largest worker /metrics answer relayed by /workers/<id>/metrics; a larger one gets 502.',
  },

  // ── embedded cluster ───────────────────────────────────────────────────────────────
  {
    key: 'workers',
    flag: 'workers',
    type: 'int',
    // Under a CPU quota the container's replicas give redundancy; a second process on one
    // allowed CPU only competes for it.
    default: CPU_BUDGET.quota === undefined ? Math.max(2, CORES) : CORES,
    min: 1,
    max: 1024,
    group: 'cluster',
    commands: ['start'],
    defaultText: 'max(2, cores); one per allowed CPU under a cgroup CPU quota',
    help: 'Worker child processes.',
  },
  {
    key: 'restartBackoff',
    flag: 'restart-backoff',
    type: 'duration',
    default: 250,
    min: 1,
    max: HOUR,
    group: 'cluster',
    commands: ['start'],
    help: 'Delay before restarting a crashed worker; doubles after each crash in a row.',
  },
  {
    key: 'restartBackoffMax',
    flag: 'restart-backoff-max',
    type: 'duration',
    default: 10 * SECOND,
    min: 1,
    max: HOUR,
    group: 'cluster',
    commands: ['start'],
    help: 'Upper bound of the doubling restart delay.',
  },

  // ── bench ──────────────────────────────────────────────────────────────────────────
  {
    key: 'connections',
    flag: 'connections',
    short: 'c',
    type: 'int',
    default: 100,
    min: 1,
    max: 10_000,
    group: 'load',
    commands: BENCH,
    help: 'Concurrent keep-alive connections, each with one request in flight.',
  },
  {
    key: 'requests',
    flag: 'requests',
    short: 'n',
    type: 'int',
    default: 0,
    min: 1,
    max: 1e12,
    zero: 'no limit',
    group: 'load',
    commands: BENCH,
    help: 'Stop after this many requests (responses and errors).',
  },
  {
    key: 'duration',
    flag: 'duration',
    short: 'd',
    type: 'duration',
    default: 0,
    min: 1,
    max: DAY,
    zero: 'no limit',
    defaultText: '10s when --requests is not given, else 0',
    group: 'load',
    commands: BENCH,
    help: 'Stop after this long; with --requests too, whichever comes first.',
  },
  {
    key: 'warmup',
    flag: 'warmup',
    type: 'duration',
    default: 0,
    min: 1,
    max: HOUR,
    zero: 'none',
    group: 'load',
    commands: BENCH,
    help: 'Load applied before measuring; not recorded.',
  },
  {
    key: 'method',
    flag: 'method',
    type: 'string',
    default: 'GET',
    group: 'load',
    commands: BENCH,
    pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
    patternText: 'an HTTP method token',
    help: 'Request method (case-sensitive).',
  },
  {
    key: 'body',
    flag: 'body',
    type: 'path',
    default: undefined,
    group: 'load',
    commands: BENCH,
    help: 'File sent as the request body (with Content-Length).',
  },
  {
    key: 'header',
    flag: 'header',
    short: 'H',
    type: 'list',
    item: 'string',
    default: [],
    group: 'load',
    commands: BENCH,
    pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ \t]*[^\r\n]*$/,
    patternText: '"Name: value"',
    help: 'Extra request header; the flag may repeat (commas are kept; the environment twin takes one per line).',
  },
  {
    key: 'timeout',
    flag: 'timeout',
    type: 'duration',
    default: 10 * SECOND,
    min: 1,
    max: HOUR,
    group: 'load',
    commands: BENCH,
    help: 'A request not answered within this counts as a timeout error and its connection is replaced.',
  },
  {
    key: 'json',
    flag: 'json',
    type: 'bool',
    default: false,
    group: 'load',
    commands: BENCH,
    help: 'Print one JSON object instead of the text report.',
  },
] satisfies OptionSpec[]);

export interface CommandExample {
  /** A command line as typed: optional `VAR=value` words, then `dhttp <command> …` (no quoting). */
  readonly line: string;
  readonly does: string;
}

export interface CommandSpec {
  readonly name: CommandName;
  readonly summary: string;
  /** Positional arguments, in order; each maps onto a config key. */
  readonly positionals: readonly { readonly key: string; readonly name: string; readonly help: string }[];
  /** Shown at the end of --help; test/cli/help-groups.test.ts parses each one. */
  readonly examples: readonly CommandExample[];
}

export const COMMAND_SPECS: Readonly<Record<CommandName, CommandSpec>> = Object.freeze({
  start: {
    name: 'start',
    summary: 'Embedded cluster: a dispatcher plus --workers worker processes on 127.0.0.1.',
    positionals: [],
    examples: [
      { line: 'dhttp start --workers 4 --port 8080', does: 'A dispatcher on :8080 in front of four local worker processes.' },
      {
        line: 'DHTTP_LOG_LEVEL=warn dhttp start --www ./site --rate-limit 100 --compress off',
        does: 'Serve ./site, 100 requests/s per client, quiet logs, no compression.',
      },
    ],
  },
  worker: {
    name: 'worker',
    summary: 'One worker: the endpoints, static files and the compute pool.',
    positionals: [],
    examples: [
      { line: 'dhttp worker --port 8081 --www ./www --threads 4', does: 'The endpoints and ./www on :8081, four compute threads.' },
      {
        line: 'dhttp worker --port 8081 --register http://10.0.0.1:8080 --advertise http://10.0.0.5:8081',
        does: 'Join a dispatcher on another host, telling it where this worker is reached.',
      },
    ],
  },
  dispatcher: {
    name: 'dispatcher',
    summary: 'The entry point: balances over workers, health-checks them, splits parallel jobs.',
    positionals: [],
    examples: [
      {
        line: 'dhttp dispatcher --port 8080 --upstreams http://127.0.0.1:8081,http://127.0.0.1:8082',
        does: 'Balance over two fixed workers.',
      },
      {
        line: 'dhttp dispatcher --discover worker:8081 --balance least-load --health-interval 500ms',
        does: 'Workers found by DNS (every A/AAAA record of "worker"), checked twice a second.',
      },
    ],
  },
  bench: {
    name: 'bench',
    summary: 'Closed-loop HTTP/1.1 load generator with keep-alive connections.',
    positionals: [{ key: 'url', name: 'URL', help: 'http:// URL to load.' }],
    examples: [
      { line: 'dhttp bench http://127.0.0.1:8080/ping -c 100 -d 10s', does: '100 connections for 10 seconds.' },
      {
        line: 'dhttp bench http://127.0.0.1:8080/dashboard -c 10 -n 10000 -H Accept-Encoding:br --json',
        does: '10 000 requests asking for brotli; one JSON object with req/s and bytes read.',
      },
    ],
  },
});

/** The options a command takes, in table order. */
export function optionsFor(command: CommandName): readonly OptionSpec[] {
  return OPTIONS.filter((o) => o.commands.includes(command));
}

/** DHTTP_QUEUE_SIZE for queue-size. */
export function envName(spec: OptionSpec): string {
  return `DHTTP_${spec.flag.toUpperCase().replaceAll('-', '_')}`;
}

export function defaultFor(spec: OptionSpec, command: CommandName): OptionValue {
  const own = spec.defaultFor?.[command];
  return own !== undefined ? own : spec.default;
}
