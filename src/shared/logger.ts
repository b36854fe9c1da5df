/**
 * The pino factory every server process uses: JSON lines on stdout through an async
 * destination, so a log line costs a buffer append on the hot path rather than a
 * write(2). The buffer is flushed synchronously when the process exits, so the last
 * lines (shutdown, a crash) are not lost.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** @default 'info' */
  level?: LevelWithSilent;
  /** Fields on every line, e.g. `{ role: 'worker', id }`. */
  base?: Record<string, unknown>;
  /** File descriptor or path to write to. @default 1 (stdout) */
  dest?: number | string;
  /** Write synchronously (tests that read the output at once). @default false */
  sync?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = pino.destination({ dest: options.dest ?? 1, sync: options.sync ?? false });
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      // ISO time is what an operator greps for; pino's epoch default is not.
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
  if (options.sync !== true) {
    process.once('exit', () => {
      try {
        destination.flushSync();
      } catch {
        // The stream may already be closed (or not ready yet); nothing more to save.
      }
    });
  }
  return logger;
}
