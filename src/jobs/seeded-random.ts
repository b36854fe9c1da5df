/**
 * Seeds and the xoshiro128** generator behind Monte Carlo chunks. Each chunk gets its own
 * generator state, a hash of (seed, chunk index), so a chunk's points depend on nothing
 * else: not on which worker or thread runs it, nor on what ran before.
 */
import { randomBytes } from 'node:crypto';

/** A seed is 1–64 characters of [A-Za-z0-9._-]; an integer seed is its decimal string. */
export const SEED_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export const SEED_RULE = 'seed must be 1-64 characters of [A-Za-z0-9._-] or an integer';

/**
 * The canonical seed string, or undefined when `raw` is not a valid seed. Integers map to
 * their decimal form, so 42 and "42" are the same seed (but "042" is another one).
 */
export function normalizeSeed(raw: string | number): string | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? String(raw) : undefined;
  return SEED_PATTERN.test(raw) ? raw : undefined;
}

/** A fresh seed for unseeded jobs (valid under SEED_PATTERN). */
export function randomSeed(): string {
  return randomBytes(12).toString('hex');
}

/** splitmix32 step: spreads a 32-bit value over all bits. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/**
 * The four xoshiro128** state words for chunk `chunkIndex` of `seed`: an FNV-1a pass
 * over the seed's UTF-16 units and the index's two 32-bit halves (indexes may pass 2^32),
 * then splitmix32 to fill the state (never all zero).
 */
export function chunkState(seed: string, chunkIndex: number): Uint32Array {
  if (!Number.isSafeInteger(chunkIndex) || chunkIndex < 0) {
    throw new RangeError(`chunkIndex must be a non-negative integer (got ${chunkIndex})`);
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0xff, 0x01000193); // separator: "ab"+index 1 is not "a"+"b1"
  h = mix32(h ^ (chunkIndex >>> 0));
  h = mix32(h ^ Math.floor(chunkIndex / 0x1_0000_0000));
  const state = new Uint32Array(4);
  for (let i = 0; i < 4; i++) state[i] = h = mix32(h + i);
  if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1;
  return state;
}
