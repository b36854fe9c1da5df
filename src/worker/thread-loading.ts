/**
 * Which compute threads are still loading their modules. Node aborts the whole process
 * (SIGABRT, "v8::Module::IsGraphAsync must be used on an instantiated module" or a failed
 * module-facade assertion) when a thread is terminated, or the process exits, while that
 * thread is still instantiating ES modules: a worker stopped right after it starts (a
 * rolling restart, a test) would die by that signal about once in 200 stops instead of
 * exiting 0. The pool therefore waits for its threads to have loaded before it stops them.
 *
 * A thread has loaded when piscina's own start-up message arrives: piscina posts it after
 * importing the task file, then blocks the thread in Atomics.wait between tasks, so the
 * thread could not announce anything itself.
 */
import type { Worker } from 'node:worker_threads';

/** piscina's thread-to-pool "task file loaded" message key (piscina/dist/common.js, READY). */
const PISCINA_READY = '_WORKER_READY';

export class ThreadLoading {
  readonly #seen = new WeakSet<Worker>();
  readonly #loading = new Set<Worker>();
  /** Waiters of settled(), told whenever a watched thread stops loading. */
  readonly #changed = new Set<() => void>();
  #loaded = 0;

  /** Threads that have reported loading, over the pool's life (replacements included). */
  get loaded(): number {
    return this.#loaded;
  }

  /**
   * Starts watching the threads not seen before. Call it whenever piscina may have started
   * one: a start-up message can only arrive in a later turn of the event loop, so a thread
   * found in the same turn as its creation is never missed.
   */
  watch(threads: readonly Worker[]): void {
    for (const t of threads) {
      if (this.#seen.has(t)) continue;
      this.#seen.add(t);
      this.#loading.add(t);
      const done = (): void => {
        t.off('message', onMessage);
        t.off('exit', done);
        this.#loading.delete(t);
        for (const wake of this.#changed) wake();
      };
      const onMessage = (m: unknown): void => {
        if (typeof m !== 'object' || m === null || !(PISCINA_READY in m)) return;
        this.#loaded++;
        done();
      };
      t.on('message', onMessage);
      t.once('exit', done);
    }
  }

  /** Resolves once no watched thread is loading, or after `timeoutMs` whatever they do. */
  async settled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#loading.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#changed.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, deadline - Date.now());
        this.#changed.add(wake);
      });
    }
  }
}
