/**
 * argv + environment → one validated, frozen config per command. Precedence, highest
 * first: flag, DHTTP_<FLAG> environment twin, PORT (port only), default. Everything is
 * checked here, once, so the components can trust their options.
 */
import { resolve } from 'node:path';
import { readClusterTokenFile } from '../config/cluster-token.js';
import { ConfigError } from '../config/errors.js';
import type { BenchConfig, ClusterConfig, DispatcherConfig, ParseResult, WorkerConfig } from '../config/types.js';
import { closest } from './did-you-mean.js';
import { commandHelp, generalHelp } from './help.js';
import {
  COMMANDS,
  COMMAND_SPECS,
  CORES,
  type CommandName,
  type OptionSpec,
  type OptionValue,
  defaultFor,
  envName,
  optionsFor,
} from '../config/schema.js';
import { parseUrl, parseValue } from '../config/values.js';
import { versionLine } from '../config/version.js';

export type * from '../config/types.js';
export { ConfigError } from '../config/errors.js';
export { workerChildArgv, workerChildEnv } from '../cluster/child-argv.js';

type Values = Record<string, OptionValue>;

interface RawArgs {
  /** Flag occurrences per key, in order, with the spelling the user used. */
  readonly flags: Map<string, { raw: string; source: string }[]>;
  readonly positionals: string[];
  /** --help or --version came first: nothing else is parsed. */
  readonly stop?: 'help' | 'version';
}

function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}

function unknownFlag(command: CommandName, flag: string, specs: readonly OptionSpec[]): ConfigError {
  const best = closest(
    flag.replace(/^-+/, ''),
    specs.map((s) => s.flag),
  );
  const hint = best !== undefined ? `; did you mean --${best}?` : '';
  return new ConfigError(`unknown option ${flag} for "dhttp ${command}"${hint} (see dhttp ${command} --help)`);
}

function scan(command: CommandName, args: readonly string[], specs: readonly OptionSpec[]): RawArgs {
  const byFlag = new Map(specs.map((s) => [s.flag, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short as string, s]));
  const flags = new Map<string, { raw: string; source: string }[]>();
  const positionals: string[] = [];
  const push = (spec: OptionSpec, raw: string, source: string): void => {
    const list = flags.get(spec.key) ?? [];
    list.push({ raw, source });
    flags.set(spec.key, list);
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') return { flags, positionals, stop: 'help' };
    if (arg === '--version' || arg === '-V') return { flags, positionals, stop: 'version' };
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const eq = arg.indexOf('=');
    const name = long ? arg.slice(2, eq === -1 ? undefined : eq) : arg.slice(1, 2);
    // "-c100" and "-c=100" as well as "-c 100".
    const inline = eq !== -1 ? arg.slice(eq + 1) : !long && arg.length > 2 ? arg.slice(2) : undefined;
    let spec = long ? byFlag.get(name) : byShort.get(name);
    let negated = false;
    if (spec === undefined && long && name.startsWith('no-')) {
      const base = byFlag.get(name.slice(3));
      if (base?.type === 'bool') {
        spec = base;
        negated = true;
      }
    }
    if (spec === undefined) throw unknownFlag(command, long ? `--${name}` : `-${name}`, specs);
    const source = long ? `--${spec.flag}` : `-${spec.short}`;
    if (spec.type === 'bool') {
      if (negated && inline !== undefined) throw new ConfigError(`option --no-${spec.flag} takes no value`);
      push(spec, negated ? 'false' : (inline ?? 'true'), source);
      continue;
    }
    if (inline !== undefined) {
      push(spec, inline, source);
      continue;
    }
    const next = args[i + 1];
    if (next === undefined || next.startsWith('--')) {
      throw new ConfigError(`missing value for ${source}: must be followed by a value`);
    }
    push(spec, next, source);
    i++;
  }
  return { flags, positionals };
}

/** Flag > DHTTP_ env > PORT > default, for one option. Returns whether the user set it. */
function resolveOne(
  command: CommandName,
  spec: OptionSpec,
  raw: RawArgs,
  env: NodeJS.ProcessEnv,
): { value: OptionValue; explicit: boolean } {
  const given = raw.flags.get(spec.key);
  if (given !== undefined) {
    if (spec.type === 'list') {
      const items = given.flatMap(({ raw: r, source }) => parseValue(spec, r, source) as readonly string[]);
      return { value: items, explicit: true };
    }
    const last = given[given.length - 1];
    return { value: parseValue(spec, last.raw, last.source), explicit: true };
  }
  // An empty variable counts as unset: compose files often pass VAR= through.
  const envKey = envName(spec);
  const fromEnv = env[envKey];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (spec.type === 'list' && spec.item !== 'upstream') {
      const lines = fromEnv.split(/\r?\n/).filter((l) => l.trim() !== '');
      return { value: lines.flatMap((l) => parseValue(spec, l, envKey) as readonly string[]), explicit: true };
    }
    return { value: parseValue(spec, fromEnv, envKey), explicit: true };
  }
  if (spec.key === 'port' && env.PORT !== undefined && env.PORT !== '') {
    return { value: parseValue(spec, env.PORT, 'PORT'), explicit: true };
  }
  const fallback = defaultFor(spec, command);
  // Relative default paths are resolved now so every process agrees on them.
  return { value: spec.type === 'path' && typeof fallback === 'string' ? resolve(fallback) : fallback, explicit: false };
}

