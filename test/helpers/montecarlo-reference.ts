/**
 * An independent computation of a seeded Monte Carlo job, for tests to compare the product
 * with: written from the algorithms' definitions, sharing no code with src/jobs. A chunk's
 * generator is xoshiro128** (Blackman & Vigna) seeded from a hash of (seed, chunk index):
 * FNV-1a 32 over the seed's UTF-16 units, a 0xff separator, then the index's two 32-bit
 * halves mixed in with a splitmix-style finaliser (lowbias32 constants), which also fills
 * the four state words. Each point takes two outputs, x then y, as fractions of 2^32, and is
 * inside when x² + y² ≤ 1. Chunks hold `chunk` points each, the last the remainder.
 *
 * Everything is unsigned 32-bit arithmetic on plain numbers; products are formed from
 * 16-bit halves (exact in doubles) rather than with Math.imul as the product's code does.
 */

const TWO32 = 2 ** 32;

/** a·b mod 2^32, for a, b in [0, 2^32): the high half's product only matters mod 2^16. */
function mul(a: number, b: number): number {
  return ((((a >>> 16) * b) & 0xffff) * 0x10000 + (a & 0xffff) * b) >>> 0;
}

function add(a: number, b: number): number {
  return (a + b) >>> 0;
}

function xor(a: number, b: number): number {
  return (a ^ b) >>> 0;
}

function shr(a: number, k: number): number {
  return a >>> k;
}

function rotl(a: number, k: number): number {
  return ((a << k) | (a >>> (32 - k))) >>> 0;
}

/** FNV-1a, 32 bits, over UTF-16 code units. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = mul(xor(h, text.charCodeAt(i)), 0x01000193);
  return h;
}

/** The finaliser: add the golden ratio, then two xor-shift-multiply rounds and a last xor-shift. */
function finalise(x: number): number {
  let z = add(x, 0x9e3779b9);
  z = mul(xor(z, shr(z, 16)), 0x21f0aaad);
  z = mul(xor(z, shr(z, 15)), 0x735a2d97);
  return xor(z, shr(z, 15));
}

export class Xoshiro128StarStar {
  #s: [number, number, number, number];

  constructor(state: readonly [number, number, number, number]) {
    this.#s = [...state];
  }

  next(): number {
    const s = this.#s;
    const out = mul(rotl(mul(s[1], 5), 7), 9);
    const t = mul(s[1], 512);
    s[2] = xor(s[2], s[0]);
    s[3] = xor(s[3], s[1]);
    s[1] = xor(s[1], s[2]);
    s[0] = xor(s[0], s[3]);
    s[2] = xor(s[2], t);
    s[3] = rotl(s[3], 11);
    return out;
  }
}

/** The generator state of chunk `k` of `seed`. */
export function chunkSeedState(seed: string, k: number): [number, number, number, number] {
  let h = mul(xor(fnv1a(seed), 0xff), 0x01000193);
  h = finalise(xor(h, k >>> 0));
  h = finalise(xor(h, Math.floor(k / TWO32)));
  const state: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) state[i] = h = finalise(add(h, i));
  if (state.every((w) => w === 0)) state[0] = 1;
  return state;
}

/** Points inside the quarter circle among `points` of chunk `k`. */
export function chunkInside(seed: string, k: number, points: number): number {
  const g = new Xoshiro128StarStar(chunkSeedState(seed, k));
  let inside = 0;
  for (let i = 0; i < points; i++) {
    const x = g.next() / TWO32;
    const y = g.next() / TWO32;
    if (x * x + y * y <= 1) inside++;
  }
  return inside;
}

/** The inside count of a whole job: `total` points in chunks of `chunk`. */
export function referenceInside(total: number, chunk: number, seed: string): number {
  let inside = 0;
  for (let k = 0, done = 0; done < total; k++, done += chunk) inside += chunkInside(seed, k, Math.min(chunk, total - done));
  return inside;
}
