/**
 * The pino factory every server process uses: JSON lines on stdout through a
 * LogDestination (log-destination.ts), so a log line costs a copy into a pooled block on
 * the hot path and lines go out in blocks. Whatever is held is written when the process
 * exits, by process.exit or by an uncaught exception, so the last lines are not lost.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { LOG_DESTINATION_DEFAULTS, LogDestination } from './log-destination.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** @default 'info' */
  level?: LevelWithSilent;
  /** Fields on every line, e.g. `{ role: 'worker', id }`. */
  base?: Record<string, unknown>;
  /** File descriptor or path to write to. @default 1 (stdout) */
  dest?: number | string;
  /** Write every line at once (tests that read the output at once). @default false */
  sync?: boolean;
  /**
   * Log bytes held while the destination does not take them (a slow or stuck reader);
   * lines past this are dropped, counted, and reported in a notice line.
   * @default 4194304 (4 MiB)
   */
  maxPendingBytes?: number;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = new LogDestination({
    dest: options.dest ?? 1,
    sync: options.sync ?? false,
    maxPendingBytes: options.maxPendingBytes ?? LOG_DESTINATION_DEFAULTS.maxPendingBytes,
  });
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      // ISO time is what an operator greps for; pino's epoch default is not.
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are rare and are what an operator needs first (and last, before a crash):
      // they go out at once rather than with their block.
      hooks: {
        logMethod(args, method, level) {
          method.apply(this, args);
          if (level >= 50) destination.flush();
        },
      },
    },
    destination,
  );
  process.once('exit', () => destination.flushSync());
  return logger;
}