function deepFreeze<T extends object>(values: T): Readonly<T> {
  for (const v of Object.values(values)) {
    if (typeof v === 'object' && v !== null) Object.freeze(v);
  }
  return Object.freeze(values);
}

/** Defaults that depend on other options, and checks across options. */
function finish(command: CommandName, values: Values, explicit: ReadonlySet<string>, raw: RawArgs): void {
  if ('rateBurst' in values && !explicit.has('rateBurst')) {
    values.rateBurst = Math.max(10, 2 * (values.rateLimit as number));
  }
  if (values.clusterTokenFile !== undefined) {
    const source = raw.flags.has('clusterTokenFile') ? '--cluster-token-file' : 'DHTTP_CLUSTER_TOKEN_FILE';
    if (values.clusterToken !== undefined)
      throw new ConfigError(`invalid ${source}: give the cluster token or a file holding it, not both`);
    values.clusterToken = readClusterTokenFile(values.clusterTokenFile as string, source);
  }
  if (command === 'start' && !explicit.has('threads')) {
    // N workers × all cores each would oversubscribe the machine N times over.
    values.threads = Math.max(1, Math.floor(CORES / (values.workers as number)));
  }
  if (command === 'start' && (values.restartBackoff as number) > (values.restartBackoffMax as number)) {
    throw new ConfigError(
      `invalid --restart-backoff ${JSON.stringify(raw.flags.get('restartBackoff')?.at(-1)?.raw ?? String(values.restartBackoff))}: must not exceed --restart-backoff-max`,
    );
  }
  if (command === 'bench') {
    const url = values.url as string;
    if (!url.startsWith('http://')) {
      throw new ConfigError(`invalid URL ${JSON.stringify(url)}: must be an http:// URL (bench speaks plain HTTP/1.1)`);
    }
    if (!explicit.has('duration') && !explicit.has('requests')) values.duration = 10_000;
    if (values.duration === 0 && values.requests === 0) {
      throw new ConfigError('invalid --duration "0": must be a positive duration unless --requests is given (the run must end)');
    }
  }
}

function positionals(command: CommandName, raw: RawArgs, values: Values): void {
  const specs = COMMAND_SPECS[command].positionals;
  if (raw.positionals.length > specs.length) {
    const extra = raw.positionals[specs.length];
    throw new ConfigError(`unexpected argument ${JSON.stringify(extra)} for "dhttp ${command}" (see dhttp ${command} --help)`);
  }
  specs.forEach((p, i) => {
    const text = raw.positionals[i];
    if (text === undefined) {
      throw new ConfigError(`missing ${p.name}: usage is dhttp ${command} ${specs.map((s) => s.name).join(' ')} [options]`);
    }
    const url = parseUrl(text);
    if (url === undefined) throw new ConfigError(`invalid ${p.name} ${JSON.stringify(text)}: must be an http:// URL`);
    values[p.key] = url;
  });
}

/**
 * Parses `dhttp <command> [args]` (argv without node and script). Throws ConfigError with
 * a one-line message on any bad input; returns `{ help }` or `{ version }` when that was
 * asked for (before anything else is checked).
 */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): ParseResult {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') return Object.freeze({ version: versionLine() });
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && isCommand(topic)) return Object.freeze({ help: commandHelp(topic) });
    return Object.freeze({ help: generalHelp() });
  }
  if (!isCommand(name)) {
    throw new ConfigError(`unknown command ${JSON.stringify(name)}: must be one of ${COMMANDS.join(', ')}`);
  }
  const specs = optionsFor(name);
  const raw = scan(name, rest, specs);
  if (raw.stop === 'help') return Object.freeze({ help: commandHelp(name) });
  if (raw.stop === 'version') return Object.freeze({ version: versionLine() });

  const values: Values = {};
  const explicit = new Set<string>();
  positionals(name, raw, values);
  for (const spec of specs) {
    const { value, explicit: set } = resolveOne(name, spec, raw, env);
    values[spec.key] = value;
    if (set) explicit.add(spec.key);
  }
  finish(name, values, explicit, raw);
  const config = deepFreeze(values);
  // The casts are safe because the schema and config-types.ts list the same fields for
  // each command; test/cli/options.test.ts checks that at compile time and at run time.
  switch (name) {
    case 'worker':
      return Object.freeze({ command: name, config: config as unknown as WorkerConfig });
    case 'dispatcher':
      return Object.freeze({ command: name, config: config as unknown as DispatcherConfig });
    case 'start':
      return Object.freeze({ command: name, config: config as unknown as ClusterConfig });
    case 'bench':
      return Object.freeze({ command: name, config: config as unknown as BenchConfig });
  }
}

/** Parses one command and insists on it; for tests and for callers that know the role. */
export function parseAs(command: 'worker', argv: readonly string[], env?: NodeJS.ProcessEnv): WorkerConfig;
export function parseAs(command: 'dispatcher', argv: readonly string[], env?: NodeJS.ProcessEnv): DispatcherConfig;
export function parseAs(command: 'start', argv: readonly string[], env?: NodeJS.ProcessEnv): ClusterConfig;
export function parseAs(command: 'bench', argv: readonly string[], env?: NodeJS.ProcessEnv): BenchConfig;
export function parseAs(
  command: CommandName,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = {},
): WorkerConfig | DispatcherConfig | ClusterConfig | BenchConfig {
  const result = parseCommand([command, ...argv], env);
  if (!('command' in result)) throw new ConfigError(`expected a ${command} config, got ${'help' in result ? 'help' : 'the version'}`);
  return result.config;
}
