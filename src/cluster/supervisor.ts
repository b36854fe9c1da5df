/**
 * Keeps N worker children running: spawns them, reports each one up (with its address)
 * and down (the moment it exits), restarts a crashed one with the same ID after a
 * backoff, and stops them all on shutdown. It knows nothing of the dispatcher: the
 * cluster wires `onUp`/`onDown` to the upstream set.
 */
import { Backoff, type BackoffOptions } from './backoff.js';
import { WorkerProcess, WorkerStartError, type WorkerCommand, type WorkerExit, type WorkerOutput } from './worker-process.js';

export interface SupervisorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SupervisedWorker {
  readonly id: string;
  readonly pid: number | undefined;
  readonly url: string;
  /** Restarts of this ID so far. */
  readonly restarts: number;
}

export interface SupervisorOptions {
  /** Worker IDs, e.g. ['w1', 'w2']; each keeps its ID across restarts. */
  ids: readonly string[];
  /** How to run the child with this ID (same for every life of it). */
  command(id: string): WorkerCommand;
  /** Where this child's output lines go. */
  output(id: string): WorkerOutput;
  logger: SupervisorLogger;
  backoff?: BackoffOptions;
  /** A child that prints no listening line within this is killed and counts as crashed. @default 30000 */
  startTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace on stop. @default 10000 */
  stopTimeoutMs?: number;
  /** The child listens at `url` (first start or restart). */
  onUp?(worker: SupervisedWorker): void;
  /** The child at `url` is gone (it exited or is being stopped). */
  onDown?(worker: SupervisedWorker, exit: WorkerExit | undefined): void;
  /** A child failed in a way restarting will not fix (a configuration error); the supervisor has stopped restarting it. */
  onFatal?(id: string, err: Error): void;
}

export const SUPERVISOR_DEFAULTS = Object.freeze({ startTimeoutMs: 30_000, stopTimeoutMs: 10_000 });

/** `dhttp worker` exits 2 on a bad configuration: restarting cannot help. */
const CONFIG_ERROR_EXIT = 2;

interface Slot {
  readonly id: string;
  readonly backoff: Backoff;
  current: WorkerProcess | undefined;
  restarts: number;
  timer: NodeJS.Timeout | undefined;
}

export class Supervisor {
  readonly #opts: SupervisorOptions;
  readonly #startTimeoutMs: number;
  readonly #stopTimeoutMs: number;
  readonly #slots: Slot[];
  #stopping = false;
  readonly #onProcessExit = (): void => {
    // The cluster is exiting without stop() (a crash, process.exit): leave no child behind.
    for (const slot of this.#slots) slot.current?.killNow();
  };

  constructor(options: SupervisorOptions) {
    this.#opts = options;
    this.#startTimeoutMs = options.startTimeoutMs ?? SUPERVISOR_DEFAULTS.startTimeoutMs;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? SUPERVISOR_DEFAULTS.stopTimeoutMs;
    this.#slots = options.ids.map((id) => ({
      id,
      backoff: new Backoff(options.backoff),
      current: undefined,
      restarts: 0,
      timer: undefined,
    }));
  }

  /**
   * Spawns every child; resolves once each has listened at least once (a child that
   * crashes while starting is restarted like any other), rejects if one fails fatally.
   */
  async start(): Promise<void> {
    process.on('exit', this.#onProcessExit);
    await Promise.all(this.#slots.map((slot) => this.#launch(slot)));
  }

  /** Current children (only those listening). */
  workers(): SupervisedWorker[] {
    return this.#slots.flatMap((slot) => (slot.current?.url !== undefined ? [this.#describe(slot, slot.current)] : []));
  }

  /** Stops restarting, then SIGTERMs every child and waits (SIGKILL after the grace). */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.timer !== undefined) clearTimeout(slot.timer);
        slot.timer = undefined;
        const child = slot.current;
        if (child === undefined) return;
        if (child.url !== undefined) this.#opts.onDown?.(this.#describe(slot, child), undefined);
        const exit = await child.stop(this.#stopTimeoutMs);
        this.#opts.logger.info({ id: slot.id, worker_pid: child.pid, code: exit.code, signal: exit.signal }, 'worker stopped');
      }),
    );
    process.off('exit', this.#onProcessExit);
  }

  /**
   * Runs one life of the slot's child and arranges the next. Resolves when this life (or,
   * if it died while starting, a later one) is listening; rejects only on a fatal error.
   */
  #launch(slot: Slot): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const run = (): void => {
        slot.timer = undefined;
        if (this.#stopping) {
          resolve();
          return;
        }
        const child = new WorkerProcess(slot.id, this.#opts.command(slot.id), this.#opts.output(slot.id));
        slot.current = child;
        child.listening(this.#startTimeoutMs).then(
          (url) => {
            if (this.#stopping || slot.current !== child) return;
            const worker = this.#describe(slot, child);
            this.#opts.logger.info(
              { id: slot.id, worker_pid: child.pid, url, restarts: slot.restarts },
              slot.restarts === 0 ? 'worker started' : 'worker restarted',
            );
            this.#opts.onUp?.(worker);
            resolve();
          },
          (err: unknown) => {
            // Timed out: kill it; the exit below schedules the restart.
            if (err instanceof WorkerStartError && err.exit === undefined) {
              this.#opts.logger.error({ id: slot.id, worker_pid: child.pid, error: err.message }, 'worker did not start');
              child.signal('SIGKILL');
            }
          },
        );
        void child.exited().then((exit) => {
          // While stopping, stop() reports the child down and logs its exit.
          if (slot.current !== child || this.#stopping) return;
          const wasUp = child.url !== undefined;
          if (wasUp) this.#opts.onDown?.(this.#describe(slot, child), exit);
          if (!wasUp && exit.code === CONFIG_ERROR_EXIT) {
            slot.current = undefined;
            const err = new Error(
              `worker ${slot.id} exited with code ${CONFIG_ERROR_EXIT} (configuration error) before listening; not restarting it`,
            );
            this.#opts.logger.error({ id: slot.id, worker_pid: child.pid, code: exit.code }, err.message);
            this.#opts.onFatal?.(slot.id, err);
            return reject(err);
          }
          const delay = slot.backoff.crashed(child.uptimeMs);
          this.#opts.logger.warn(
            {
              id: slot.id,
              worker_pid: child.pid,
              code: exit.code,
              signal: exit.signal,
              restart_in_ms: delay,
              crashes_in_a_row: slot.backoff.streak,
            },
            'worker exited',
          );
          slot.restarts++;
          slot.timer = setTimeout(run, delay);
        });
      };
      run();
    });
  }

  #describe(slot: Slot, child: WorkerProcess): SupervisedWorker {
    return { id: slot.id, pid: child.pid, url: child.url ?? '', restarts: slot.restarts };
  }
}
