/**
 * A scavenge on demand, for code that streams large bodies through memory it cannot reuse.
 * Each socket read gives Node a fresh 64 KiB buffer; a body passed on and dropped leaves
 * them dead in the young generation, but so little JavaScript is allocated meanwhile that
 * no scavenge comes: V8 frees them only when their external memory has grown by its limit
 * (64 MiB) and forces a full collection. Meanwhile the process holds them, and the next
 * reads fault in fresh pages. A scavenge every few MiB of body frees them young, for well
 * under a millisecond each (POST /countwords of 200 MB: main thread CPU −25 to −40 %, peak
 * RSS lower; bench/results/issue-18-runs.md).
 *
 * V8 offers this only as `gc()` behind --expose-gc; the flag, set at run time, exposes it in
 * contexts made afterwards, so one small context fetches it once. Where that fails, it is a
 * no-op and V8 collects as it would.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'minor' }) => void;

let gc: Gc | null | undefined;

function load(): Gc | null {
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    return typeof fn === 'function' ? (fn as Gc) : null;
  } catch {
    return null;
  }
}

/** Runs a scavenge (young generation only). */
export function collectYoung(): void {
  gc ??= load();
  gc?.({ type: 'minor' });
}

/** Counts body bytes and runs a scavenge after each `everyBytes` of them. */
export class YoungGcPacer {
  #since = 0;

  constructor(
    readonly everyBytes: number,
    private readonly collect: () => void = collectYoung,
  ) {}

  add(bytes: number): void {
    this.#since += bytes;
    if (this.#since < this.everyBytes) return;
    this.#since = 0;
    this.collect();
  }
}
