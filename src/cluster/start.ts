/**
 * `dhttp start`: the embedded cluster. The dispatcher runs in this process; `--workers`
 * `dhttp worker` children listen on 127.0.0.1 ephemeral ports under a supervisor.
 *
 * Workers join by direct add, not by `--register`: the supervisor learns a child's address
 * from its listening line the moment it can serve, so it is added (with its stable ID) and
 * marked up at once, and removed the moment the child exits - no announce round trip, no
 * re-announce loop, no window in which a dead address is still registered.
 *
 * The dispatcher reaches its local children over Unix-domain sockets in a private
 * directory (each child also listens on its TCP port, which stays its address and name):
 * a Unix socket costs ≈ 2.3 µs less CPU per message per side than loopback TCP
 * (bench/socket-pingpong.ts), and the forwarding hop is most of what `dhttp start` adds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDispatcher } from '../dispatcher/app.js';
import { MAX_SOCKET_PATH_BYTES } from '../config/addresses.js';
import { listenFailure } from '../config/start-error.js';
import type { UpstreamSet } from '../dispatcher/upstreams/upstream-set.js';
import { createDispatcherAccessLog } from '../common/access-log.js';
import { createLogger, type Logger } from '../common/logger.js';
import { LIFELINE_ENV, lifelineImport } from './lifeline.js';
import { Supervisor, type SupervisedWorker } from './supervisor.js';
import { describeExit, type WorkerCommand, type WorkerOutput } from './worker-process.js';
import { workerChildArgv, workerChildEnv } from './child-argv.js';
import type { ClusterConfig } from '../config/types.js';
import type { HttpServer } from '../server/server.js';
import { reloadTlsOnSighup } from '../server/tls-reload.js';

/** A worker gets this much longer than its own shutdown timeout before SIGKILL. */
const STOP_GRACE_EXTRA_MS = 2000;

export interface ClusterHandle {
  /** The dispatcher's URL. */
  readonly url: string;
  readonly port: number;
  readonly upstreams: UpstreamSet;
  /** The dispatcher's HTTP server (its TLS listener, for a reload). */
  readonly server: HttpServer;
  /** The children now listening. */
  workers(): SupervisedWorker[];
  /** Stops accepting, drains in-flight requests, then stops every child. Idempotent. */
  close(): Promise<void>;
}

export interface ClusterOptions {
  logger?: Logger;
  /** Where children's output goes. @default this process's stdout/stderr */
  output?: WorkerOutput;
}

/** Same file type as this module: `.ts` under tsx, `.js` compiled. */
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const CLI_ENTRY = fileURLToPath(new URL(`../cli/main${EXT}`, import.meta.url));

/**
 * `node <execArgv> --import <lifeline> <cli> worker …`: the same Node and loader
 * flags as this process (so it works under tsx too), minus the inspector, whose port a
 * child must not fight over.
 */
export function workerCommand(config: ClusterConfig, id: string, socketPath?: string): WorkerCommand {
  const execArgv = process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));
  const socket = socketPath === undefined ? [] : ['--unix-socket', socketPath];
  return {
    file: process.execPath,
    args: [
      ...execArgv,
      '--import',
      lifelineImport(),
      CLI_ENTRY,
      'worker',
      ...workerChildArgv(config, { id, host: '127.0.0.1', port: 0 }),
      ...socket,
    ],
    env: { ...workerChildEnv(process.env), [LIFELINE_ENV]: '1' },
  };
}

/**
 * A fresh 0700 directory (mkdtemp) for the children's sockets: only this user reaches them.
 * Without one (no writable temp dir, or a TMPDIR so long that a socket path would not fit
 * sun_path) the cluster still works, over loopback TCP, and says so.
 */
async function privateSocketDir(ids: readonly string[], logger: Logger): Promise<string | undefined> {
  let dir: string;
  try {
    dir = await mkdtemp(join(tmpdir(), 'dhttp-'));
  } catch (err) {
    logger.warn({ err: String(err) }, 'no private socket directory: workers are reached over loopback TCP');
    return undefined;
  }
  const longest = Math.max(...ids.map((id) => Buffer.byteLength(join(dir, `${id}.sock`))));
  if (longest > MAX_SOCKET_PATH_BYTES) {
    await rm(dir, { recursive: true, force: true });
    logger.warn({ dir }, 'socket paths would be too long: workers are reached over loopback TCP');
    return undefined;
  }
  return dir;
}

/** This process's stdout and stderr, a line at a time. */
export const PASS_THROUGH: WorkerOutput = {
  stdout: (line) => void process.stdout.write(`${line}\n`),
  stderr: (line) => void process.stderr.write(`${line}\n`),
};

