/**
 * The pino factory every server process uses: JSON lines on stdout through an async
 * destination, so a log line costs a buffer append on the hot path rather than a
 * write(2) per line. The buffer is flushed synchronously when the process exits, so the last
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
  const sync = options.sync ?? false;
  // Async lines are gathered into writes of at least 4 KiB (one syscall for dozens of
  // access-log or chunk lines instead of one each) and flushed 100 ms after the first line
  // of a batch, so a line is never more than 100 ms late; code that must be seen at once
  // calls flush().
  const destination = pino.destination({ dest: options.dest ?? 1, sync, minLength: sync ? 0 : 4096 });
  function flushQuietly(): void {
    try {
      destination.flush();
    } catch {
      // Not ready yet (opening) or closed: the next tick or the exit flush covers it.
    }
  }
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      // ISO time is what an operator greps for; pino's epoch default is not.
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are rare and are what an operator needs first (and last, before a crash):
      // they skip the 100 ms batching.
      hooks: {
        logMethod(args, method, level) {
          method.apply(this, args);
          if (level >= 50 && !sync) flushQuietly();
        },
      },
    },
    destination,
  );
  if (!sync) {
    // The flush timer is armed only while bytes wait, not left ticking: an idle process then
    // never wakes for its logger (a flush of an empty buffer is an empty write(2) on the
    // thread pool - a steady 10 per second per process before this). Waiting bytes are
    // counted exactly (appended minus written), because a flush that meets a write in
    // progress does nothing, and the tail left below minLength after that write must still
    // go out within 100 ms: the write's completion re-arms the timer. Every line passes
    // through destination.write, pino's and the access log's (which skips pino's hooks).
    let waiting = 0;
    let timer: NodeJS.Timeout | undefined;
    const flushNow = (): void => {
      timer = undefined;
      if (waiting > 0) flushQuietly();
    };
    const arm = (): void => {
      if (timer !== undefined || waiting <= 0) return;
      timer = setTimeout(flushNow, 100);
      timer.unref();
    };
    const append = destination.write.bind(destination);
    destination.write = (data: string): boolean => {
      waiting += Buffer.byteLength(data);
      const ok = append(data);
      arm();
      return ok;
    };
    destination.on('write', (n: number) => {
      waiting = Math.max(0, waiting - n);
      arm();
    });
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
