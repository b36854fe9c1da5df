/**
 * Where every log line of a process goes (pino's and the access log's, in one order): lines
 * are copied into pooled 64 KiB blocks and written in blocks, synchronously, on a
 * non-blocking descriptor.
 *
 * Synchronous because a block is one write(2) that copies at most 64 KiB into a pipe or the
 * page cache, a few µs for hundreds of lines, with no thread-pool round trip per write;
 * and because the destination then always knows exactly what is written, so order holds
 * and an exit (process.exit, an uncaught exception) can write out the rest. Non-blocking
 * because a reader that stops reading must not stop the server: a write that would block
 * keeps its bytes and is retried on a timer, lines past `maxPendingBytes` are dropped and
 * counted, and a notice with the count is written once the reader catches up.
 */
import fs from 'node:fs';

export interface LogDestinationOptions {
  /** File descriptor or path (opened for appending). @default 1 (stdout) */
  dest?: number | string;
  /**
   * Bytes held while the destination cannot take them; lines past this are dropped and counted.
   * @default 4194304 (4 MiB)
   */
  maxPendingBytes?: number;
  /** Longest a line waits in a block before it is written, ms. @default 100 */
  flushDelayMs?: number;
  /** Every line written at once, unbatched (tests that read the output immediately). @default false */
  sync?: boolean;
}

export const LOG_DESTINATION_DEFAULTS = Object.freeze({
  dest: 1,
  maxPendingBytes: 4 * 1024 * 1024,
  flushDelayMs: 100,
  sync: false,
});

const BLOCK_BYTES = 64 * 1024;
/** The longest line writeInto() takes: a quarter block, so a block holds at least four. */
export const MAX_INTO_BYTES = BLOCK_BYTES / 4;
/** Spare blocks kept for reuse once written. */
const SPARE_BLOCKS = 2;
/** At exit, how long a reader that does not read is waited for before the rest is given up. */
const EXIT_WAIT_MS = 2000;

interface Pending {
  readonly buf: Buffer;
  start: number;
  readonly end: number;
}

/** A descriptor for `dest` whose writes never block: stdio pipes, sockets and terminals included. */
function openDestination(dest: number | string): number {
  if (typeof dest === 'string') {
    const { O_WRONLY, O_CREAT, O_APPEND, O_NONBLOCK } = fs.constants;
    return fs.openSync(dest, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK, 0o666);
  }
  // Node puts a stdio descriptor that is no regular file into non-blocking mode when it
  // creates its stream (libuv's pipe, tty and tcp handles). Regular files never block.
  if ((dest === 1 || dest === 2) && !fs.fstatSync(dest).isFile()) void (dest === 1 ? process.stdout : process.stderr);
  return dest;
}

