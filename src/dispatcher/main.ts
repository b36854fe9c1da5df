/**
 * `dhttp dispatcher`: starts the dispatcher, prints the listening line scripts wait for,
 * and drains on SIGINT/SIGTERM before exiting 0. With --tls-cert, SIGHUP reloads the
 * certificate and key.
 */
import { listenFailure } from '../config/start-error.js';
import type { DispatcherConfig } from '../config/types.js';
import { createDispatcherAccessLog } from '../common/access-log.js';
import { createLogger, type Logger } from '../common/logger.js';
import { reloadTlsOnSighup } from '../server/tls-reload.js';
import { startDispatcher } from './app.js';

export async function runDispatcher(config: DispatcherConfig): Promise<void> {
  const logger = createLogger({ level: config.logLevel, base: { role: 'dispatcher' }, maxPendingBytes: config.logBuffer });
  // A taken port or a foreign host: one line naming the address, exit 1.
  const dispatcher = await startDispatcher(config, {
    logger,
    accessLog: createDispatcherAccessLog(logger, { maxField: config.accessLogFieldMax }),
  }).catch((err: unknown) => {
    throw listenFailure(err, 'dispatcher', config.host, config.port);
  });
  announce(logger, dispatcher.url, config);
  if (dispatcher.server.scheme === 'https') reloadTlsOnSighup(() => dispatcher.server.reloadTls(), logger);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal while draining: the operator wants out now.
      logger.warn({ event: 'shutdown_forced', signal }, 'second signal; exiting without draining');
      process.exit(1);
    }
    stopping = true;
    logger.info({ event: 'shutdown', signal }, 'draining in-flight requests');
    dispatcher.close().then(
      () => {
        logger.info({ event: 'stopped' }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ event: 'shutdown_failed', error: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * The line the supervisor and tests wait for. It must appear whatever --log-level says,
 * so below info it is written directly (nothing else is logging at that moment).
 */
function announce(logger: Logger, url: string, config: DispatcherConfig): void {
  const fields = { url, workers: config.upstreams.length, discover: config.discover, balance: config.balance };
  if (logger.isLevelEnabled('info')) {
    logger.info(fields, 'listening');
    logger.flush();
  } else {
    process.stdout.write(
      `${JSON.stringify({ level: 30, time: new Date().toISOString(), pid: process.pid, role: 'dispatcher', ...fields, msg: 'listening' })}\n`,
    );
  }
}
