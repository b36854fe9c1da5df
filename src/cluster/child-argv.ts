/**
 * How `dhttp start` hands its worker options to `dhttp worker` children: as explicit
 * flags, so a child sees exactly what the parent validated whether it came from a flag or
 * the environment, and a restarted child gets the same arguments (and so keeps its ID).
 */
import type { ClusterConfig } from '../config/types.js';
import { type OptionSpec, type OptionValue, optionsFor } from '../config/schema.js';
import { formatValue } from '../config/values.js';

export interface WorkerChild {
  /** Stable across restarts of this child. */
  readonly id: string;
  /** @default 0 (ephemeral) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Dispatcher URL to register with, when the cluster uses registration. */
  readonly register?: string;
  readonly advertise?: string;
}

/** The schema's largest --max-requests-per-connection: for a child, never in practice. */
const MAX_REQUESTS_PER_CONNECTION = 1e9;

/** Worker options that `dhttp start` also takes, i.e. the ones it passes on. */
const PASSED_ON: readonly OptionSpec[] = optionsFor('worker').filter((s) => s.commands.includes('start'));

function flag(spec: OptionSpec, value: OptionValue): string[] {
  if (value === undefined) return [];
  if (spec.type === 'bool') return [value === true ? `--${spec.flag}` : `--no-${spec.flag}`];
  // One flag per item: list items could hold commas, and repeated flags accumulate.
  if (spec.type === 'list') return (value as readonly string[]).map((v) => `--${spec.flag}=${v}`);
  // "=" keeps a value that starts with "-" from being read as a flag.
  return [`--${spec.flag}=${formatValue(spec, value)}`];
}

/**
 * The arguments after `worker` for one child:
 * `spawn(process.execPath, [mainJs, 'worker', ...workerChildArgv(config, child)])`.
 */
export function workerChildArgv(config: ClusterConfig, child: WorkerChild): string[] {
  const fields = config as unknown as Readonly<Record<string, OptionValue>>;
  const overrides: Readonly<Record<string, OptionValue>> = {
    host: child.host ?? '127.0.0.1',
    port: child.port ?? 0,
    // Behind the dispatcher every client address is the dispatcher's, so limiting there
    // would throttle everyone together; the dispatcher enforces --rate-limit instead.
    rateLimit: 0,
    // --keep-alive-timeout is for the cluster's clients. A child's only client is the
    // dispatcher's pool (idle up to 4 s, less when a worker announces less), so the child
    // keeps its default rather than a short client timeout that would defeat the pooling.
    keepAliveTimeout: undefined,
    // Likewise --max-requests-per-connection: the dispatcher's pool pipelines quick requests
    // up to 16 deep, and a child that closes a connection after its Nth answer leaves those
    // written behind it unanswered, to be sent again (≈ 0.7 % of /ping requests under load).
    // The pool is the one client of a private socket: its connections are never recycled.
    maxRequestsPerConnection: MAX_REQUESTS_PER_CONNECTION,
    // Children are added directly, not registered: they need no token, and argv is public.
    clusterToken: undefined,
    clusterTokenFile: undefined,
    // TLS is the dispatcher's listener: children stay plain HTTP on 127.0.0.1 and Unix sockets.
    tlsCert: undefined,
    tlsKey: undefined,
    tlsMinVersion: undefined,
    redirectHttp: undefined,
  };
  const args = PASSED_ON.flatMap((spec) => flag(spec, spec.key in overrides ? overrides[spec.key] : fields[spec.key]));
  args.push(`--id=${child.id}`);
  if (child.register !== undefined) args.push(`--register=${child.register}`);
  if (child.advertise !== undefined) args.push(`--advertise=${child.advertise}`);
  return args;
}

/**
 * The parent's environment minus DHTTP_* and PORT: those were already folded into the
 * argv, and a stray DHTTP_REGISTER or PORT meant for the parent must not steer a child.
 */
export function workerChildEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('DHTTP_') && k !== 'PORT'));
}