function wouldBlock(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

export class LogDestination {
  readonly #fd: number;
  readonly #maxPending: number;
  readonly #delay: number;
  readonly #sync: boolean;
  #block: Buffer = Buffer.allocUnsafe(BLOCK_BYTES);
  #used = 0;
  /** Sealed blocks (and oversized lines) not yet fully written, oldest first. */
  readonly #queue: Pending[] = [];
  readonly #spare: Buffer[] = [];
  /** Bytes accepted and not yet written. */
  #pending = 0;
  #dropped = 0;
  /** Drops not yet reported in a notice. */
  #unreported = 0;
  /** The last write would have blocked: only the timer tries again, not every line. */
  #blocked = false;
  /** The destination failed for good (EPIPE, EBADF…): lines go nowhere. */
  #broken = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LogDestinationOptions = {}) {
    const o = { ...LOG_DESTINATION_DEFAULTS, ...options };
    if (!Number.isSafeInteger(o.maxPendingBytes) || o.maxPendingBytes < BLOCK_BYTES) {
      throw new RangeError(`log destination: maxPendingBytes must be an integer >= ${BLOCK_BYTES} (got ${o.maxPendingBytes})`);
    }
    this.#fd = openDestination(o.dest);
    this.#maxPending = o.maxPendingBytes;
    this.#delay = o.flushDelayMs;
    this.#sync = o.sync;
  }

  /** Lines dropped because the destination did not take them fast enough (or failed). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes accepted and not yet written. */
  get pendingBytes(): number {
    return this.#pending;
  }

  /** Takes one line (pino's stream interface). False when it was dropped. */
  write(line: string): boolean {
    if (this.#pending >= this.#maxPending || this.#broken) {
      this.#dropped++;
      this.#unreported++;
      return false;
    }
    this.#append(line);
    this.#accepted();
    return true;
  }

  /**
   * Takes one line that `fill` writes straight into the open block from `at`, returning
   * where it ends: at most `max` bytes (≤ MAX_INTO_BYTES), and no string is built. False
   * when it was dropped (`fill` is not called).
   */
  writeInto(max: number, fill: (block: Buffer, at: number) => number): boolean {
    if (this.#pending >= this.#maxPending || this.#broken) {
      this.#dropped++;
      this.#unreported++;
      return false;
    }
    if (max > MAX_INTO_BYTES) throw new RangeError(`log destination: a line written in place is at most ${MAX_INTO_BYTES} bytes`);
    if (max > BLOCK_BYTES - this.#used) this.#seal();
    const end = fill(this.#block, this.#used);
    this.#pending += end - this.#used;
    this.#used = end;
    this.#accepted();
    return true;
  }

  /** After a line: a full block (or every line, when sync) is queued, and the queue written. */
  #accepted(): void {
    if (this.#sync || this.#used > BLOCK_BYTES - 512) this.#seal();
    if (this.#queue.length > 0 && !this.#blocked) this.#writeQueued();
    this.#arm();
  }

  /** Writes what the destination takes now; the rest waits for the timer. */
  flush(cb?: (err?: Error) => void): void {
    this.#seal();
    this.#writeQueued();
    this.#arm();
    cb?.();
  }

  /**
   * Writes everything, waiting (at most EXIT_WAIT_MS) for a reader that does not read: for
   * the exit handler, after which no turn of the event loop comes.
   */
  flushSync(): void {
    this.#seal();
    const deadline = Date.now() + EXIT_WAIT_MS;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      this.#writeQueued();
      if (this.#queue.length === 0 || Date.now() >= deadline) return;
      Atomics.wait(nap, 0, 0, 1);
    }
  }

  #append(line: string): void {
    let free = BLOCK_BYTES - this.#used;
    // At most 3 bytes per UTF-16 unit: the common line fits without being measured.
    if (line.length * 3 <= free) {
      const n = this.#block.write(line, this.#used);
      this.#used += n;
      this.#pending += n;
      return;
    }
    const size = Buffer.byteLength(line);
    if (size > free) {
      this.#seal();
      free = BLOCK_BYTES;
    }
    if (size > free) {
      this.#queue.push({ buf: Buffer.from(line), start: 0, end: size });
    } else {
      this.#block.write(line, this.#used);
      this.#used += size;
    }
    this.#pending += size;
  }

  /** Queues the current block (if it holds anything) and starts a fresh one. */
  #seal(): void {
    if (this.#used === 0) return;
    this.#queue.push({ buf: this.#block, start: 0, end: this.#used });
    this.#block = this.#spare.pop() ?? Buffer.allocUnsafe(BLOCK_BYTES);
    this.#used = 0;
  }

  /**
   * Writes queued blocks in order until done or the destination would block. Once the
   * queue is empty, a notice tells how many lines were dropped meanwhile; it goes out
   * before the lines accepted after those drops, which still wait in the open block.
   */
  #writeQueued(): void {
    const queue = this.#queue;
    if (queue.length === 0 && this.#unreported > 0 && !this.#broken) this.#notice();
    while (queue.length > 0) {
      const head = queue[0];
      let n: number;
      try {
        n = fs.writeSync(this.#fd, head.buf, head.start, head.end - head.start);
      } catch (err) {
        if (wouldBlock(err)) {
          this.#blocked = true;
          return;
        }
        this.#fail();
        return;
      }
      this.#blocked = false;
      head.start += n;
      this.#pending -= n;
      if (head.start < head.end) continue;
      queue.shift();
      if (head.buf.length === BLOCK_BYTES && this.#spare.length < SPARE_BLOCKS) this.#spare.push(head.buf);
      if (queue.length === 0 && this.#unreported > 0) this.#notice();
    }
  }

  #notice(): void {
    const line = `{"level":40,"time":"${new Date().toISOString()}","pid":${process.pid},"msg":"log lines dropped: the log destination did not keep up","dropped":${this.#unreported}}\n`;
    this.#unreported = 0;
    const buf = Buffer.from(line);
    this.#queue.push({ buf, start: 0, end: buf.length });
    this.#pending += buf.length;
  }

  /** What was held is lost and nothing more is kept; every later line counts as dropped. */
  #fail(): void {
    this.#broken = true;
    this.#pending = 0;
    this.#queue.length = 0;
    this.#used = 0;
  }

  /** A timer only while bytes wait: an idle process never wakes for its logger. */
  #arm(): void {
    if (this.#timer !== undefined || this.#broken || (this.#pending === 0 && this.#unreported === 0)) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#delay);
    this.#timer.unref();
  }
}
