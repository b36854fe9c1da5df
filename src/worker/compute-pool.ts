/**
 * The worker's compute pool: CPU-bound tasks run in piscina threads so the event loop
 * stays free for /ping and I/O. The pool keeps its own FIFO in front of piscina and hands
 * piscina at most `threads` tasks at a time, which gives it an exact queue bound
 * (QUEUE_FULL → 503), per-task timeouts that count running time only, and cancellation
 * of a task whose client went away (piscina terminates a thread whose task is aborted
 * and starts a fresh one).
 */
import { channel } from 'node:diagnostics_channel';
import type { MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { httpError } from '../common/errors.js';
import type { TaskArgs, TaskName, TaskResult } from './tasks/entry.js';
import { ThreadLoading } from './thread-loading.js';

/** Young-generation cap of a compute thread, in MiB (see the Piscina options below). */
const YOUNG_GENERATION_MB = 2;
/**
 * Old-generation cap of a compute thread, in MiB. No task keeps much on the heap (a
 * word-count session's table is typed arrays, outside it), but without a cap V8 lets a thread's old space
 * grow with garbage long before it collects: a 200 MB /countwords peaked at 151 MB of worker
 * RSS uncapped, 142 MB with 32 MiB (bench/results/history.md). A task that did need more would fail
 * alone (its thread ends with ERR_WORKER_OUT_OF_MEMORY and is replaced), not the process.
 */
const OLD_GENERATION_MB = 32;

export type { TaskArgs, TaskName, TaskResult } from './tasks/entry.js';

/** How long close() waits for threads still loading their modules (thread-loading.ts). */
const THREAD_LOAD_WAIT_MS = 5000;

export interface ComputePoolOptions {
  /** Worker threads, all started up front. @default os.availableParallelism() */
  threads?: number;
  /** Tasks that may wait beyond the running ones; one more is refused with QUEUE_FULL. @default 64 */
  queueSize?: number;
  /**
   * Longest a task may run before TASK_TIMEOUT. The clock starts when the task leaves the
   * queue for a thread, so it excludes queue time but includes starting a replacement thread.
   * @default 60000
   */
  taskTimeoutMs?: number;
}

export const COMPUTE_POOL_DEFAULTS = Object.freeze({
  threads: availableParallelism(),
  queueSize: 64,
  taskTimeoutMs: 60_000,
});

export interface RunOptions {
  /** Aborting it (the client went away) drops a waiting task or stops a running one. */
  signal?: AbortSignal;
  /** Overrides the pool's taskTimeoutMs for this task. */
  timeoutMs?: number;
  /** ArrayBuffers (or ports) moved to the thread instead of copied; unusable by the caller afterwards. */
  transfer?: (ArrayBuffer | MessagePort)[];
}

export interface ComputePoolStats {
  threads: number;
  active: number;
  queued: number;
  completed: number;
}

interface Job {
  task: TaskName;
  args: unknown;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  transfer: (ArrayBuffer | MessagePort)[];
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  onQueuedAbort: (() => void) | undefined;
}

/** Under tsx the task file is TypeScript; compiled, it is the .js beside this file. */
const TASK_FILE = new URL(`./tasks/entry${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

const TIMED_OUT = Symbol('timed out');

/** Thread errors outside any task (e.g. a thread that failed to start): `{ error }`. */
export const computePoolErrorChannel = channel('dhttp:compute-pool:error');

export function positiveInt(field: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`compute pool: ${field} must be an integer >= ${min} (got ${value})`);
  }
  return value;
}

export function cancelled(reason: unknown): Error {
  const err = new Error('compute task cancelled', { cause: reason });
  err.name = 'AbortError';
  return err;
}

export class ComputePool {
  readonly #options: Readonly<Required<ComputePoolOptions>>;
  readonly #piscina: Piscina;
  /** A Set keeps FIFO order and lets an aborted waiter leave from the middle in O(1). */
  readonly #queue = new Set<Job>();
  #running = 0;
  #completed = 0;
  #closed = false;
  readonly #threads = new ThreadLoading();

  constructor(options: ComputePoolOptions = {}) {
    const o = { ...COMPUTE_POOL_DEFAULTS, ...options };
    this.#options = Object.freeze({
      threads: positiveInt('threads', o.threads, 1),
      queueSize: positiveInt('queueSize', o.queueSize, 0),
      taskTimeoutMs: positiveInt('taskTimeoutMs', o.taskTimeoutMs, 1),
    });
    this.#piscina = new Piscina({
      filename: TASK_FILE.href,
      minThreads: this.#options.threads,
      maxThreads: this.#options.threads,
      idleTimeout: Infinity,
      // A small heap per thread: tasks keep little on it (word counting works on typed
      // arrays), and V8's defaults (16 MiB semi-spaces, an old space sized for the machine) let each thread's
      // RSS balloon with garbage before it collects. Measured on POST /countwords of 200 MB:
      // see bench/results/history.md.
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: OLD_GENERATION_MB },
    });
    // piscina re-emits thread errors as 'error' events, which would crash the process unheard.
    this.#piscina.on('error', (error: unknown) => computePoolErrorChannel.publish({ error }));
    this.#threads.watch(this.#piscina.threads);
    // A thread that ends is replaced in the same turn (after its 'workerDestroy').
    this.#piscina.on('workerDestroy', () => queueMicrotask(() => this.#threads.watch(this.#piscina.threads)));
  }

  run<K extends TaskName>(task: K, args: TaskArgs<K>, opts: RunOptions = {}): Promise<TaskResult<K>> {
    if (this.#closed) return Promise.reject(httpError('SHUTTING_DOWN', 'the compute pool is closed', { 'Retry-After': '1' }));
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(cancelled(signal.reason));
    const { threads, queueSize, taskTimeoutMs } = this.#options;
    if (this.#running >= threads && this.#queue.size >= queueSize) {
      return Promise.reject(httpError('QUEUE_FULL', `compute queue is full (${queueSize} waiting)`, { 'Retry-After': '1' }));
    }
    return new Promise<TaskResult<K>>((resolve, reject) => {
      const job: Job = {
        task,
        args,
        signal,
        reject,
        resolve: resolve as (value: unknown) => void,
        timeoutMs: opts.timeoutMs ?? taskTimeoutMs,
        transfer: opts.transfer ?? [],
        onQueuedAbort: undefined,
      };
      if (signal !== undefined) {
        job.onQueuedAbort = () => {
          if (this.#queue.delete(job)) reject(cancelled(signal.reason));
        };
        signal.addEventListener('abort', job.onQueuedAbort, { once: true });
      }
      this.#queue.add(job);
      this.#drain();
    });
  }

  /** Threads that have finished loading their modules, over the pool's life (for tests). */
  get loadedThreads(): number {
    return this.#threads.loaded;
  }

  stats(): ComputePoolStats {
    return { threads: this.#options.threads, active: this.#running, queued: this.#queue.size, completed: this.#completed };
  }

  /**
   * Refuses new tasks and drops waiting ones (SHUTTING_DOWN). Running tasks finish
   * first, unless `force`, which stops their threads at once.
   */
  async close({ force = false }: { force?: boolean } = {}): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue) {
      if (job.onQueuedAbort !== undefined) job.signal?.removeEventListener('abort', job.onQueuedAbort);
      job.reject(httpError('SHUTTING_DOWN', 'the compute pool is closing', { 'Retry-After': '1' }));
    }
    this.#queue.clear();
    // A thread still loading its modules must not be stopped (thread-loading.ts); loading
    // takes well under a second, and the bound keeps a stuck thread from holding the exit.
    await this.#threads.settled(THREAD_LOAD_WAIT_MS);
    await (force ? this.#piscina.destroy() : this.#piscina.close());
  }

  #drain(): void {
    while (this.#running < this.#options.threads && this.#queue.size > 0) {
      const job = this.#queue.values().next().value as Job;
      this.#queue.delete(job);
      this.#start(job);
    }
  }

  #start(job: Job): void {
    this.#running++;
    const { signal } = job;
    if (signal !== undefined && job.onQueuedAbort !== undefined) signal.removeEventListener('abort', job.onQueuedAbort);
    // One controller carries both reasons to stop: the timeout and the caller's abort.
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(TIMED_OUT), job.timeoutMs);
    const onAbort = (): void => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#piscina
      .run(job.args, { name: job.task, signal: stop.signal, transferList: job.transfer })
      .then(job.resolve, (err: unknown) => {
        if (stop.signal.aborted && stop.signal.reason === TIMED_OUT) {
          job.reject(httpError('TASK_TIMEOUT', `compute task ${job.task} exceeded ${job.timeoutMs} ms`));
        } else if (stop.signal.aborted) {
          job.reject(cancelled(signal?.reason));
        } else if (this.#closed) {
          job.reject(httpError('SHUTTING_DOWN', 'the compute pool closed during the task', { 'Retry-After': '1' }));
        } else {
          job.reject(err);
        }
      })
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#running--;
        this.#completed++;
        this.#drain();
      });
  }
}
