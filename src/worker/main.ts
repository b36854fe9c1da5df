/**
 * `dhttp worker`: runs a worker app as a process. Prints one "listening" line (JSON, with
 * url, id and pid, and socket with --unix-socket) that the cluster supervisor and tests read from stdout; SIGINT/SIGTERM
 * deregister, drain and exit 0. With --tls-cert, SIGHUP reloads the certificate and key.
 */
import { ConfigError } from '../config/errors.js';
import { listenFailure } from '../config/start-error.js';
import type { WorkerConfig } from '../config/types.js';
import { SocketPathError } from '../server/server.js';
import { reloadTlsOnSighup } from '../server/tls-reload.js';
import { createLogger, type Logger } from '../common/logger.js';
import { createWorkerApp, workerIdOf } from './app.js';
import { sweepStaleTempFiles } from '../data-files/index.js';
import { Registration } from './register.js';

export async function runWorker(config: WorkerConfig): Promise<void> {
  const id = workerIdOf(config);
  const logger = createLogger({ level: config.logLevel, base: { role: 'worker', worker: id }, maxPendingBytes: config.logBuffer });
  const app = createWorkerApp(config, logger);
  // Before listening: temp files of writes a crash interrupted (never a live writer's, see
  // temp-files.ts). It never throws, so a bad data dir cannot keep the worker from starting.
  await sweepStaleTempFiles(config.dataDir, { logger: logger.child({ component: 'files' }) });
  let listening: { url: string; socket?: string };
  try {
    listening = await app.listen();
  } catch (err) {
    // Nothing may keep the process alive (compute threads) after a failed start.
    await app.close();
    // A bad --unix-socket is a configuration mistake: one line naming the option, exit 2.
    if (err instanceof SocketPathError) throw new ConfigError(`invalid --unix-socket ${JSON.stringify(err.path)}: ${err.reason}`);
    // A taken port or a foreign host: one line naming the address, exit 1.
    throw listenFailure(err, 'worker', config.host, config.port);
  }
  const { url, socket } = listening;
  announce(logger, url, id, socket);
  if (app.server.scheme === 'https') reloadTlsOnSighup(() => app.server.reloadTls(), logger);

  const registration =
    config.register.length === 0
      ? undefined
      : new Registration({
          dispatchers: config.register,
          address: config.advertise ?? url,
          id,
          intervalMs: config.registerInterval,
          logger,
          token: config.clusterToken,
        });
  registration?.start();

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal: the operator does not want to wait for the drain.
      logger.warn({ signal }, 'forced exit');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void (async () => {
      await registration?.stop();
      await app.close();
      logger.info('stopped');
      logger.flush();
      process.exit(0);
    })().catch((err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/**
 * The line the supervisor and tests wait for. It must appear whatever --log-level says,
 * so below info it is written directly (nothing else is logging at that moment).
 */
function announce(logger: Logger, url: string, id: string, socket: string | undefined): void {
  // `socket` (the --unix-socket path) only when set: the cluster connects there if present.
  const fields = socket === undefined ? { url, id } : { url, id, socket };
  if (logger.isLevelEnabled('info')) {
    logger.info(fields, 'listening');
    logger.flush();
  } else {
    process.stdout.write(
      `${JSON.stringify({ level: 30, time: new Date().toISOString(), pid: process.pid, role: 'worker', worker: id, msg: 'listening', ...fields })}\n`,
    );
  }
}
