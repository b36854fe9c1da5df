/**
 * Every command-line option, once. Flags, environment twins, defaults, validation, --help
 * and docs/configuration.md are all derived from this table, so they cannot disagree.
 */
import { availableParallelism } from 'node:os';
import { SOCKET_PATH_PATTERN } from './addresses.js';

export const COMMANDS = Object.freeze(['start', 'worker', 'dispatcher', 'bench'] as const);
export type CommandName = (typeof COMMANDS)[number];

export type OptionType = 'int' | 'number' | 'bool' | 'string' | 'path' | 'duration' | 'size' | 'enum' | 'list' | 'url' | 'host:port';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type OptionValue = string | number | boolean | readonly string[] | HostPort | undefined;

export type OptionGroup = 'engine' | 'worker' | 'dispatcher' | 'cluster' | 'bench';

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
  readonly item?: 'upstream' | 'string';
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
export const UPSTREAM_CLIENT_NAMES = Object.freeze(['raw', 'undici'] as const);

export const CORES = availableParallelism();

export const OPTIONS: readonly OptionSpec[] = Object.freeze([
  // ── engine limits: every server process ────────────────────────────────────────────
  {
    key: 'host',
    flag: 'host',
    type: 'string',
    default: '0.0.0.0',
    group: 'engine',
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
    group: 'engine',
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
    group: 'engine',
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
    group: 'engine',
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
    group: 'engine',
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
    group: 'engine',
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
    group: 'engine',
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
    group: 'engine',
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
    group: 'engine',
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
    group: 'engine',
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
    group: 'engine',
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
    group: 'engine',
    commands: SERVERS,
    help: 'On SIGINT/SIGTERM, how long in-flight requests may finish before connections are cut.',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    type: 'enum',
    default: 'info',
    values: LOG_LEVELS,
    group: 'engine',
    commands: SERVERS,
    help: 'pino log level.',
  },
  {
    key: 'logBuffer',
    flag: 'log-buffer',
    type: 'size',
    default: 4 * MiB,
    min: 64 * KiB,
    max: GiB,
    group: 'engine',
    commands: SERVERS,
    help: 'Log bytes held while stdout does not take them (a slow or stuck reader); later lines are dropped, counted and reported.',
  },
  {
    key: 'accessLogFieldMax',
    flag: 'access-log-field-max',
    type: 'int',
    default: 512,
    min: 16,
    max: 64 * KiB,
    group: 'engine',
    commands: SERVERS,
    help: 'Longest query, target or user agent written in an access-log line, in characters; longer ones are cut and end with "…".',
  },

  // ── worker ─────────────────────────────────────────────────────────────────────────
  {
    key: 'www',
    flag: 'www',
    type: 'path',
    default: './www',
    group: 'worker',
    commands: WORKERS,
    help: "Static files root; its subdirectory named like a request's Host serves that virtual host.",
  },
  {
    key: 'dataDir',
    flag: 'data-dir',
    type: 'path',
    default: './data',
    group: 'worker',
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
    group: 'worker',
    commands: WORKERS,
    defaultText: 'cores (worker); max(1, ⌊cores / workers⌋) (start)',
    help: 'Compute pool threads per worker.',
  },
  {
    key: 'queueSize',
    flag: 'queue-size',
    type: 'int',
    default: 64,
    min: 0,
    max: 100_000,
    group: 'worker',
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
    group: 'worker',
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
    group: 'worker',
    commands: [...WORKERS, 'dispatcher'],
    help: 'Requests per second per client address (token bucket); excess gets 429. In `dhttp start` it applies at the dispatcher only.',
  },
  {
    key: 'rateBurst',
    flag: 'rate-burst',
    type: 'number',
    default: 10,
    min: 1,
    max: 1e9,
    group: 'worker',
    commands: [...WORKERS, 'dispatcher'],
    defaultText: 'max(10, 2 × rate-limit)',
    help: 'Token bucket size: requests a client may send at once.',
  },
  {
    key: 'maxCountwordsBytes',
    flag: 'max-countwords-bytes',
    type: 'size',
    default: 4 * GiB,
    min: 0,
    max: 64 * TiB,
    group: 'worker',
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
    group: 'worker',
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
    group: 'worker',
    commands: WORKERS,
    help: 'Memory for caching small static files.',
  },
  {
    key: 'register',
    flag: 'register',
    type: 'url',
    default: undefined,
    group: 'worker',
    commands: ['worker'],
    help: 'Dispatcher URL to announce this worker to (POST /workers/register), again every --register-interval.',
  },
  {
    key: 'advertise',
    flag: 'advertise',
    type: 'url',
    default: undefined,
    group: 'worker',
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
    group: 'worker',
    commands: ['worker'],
    help: 'How often to re-announce to --register, so a restarted dispatcher learns the worker again.',
  },
  {
    key: 'id',
    flag: 'id',
    type: 'string',
    default: undefined,
    group: 'worker',
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
    group: 'worker',
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
    group: 'dispatcher',
    commands: DISPATCHERS,
    help: 'Fixed workers, comma-separated (http://h1:8081,http://h2:8081), or unix:/path/w1.sock for a worker on a Unix-domain socket (dhttp worker --unix-socket); the flag may repeat.',
  },
  {
    key: 'discover',
    flag: 'discover',
    type: 'host:port',
    default: undefined,
    group: 'dispatcher',
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
    group: 'dispatcher',
    commands: DISPATCHERS,
    help: 'How often --discover is re-resolved.',
  },
  {
    key: 'balance',
    flag: 'balance',
    type: 'enum',
    default: 'p2c',
    values: BALANCE_POLICIES,
    group: 'dispatcher',
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
    group: 'dispatcher',
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
    group: 'dispatcher',
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
    group: 'dispatcher',
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
    group: 'dispatcher',
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
    group: 'dispatcher',
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
    group: 'dispatcher',
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
    group: 'dispatcher',
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
    group: 'dispatcher',
    commands: DISPATCHERS,
    help: 'Time a worker has to start answering a forwarded request; then 504 (after retries).',
  },
  {
    key: 'upstreamClient',
    flag: 'upstream-client',
    type: 'enum',
    default: 'raw',
    values: UPSTREAM_CLIENT_NAMES,
    group: 'dispatcher',
    commands: DISPATCHERS,
    help: "HTTP client that forwards to workers: dhttp's own keep-alive client (raw) or undici.",
  },
  {
    key: 'upstreamPipelining',
    flag: 'upstream-pipelining',
    type: 'int',
    default: 16,
    min: 1,
    max: 256,
    group: 'dispatcher',
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
    group: 'dispatcher',
    commands: DISPATCHERS,
    help: 'Bytes per /countwords chunk sent to a worker (cut at a word boundary).',
  },

  // ── embedded cluster ───────────────────────────────────────────────────────────────
  {
    key: 'workers',
    flag: 'workers',
    type: 'int',
    default: Math.max(2, CORES),
    min: 1,
    max: 1024,
    group: 'cluster',
    commands: ['start'],
    defaultText: 'max(2, cores)',
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
    group: 'bench',
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
    group: 'bench',
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
    group: 'bench',
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
    group: 'bench',
    commands: BENCH,
    help: 'Load applied before measuring; not recorded.',
  },
  {
    key: 'method',
    flag: 'method',
    type: 'string',
    default: 'GET',
    group: 'bench',
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
    group: 'bench',
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
    group: 'bench',
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
    group: 'bench',
    commands: BENCH,
    help: 'A request not answered within this counts as a timeout error and its connection is replaced.',
  },
  {
    key: 'threads',
    flag: 'threads',
    short: 't',
    type: 'int',
    default: 1,
    min: 1,
    max: 256,
    group: 'bench',
    commands: BENCH,
    help: 'Load threads, each with its own event loop and its share of the connections (and of --rate); results merge exactly.',
  },
  {
    key: 'rate',
    flag: 'rate',
    type: 'number',
    default: 0,
    min: 0.1,
    max: 1e8,
    zero: 'closed loop',
    group: 'bench',
    commands: BENCH,
    help: "Constant rate in requests/s over all connections; latency then counts from each request's intended start, so a stalled server shows in the percentiles (coordinated omission corrected, as wrk2).",
  },
  {
    key: 'pipeline',
    flag: 'pipeline',
    type: 'int',
    default: 1,
    min: 1,
    max: 1000,
    group: 'bench',
    commands: BENCH,
    help: 'Requests in flight per connection (HTTP/1.1 pipelining); new ones leave together as answers free their slots.',
  },
  {
    key: 'json',
    flag: 'json',
    type: 'bool',
    default: false,
    group: 'bench',
    commands: BENCH,
    help: 'Print one JSON object instead of the text report, with a per-second series.',
  },
] satisfies OptionSpec[]);

export interface CommandSpec {
  readonly name: CommandName;
  readonly summary: string;
  /** Positional arguments, in order; each maps onto a config key. */
  readonly positionals: readonly { readonly key: string; readonly name: string; readonly help: string }[];
}

export const COMMAND_SPECS: Readonly<Record<CommandName, CommandSpec>> = Object.freeze({
  start: { name: 'start', summary: 'Embedded cluster: a dispatcher plus --workers worker processes on 127.0.0.1.', positionals: [] },
  worker: { name: 'worker', summary: 'One worker: the endpoints, static files and the compute pool.', positionals: [] },
  dispatcher: {
    name: 'dispatcher',
    summary: 'The entry point: balances over workers, health-checks them, splits parallel jobs.',
    positionals: [],
  },
  bench: {
    name: 'bench',
    summary: 'HTTP/1.1 load generator: keep-alive connections over -t threads, closed loop or constant --rate, optional --pipeline.',
    positionals: [{ key: 'url', name: 'URL', help: 'http:// URL to load.' }],
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