/** Children's JSON lines pass through as they are (they carry their own id and pid); anything else gets `[w1] `. */
function tagged(id: string, output: WorkerOutput): WorkerOutput {
  return {
    stdout: (line) => output.stdout(line.startsWith('{') ? line : `[${id}] ${line}`),
    stderr: (line) => output.stderr(`[${id}] ${line}`),
  };
}

/**
 * The line scripts and tests wait for (role "cluster", the dispatcher's URL): written
 * whatever --log-level says, like the worker's.
 */
function announce(logger: Logger, fields: { url: string; port: number; workers: number }): void {
  if (logger.isLevelEnabled('info')) logger.info(fields, 'listening');
  else
    process.stdout.write(
      `${JSON.stringify({ level: 30, time: new Date().toISOString(), pid: process.pid, role: 'cluster', msg: 'listening', ...fields })}\n`,
    );
}

function flush(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

export async function startCluster(config: ClusterConfig, options: ClusterOptions = {}): Promise<ClusterHandle> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, base: { role: 'cluster' }, maxPendingBytes: config.logBuffer });
  const output = options.output ?? PASS_THROUGH;
  // A taken port or a foreign host: one line naming the address, exit 1.
  const dispatcher = await startDispatcher(config, {
    logger,
    accessLog: createDispatcherAccessLog(logger, { maxField: config.accessLogFieldMax }),
  }).catch((err: unknown) => {
    throw listenFailure(err, 'cluster', config.host, config.port);
  });
  const upstreams = dispatcher.upstreams;
  const ids = Array.from({ length: config.workers }, (_, i) => `w${i + 1}`);
  const socketDir = await privateSocketDir(ids, logger);
  const socketOf = (id: string): string | undefined => (socketDir === undefined ? undefined : join(socketDir, `${id}.sock`));
  const supervisor = new Supervisor({
    ids,
    command: (id) => workerCommand(config, id, socketOf(id)),
    output: (id) => tagged(id, output),
    logger,
    backoff: { initialMs: config.restartBackoff, maxMs: config.restartBackoffMax },
    stopTimeoutMs: config.shutdownTimeout + STOP_GRACE_EXTRA_MS,
    onUp: (w) => {
      const upstream = upstreams.add(w.url, { id: w.id, socketPath: socketOf(w.id), source: 'embedded' });
      // The supervisor knows every restart of this ID, even one back on the same port; the
      // new process's start time on /ping is then learnt, not taken for another restart.
      upstream.restarts = w.restarts;
      upstream.reportedStart = null;
      // It printed its listening line, so it serves: no need to wait for a health probe.
      upstream.markUp();
    },
    onDown: (w, exit) => {
      // A crash is the worker going down (logged once, its down time starts now); a child
      // being stopped (exit undefined) comes after the dispatcher drained.
      if (exit !== undefined) upstreams.get(w.url)?.markDown(`process exited (${describeExit(exit)})`);
      // A dead process: destroy its connections now, so requests on them fail (and are
      // retried on another worker) at once rather than when the kernel reports the reset.
      upstreams.remove(w.url, exit !== undefined);
    },
  });
  announce(logger, { url: dispatcher.url, port: dispatcher.port, workers: config.workers });
  // The dispatcher's listening line is the first one on stdout, before any child's.
  await flush(logger);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      logger.info({}, 'cluster shutting down');
      await dispatcher.close();
      await supervisor.stop();
      if (socketDir !== undefined) await rm(socketDir, { recursive: true, force: true });
      logger.info({}, 'cluster stopped');
    })());

  try {
    await supervisor.start();
  } catch (err) {
    await close();
    throw err;
  }
  logger.info({ workers: supervisor.workers() }, 'cluster ready');
  return { url: dispatcher.url, port: dispatcher.port, upstreams, server: dispatcher.server, workers: () => supervisor.workers(), close };
}

/**
 * The command. Resolves 0 once the cluster serves; SIGINT/SIGTERM then drain and exit 0.
 * A second signal during the drain stops waiting: children are killed and the exit is 1.
 * With --tls-cert, SIGHUP reloads the dispatcher's certificate; it never reaches the
 * workers (each child runs in its own process group, see worker-process.ts).
 */
export async function runCluster(config: ClusterConfig): Promise<number> {
  const logger = createLogger({ level: config.logLevel, base: { role: 'cluster' }, maxPendingBytes: config.logBuffer });
  const cluster = await startCluster(config, { logger });
  if (cluster.server.scheme === 'https') reloadTlsOnSighup(() => cluster.server.reloadTls(), logger);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      // The supervisor's 'exit' hook SIGKILLs whatever child is left.
      process.exit(1);
    }
    logger.info({ signal }, 'signal received, draining');
    cluster.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ error: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return 0;
}
