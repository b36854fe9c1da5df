/**
 * Latencies counted in a typed array with the bucket layout of an HDR histogram of 3
 * significant digits (2048 unit buckets, then 1024 sub-buckets per power of two), moved
 * into a real HDR histogram in one pass when asked. Recording is an index computation and
 * an increment: hdr-histogram-js's recordValue costs about 1 µs of a load client's request
 * on this class of machine (a logarithm and a power through V8's C library per value).
 * A value lands in the same HDR bucket as if it had been recorded there directly.
 */
import type { Histogram } from 'hdr-histogram-js';

const UNIT_BUCKETS = 2048;
const SUB_BUCKET_BITS = 10;
/** Values from 2^31 on (35 minutes in µs) go to the histogram itself: the index math is 32-bit. */
const LIMIT = 2 ** 31;
const SLOTS = UNIT_BUCKETS + (31 - SUB_BUCKET_BITS) * (1 << SUB_BUCKET_BITS);

export class LatencyCounts {
  readonly #counts = new Float64Array(SLOTS);
  #low = SLOTS;
  #high = -1;
  /** Values too large for the array, recorded into the histogram at the next moveInto. */
  readonly #large: number[] = [];

  /** Records one latency (a non-negative integer, µs). */
  record(value: number): void {
    if (value >= LIMIT) {
      this.#large.push(value);
      return;
    }
    let i = value;
    if (value >= UNIT_BUCKETS) {
      const shift = 31 - Math.clz32(value) - SUB_BUCKET_BITS;
      i = (shift << SUB_BUCKET_BITS) + (value >>> shift);
    }
    this.#counts[i]++;
    if (i < this.#low) this.#low = i;
    if (i > this.#high) this.#high = i;
  }

  /** Adds what was recorded to `histogram` and starts empty. */
  moveInto(histogram: Histogram): void {
    const counts = this.#counts;
    for (let i = this.#low; i <= this.#high; i++) {
      const n = counts[i];
      if (n === 0) continue;
      counts[i] = 0;
      if (i < UNIT_BUCKETS) histogram.recordValueWithCount(i, n);
      else {
        const shift = (i >>> SUB_BUCKET_BITS) - 1;
        const sub = i - ((shift + 1) << SUB_BUCKET_BITS) + (1 << SUB_BUCKET_BITS);
        histogram.recordValueWithCount(sub * 2 ** shift, n);
      }
    }
    this.#low = SLOTS;
    this.#high = -1;
    for (const v of this.#large) histogram.recordValue(v);
    this.#large.length = 0;
  }
}
