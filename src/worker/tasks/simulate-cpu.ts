/** Longest accepted run, so a typo cannot pin a thread for hours. */
export const SIMULATE_MAX_SECONDS = 600;

/** Result of the integer mixing, kept so the optimiser cannot drop the loop. */
// biome-ignore lint/correctness/noUnusedVariables: written on purpose so the loop has an observable effect
let sink = 0;

/**
 * Real CPU work (an integer hash mix, no sleeping) for `seconds`, checking the clock every
 * ~100k rounds. `taskName` only labels the work. Returns the elapsed milliseconds.
 */
export function simulateCpu(seconds: number, taskName: string): number {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > SIMULATE_MAX_SECONDS) {
    throw new RangeError(`simulate: seconds must be in [0, ${SIMULATE_MAX_SECONDS}] (got ${seconds})`);
  }
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let x = taskName.length | 0x9e3779b9;
  do {
    for (let i = 0; i < 100_000; i++) {
      x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
      x = Math.imul(x ^ (x >>> 12), 0x297a2d39) + i;
    }
  } while (performance.now() < deadline);
  sink ^= x;
  return performance.now() - start;
}
