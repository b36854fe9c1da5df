/**
 * The lifeline between `dhttp start` and its worker children. Node has no "parent death
 * signal", so the supervisor hands each child the read end of a pipe as stdin and never
 * writes to it: the kernel closes it when the parent dies, however it dies (SIGKILL, OOM
 * killer). The child sees end-of-file and shuts down gracefully, so no orphan outlives
 * the cluster.
 */

import { isMainThread } from 'node:worker_threads';

/** Set by the supervisor on its children; nothing happens without it. */
export const LIFELINE_ENV = 'DHTTP_LIFELINE';

/** After end-of-file, how long a graceful shutdown may take before a hard exit. */
export const LIFELINE_GRACE_MS = 15_000;

let watching = false;

/**
 * In a child of `dhttp start` (env `DHTTP_LIFELINE=1`): on end of stdin, send itself
 * SIGTERM, so the process's own graceful shutdown runs (or, without a handler, it ends),
 * with a hard exit after `graceMs` as a backstop. Idempotent; a no-op elsewhere.
 * Returns whether it is watching.
 */
export function watchParentLifeline(graceMs = LIFELINE_GRACE_MS): boolean {
  if (watching) return true;
  // Worker threads (the compute pool) inherit --import preloads but not the pipe.
  if (!isMainThread || process.env[LIFELINE_ENV] !== '1') return false;
  watching = true;
  // Not for grandchildren: their stdin is not this pipe.
  delete process.env[LIFELINE_ENV];
  const stdin = process.stdin;
  let fired = false;
  const onLost = (): void => {
    if (fired) return;
    fired = true;
    // unref: the backstop must not keep a process alive that is otherwise done.
    setTimeout(() => process.exit(1), graceMs).unref();
    process.kill(process.pid, 'SIGTERM');
  };
  stdin.on('end', onLost);
  stdin.on('close', onLost);
  stdin.on('error', onLost);
  // Data is not expected; reading it keeps the pipe flowing so 'end' can arrive.
  stdin.on('data', () => {});
  stdin.resume();
  // The watch alone must not keep the process running once the worker has shut down.
  (stdin as Partial<{ unref(): void }>).unref?.();
  return true;
}

/**
 * A `node --import` URL that calls `watchParentLifeline()` in the child's main thread
 * before its own code runs. It is a small JavaScript data: module rather than a file
 * because the preload also runs in every worker thread (piscina inherits execArgv), where
 * a TypeScript file cannot be loaded under tsx; it imports this module (`.ts` or `.js`,
 * whichever is running) in the main thread only.
 */
export function lifelineImport(): string {
  const code =
    `import { isMainThread } from 'node:worker_threads';\n` +
    `if (isMainThread) (await import(${JSON.stringify(import.meta.url)})).watchParentLifeline();\n`;
  return `data:text/javascript,${encodeURIComponent(code)}`;
}
