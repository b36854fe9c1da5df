/**
 * Uniform random integers in [min, max] for spans up to 2^53 (crypto.randomInt stops at
 * 2^48): 53 random bits per draw, rejecting the top partial copy of the span so no value
 * is more likely than another.
 */
import { randomFillSync } from 'node:crypto';

const TWO_53 = 2 ** 53;

export function randomInts(count: number, min: number, max: number): number[] {
  const span = max - min + 1;
  if (!Number.isSafeInteger(span) || span < 1) throw new RangeError(`randomInts: bad range [${min}, ${max}]`);
  const limit = Math.floor(TWO_53 / span) * span;
  const out = new Array<number>(count);
  const words = new Uint32Array(Math.min(2 * count + 16, 4096));
  let w = words.length;
  for (let i = 0; i < count; ) {
    if (w + 2 > words.length) {
      randomFillSync(words);
      w = 0;
    }
    const r = (words[w] & 0x1fffff) * 0x1_0000_0000 + words[w + 1];
    w += 2;
    if (r < limit) out[i++] = min + (r % span);
  }
  return out;
}
