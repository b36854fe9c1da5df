/**
 * The counting half of the byte-level word counter: an open-addressing hash table keyed by
 * a word's UTF-8 bytes with ASCII letters folded to lower case, so a word costs a hash
 * probe and a byte compare, and a string is made once per distinct word, not per occurrence.
 */

/** A-Z to a-z; every other byte to itself. Keys are stored folded. */
export const FOLD = new Uint8Array(256);
for (let b = 0; b < 256; b++) FOLD[b] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;

/** FNV-1a over the folded bytes; the scanner computes it as it reads a word. */
export const HASH_SEED = 0x811c9dc5 | 0;
export const HASH_PRIME = 0x01000193;

/**
 * Word counts as a compute thread returns them: every distinct word once, joined by a
 * space (no word contains one), with its count at the same position in `counts`. Two
 * entries may be the same word when spellings differ in non-ASCII case ("ÉTÉ", "été").
 */
export interface PackedCounts {
  readonly words: string;
  readonly counts: Uint32Array;
}

const INITIAL_SLOTS = 1024;
const INITIAL_ARENA = 16 * 1024;
/** A table grown past these by one huge batch is shrunk again on reset. */
const KEEP_SLOTS = 64 * 1024;
const KEEP_ARENA = 1024 * 1024;

export class WordTable {
  /** Entry index + 1 per slot; 0 is empty. */
  #slots = new Int32Array(INITIAL_SLOTS);
  #hashes = new Int32Array(INITIAL_SLOTS / 2);
  #starts = new Int32Array(INITIAL_SLOTS / 2);
  #lengths = new Int32Array(INITIAL_SLOTS / 2);
  #counts = new Uint32Array(INITIAL_SLOTS / 2);
  #size = 0;
  /** Every key's folded bytes, each followed by a space: decoded at once, it is the packed word list. */
  #arena = Buffer.allocUnsafe(INITIAL_ARENA);
  #used = 0;

  get size(): number {
    return this.#size;
  }

  /** Counts one occurrence of the word `buf[start, end)`, whose folded bytes hash to `hash`. */
  add(buf: Uint8Array, start: number, end: number, hash: number): void {
    const len = end - start;
    const slots = this.#slots;
    const mask = slots.length - 1;
    let slot = mix(hash) & mask;
    for (;;) {
      const e = slots[slot];
      if (e === 0) break;
      const k = e - 1;
      if (this.#hashes[k] === hash && this.#lengths[k] === len && this.#equals(this.#starts[k], buf, start, len)) {
        this.#counts[k]++;
        return;
      }
      slot = (slot + 1) & mask;
    }
    const k = this.#size;
    if (k === this.#hashes.length) this.#growEntries();
    const at = this.#store(buf, start, len);
    this.#hashes[k] = hash;
    this.#starts[k] = at;
    this.#lengths[k] = len;
    this.#counts[k] = 1;
    slots[slot] = k + 1;
    this.#size = k + 1;
    if (this.#size * 2 > slots.length) this.#rehash(slots.length * 2);
  }

  /**
   * The counts so far. Lower-casing the joined list equals lower-casing each word: the only
   * context-dependent mapping of toLowerCase() (final sigma) looks no further than the
   * letters and case-ignorable characters around it, and a space is neither.
   */
  pack(): PackedCounts {
    const words = this.#used === 0 ? '' : this.#arena.toString('utf8', 0, this.#used - 1).toLowerCase();
    return { words, counts: this.#counts.slice(0, this.#size) };
  }

  /** Empties the table for the next batch, keeping its memory unless one batch blew it up. */
  reset(): void {
    this.#size = 0;
    this.#used = 0;
    if (this.#slots.length > KEEP_SLOTS) {
      this.#slots = new Int32Array(INITIAL_SLOTS);
      this.#hashes = new Int32Array(INITIAL_SLOTS / 2);
      this.#starts = new Int32Array(INITIAL_SLOTS / 2);
      this.#lengths = new Int32Array(INITIAL_SLOTS / 2);
      this.#counts = new Uint32Array(INITIAL_SLOTS / 2);
    } else {
      this.#slots.fill(0);
    }
    if (this.#arena.length > KEEP_ARENA) this.#arena = Buffer.allocUnsafe(INITIAL_ARENA);
  }

  #equals(at: number, buf: Uint8Array, start: number, len: number): boolean {
    const arena = this.#arena;
    for (let j = 0; j < len; j++) if (arena[at + j] !== FOLD[buf[start + j]]) return false;
    return true;
  }

  #store(buf: Uint8Array, start: number, len: number): number {
    if (this.#used + len + 1 > this.#arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#arena.length * 2, this.#used + len + 1));
      this.#arena.copy(bigger, 0, 0, this.#used);
      this.#arena = bigger;
    }
    const arena = this.#arena;
    const at = this.#used;
    for (let j = 0; j < len; j++) arena[at + j] = FOLD[buf[start + j]];
    arena[at + len] = 0x20;
    this.#used = at + len + 1;
    return at;
  }

  #growEntries(): void {
    const n = this.#hashes.length * 2;
    const grow = <T extends Int32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.#hashes = grow(this.#hashes, (m) => new Int32Array(m));
    this.#starts = grow(this.#starts, (m) => new Int32Array(m));
    this.#lengths = grow(this.#lengths, (m) => new Int32Array(m));
    this.#counts = grow(this.#counts, (m) => new Uint32Array(m));
  }

  #rehash(capacity: number): void {
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let k = 0; k < this.#size; k++) {
      let slot = mix(this.#hashes[k]) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = k + 1;
    }
    this.#slots = slots;
  }
}

/** FNV-1a's low bits are weak; a final avalanche spreads the whole hash into them. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return h ^ (h >>> 16);
}
