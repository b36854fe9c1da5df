/**
 * The chunk indexes already merged, as a growable bitset: a job of 10^4 Monte Carlo chunks
 * or 10^3 word-count chunks costs about a kilobyte, not a hash entry per chunk.
 */
export class DoneSet {
  #bits = new Uint32Array(32);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(index: number): boolean {
    const word = index >>> 5;
    return word < this.#bits.length && (this.#bits[word] & (1 << (index & 31))) !== 0;
  }

  /** Marks `index` (a non-negative integer below 2^32); false when it was already there. */
  add(index: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** 32) throw new RangeError(`chunk index out of range: ${index}`);
    const word = index >>> 5;
    if (word >= this.#bits.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.#bits.length * 2));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    const mask = 1 << (index & 31);
    if ((this.#bits[word] & mask) !== 0) return false;
    this.#bits[word] |= mask;
    this.#size++;
    return true;
  }
}
