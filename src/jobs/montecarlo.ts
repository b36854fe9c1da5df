/**
 * Monte Carlo estimation of π, split into chunks whose boundaries depend only on the
 * total and the chunk size (SPEC §4): the dispatcher spreads the chunks over workers, a
 * lone worker runs them in order, and with the same seed both get the same bits.
 */
import { chunkState, randomSeed } from './seeded-random.js';

/** 2^-32: maps a 32-bit output onto [0, 1). */
const UNIT = 2.3283064365386963e-10;

/**
 * How many of `points` random points of the unit square fall inside the quarter circle
 * (x² + y² ≤ 1), for chunk `chunkIndex` of `seed` (a random seed when absent). The
 * generator is xoshiro128** kept in local 32-bit ints: no BigInt, no allocation per point.
 */
export function montecarloChunk(points: number, seed: string | undefined, chunkIndex: number): number {
  if (!Number.isSafeInteger(points) || points < 0) {
    throw new RangeError(`points must be a non-negative integer (got ${points})`);
  }
  const st = chunkState(seed ?? randomSeed(), chunkIndex);
  let s0 = st[0] | 0;
  let s1 = st[1] | 0;
  let s2 = st[2] | 0;
  let s3 = st[3] | 0;
  let inside = 0;
  for (let i = 0; i < points; i++) {
    let r = Math.imul(s1, 5);
    const x = (Math.imul((r << 7) | (r >>> 25), 9) >>> 0) * UNIT;
    let t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    r = Math.imul(s1, 5);
    const y = (Math.imul((r << 7) | (r >>> 25), 9) >>> 0) * UNIT;
    t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    if (x * x + y * y <= 1) inside++;
  }
  return inside;
}

function checkPlan(totalPoints: number, chunkSize: number): void {
  if (!Number.isSafeInteger(totalPoints) || totalPoints < 0) {
    throw new RangeError(`totalPoints must be a non-negative integer (got ${totalPoints})`);
  }
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`chunkSize must be a positive integer (got ${chunkSize})`);
  }
}

/** Number of chunks of a job; chunk k has `chunkSize` points except possibly the last. */
export function montecarloChunkCount(totalPoints: number, chunkSize: number): number {
  checkPlan(totalPoints, chunkSize);
  return Math.ceil(totalPoints / chunkSize);
}

/** Points in chunk `k` of a job. */
export function montecarloChunkPoints(totalPoints: number, chunkSize: number, k: number): number {
  return Math.min(chunkSize, totalPoints - k * chunkSize);
}

/** The chunk sizes of a job: all `chunkSize` except the last, which holds the remainder. */
export function montecarloPlan(totalPoints: number, chunkSize: number): number[] {
  const count = montecarloChunkCount(totalPoints, chunkSize);
  const plan = new Array<number>(count);
  for (let k = 0; k < count; k++) plan[k] = montecarloChunkPoints(totalPoints, chunkSize, k);
  return plan;
}

/** A whole job in one thread, chunk by chunk: the same inside count as the distributed job. */
export function montecarlo(totalPoints: number, chunkSize: number, seed?: string): number {
  const count = montecarloChunkCount(totalPoints, chunkSize);
  const jobSeed = seed ?? randomSeed();
  let inside = 0;
  for (let k = 0; k < count; k++) {
    inside += montecarloChunk(montecarloChunkPoints(totalPoints, chunkSize, k), jobSeed, k);
  }
  return inside;
}
