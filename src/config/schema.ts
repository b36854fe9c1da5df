/**
 * Every command-line option, once. Flags, environment twins, defaults, validation, --help
 * and docs/configuration.md are all derived from this table, so they cannot disagree.
 */
import { ENGINE_OPTIONS } from './options/engine.js';
import { COMPRESSION_OPTIONS } from './options/compression.js';
import { WORKER_OPTIONS } from './options/worker.js';
import { DISPATCHER_OPTIONS } from './options/dispatcher.js';
import { CLUSTER_OPTIONS } from './options/cluster.js';
import { BENCH_OPTIONS } from './options/bench.js';

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

export { BALANCE_POLICIES, TLS_VERSIONS } from './options/shared.js';

export { CORES } from './options/shared.js';

export const OPTIONS: readonly OptionSpec[] = Object.freeze([
  ...ENGINE_OPTIONS,
  ...COMPRESSION_OPTIONS,
  ...WORKER_OPTIONS,
  ...DISPATCHER_OPTIONS,
  ...CLUSTER_OPTIONS,
  ...BENCH_OPTIONS,
]);

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
      {
        line: 'dhttp start --port 8443 --tls-cert /etc/dhttp/fullchain.pem --tls-key /etc/dhttp/key.pem --redirect-http 8080',
        does: 'HTTPS on :8443 (its workers stay plain behind it), plain :8080 answering 308 to it; SIGHUP re-reads both files.',
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
      {
        line: 'dhttp worker --port 8081 --ws-max-message 1MiB --ws-idle-timeout 60s',
        does: 'WebSocket echo on ws://HOST:8081/ws/echo (also through a dispatcher): messages up to 1 MiB, idle ones closed after 60 s.',
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
    summary: 'HTTP/1.1 load generator: keep-alive connections over -t threads, closed loop or constant --rate, optional --pipeline.',
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
