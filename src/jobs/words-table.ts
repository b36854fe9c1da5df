/**
 * The counting half of the byte-level word counter: an open-addressing hash table keyed by
 * a word's UTF-8 bytes with ASCII letters folded to lower case, so an occurrence costs a
 * hash probe and makes no string. Most words are at most SHORT_KEY bytes: their slot holds
 * the packed bytes, so one compare of two numbers finds them; a longer word is compared
 * byte by byte with its stored key. A compute thread packs its table as
 * bytes (pack), the main thread adds those into its own table (addPacked) and writes the
 * answer from the keys' bytes (json), or makes one string per distinct word of the whole
 * text where a Map is wanted (toMap).
 */
import { byteKeysToJson } from './words-json.js';
import { type WordCounts, writeDecimal } from './words.js';

/** A-Z to a-z; every other byte to itself. Keys are stored folded. */
export const FOLD = new Uint8Array(256);
for (let b = 0; b < 256; b++) FOLD[b] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;

/**
 * Counts as a compute thread sends them: each distinct key (a word with its ASCII letters
 * folded to lower case) as UTF-8 bytes followed by a space (no word holds one), with its
 * hash and its count at the same position.
 */
export interface PackedCounts {
  readonly words: Uint8Array;
  readonly hashes: Int32Array;
  readonly counts: Float64Array;
}

const INITIAL_SLOTS = 1024;
const INITIAL_ARENA = 16 * 1024;
/** A table grown past these by one huge batch is shrunk again on reset. */
const KEEP_SLOTS = 128 * 1024;
const KEEP_ARENA = 1024 * 1024;
/** Entry fields in #entries: where the key starts in the arena, its length, its hash, whether it has a byte ≥ 0x80. */
const START = 0;
const LENGTH = 1;
const HASH = 2;
const WIDE = 3;
const STRIDE = 4;

export class WordTable {
  /** Four per slot: the key's hash, its entry index + 1 (0: empty), and a short key's packed bytes (lo, hi). */
  #slots = new Int32Array(INITIAL_SLOTS * 4);
  #entries = new Int32Array((INITIAL_SLOTS / 2) * STRIDE);
  #counts = new Float64Array(INITIAL_SLOTS / 2);
  #size = 0;
  /** Every key's folded bytes, each followed by a space. */
  #arena = Buffer.allocUnsafe(INITIAL_ARENA);
  #used = 0;

  get size(): number {
    return this.#size;
  }

  /**
   * Counts `count` occurrences of the word `buf[start, end)`, whose folded bytes hash to
   * `hash`. A key of at most SHORT_KEY bytes also comes as `lo`/`hi`, its folded bytes packed
   * (rolled in from the low end; no key byte is 0, so the pair is the key itself): its slot
   * holds them, and finding it reads no entry or arena. Longer keys pass 0, 0.
   */
  add(buf: Uint8Array, start: number, end: number, hash: number, lo: number, hi: number, count = 1): void {
    // Kept small so that it inlines into the scanner's loop; a new word takes #insert.
    const slots = this.#slots;
    const mask = (slots.length >>> 2) - 1;
    const short = lo !== 0;
    let slot = mix(hash) & mask;
    for (;;) {
      const at = 4 * slot;
      const e = slots[at + 1];
      if (e === 0) {
        this.#insert(at, buf, start, end, hash, lo, hi, count);
        return;
      }
      if (slots[at] === hash && (short ? slots[at + 2] === lo && slots[at + 3] === hi : this.#equals(e - 1, buf, start, end))) {
        this.#counts[e - 1] += count;
        return;
      }
      slot = (slot + 1) & mask;
    }
  }

  #insert(slotAt: number, buf: Uint8Array, start: number, end: number, hash: number, lo: number, hi: number, count: number): void {
    const len = end - start;
    const k = this.#size;
    if (k === this.#counts.length) this.#growEntries();
    const at = k * STRIDE;
    this.#entries[at + START] = this.#store(buf, start, len);
    this.#entries[at + LENGTH] = len;
    this.#entries[at + HASH] = hash;
    let wide = 0;
    for (let j = start; j < end; j++) if (buf[j] >= 0x80) wide = 1;
    this.#entries[at + WIDE] = wide;
    this.#counts[k] = count;
    const slots = this.#slots;
    slots[slotAt] = hash;
    slots[slotAt + 1] = k + 1;
    slots[slotAt + 2] = lo;
    slots[slotAt + 3] = hi;
    this.#size = k + 1;
    // At most half full (four numbers per slot); then twice the slots.
    const capacity = slots.length >>> 2;
    if (this.#size * 2 > capacity) this.#rehash(capacity * 2);
  }

  /** Adds a thread's packed counts. */
  addPacked(p: PackedCounts): void {
    const { words, hashes, counts } = p;
    // Into an empty table (a worker's total for one chunk from the dispatcher: one session),
    // the keys are known distinct: room for all of them at once, not a rehash per doubling.
    if (this.#size === 0) this.#reserve(counts.length, words.length);
    let start = 0;
    for (let k = 0; k < counts.length; k++) {
      // A plain loop: keys are short, and indexOf's call costs more than the scan.
      let end = start;
      let lo = 0;
      let hi = 0;
      while (words[end] !== 0x20) {
        hi = (hi << 8) | (lo >>> 24);
        lo = (lo << 8) | words[end];
        end++;
      }
      if (end - start > SHORT_KEY) lo = hi = 0;
      this.add(words, start, end, hashes[k], lo, hi, counts[k]);
      start = end + 1;
    }
  }

  /**
   * Counts `count` occurrences of the key `buf[start, end)` (any bytes but the space; ASCII
   * letters are folded as they are stored).
   */
  addKey(buf: Uint8Array, start: number, end: number, count: number): void {
    if (end - start > SHORT_KEY) {
      this.add(buf, start, end, longKeyHash(buf, start, end), 0, 0, count);
      return;
    }
    let lo = 0;
    let hi = 0;
    for (let j = start; j < end; j++) {
      hi = (hi << 8) | (lo >>> 24);
      lo = (lo << 8) | FOLD[buf[j]];
    }
    this.add(buf, start, end, shortKeyHash(lo, hi), lo, hi, count);
  }

  /**
   * The counts as `word count\n` lines (word-lines.ts), words lower-cased; a word may come
   * twice when two keys lower-case alike (`CAFÉ`, `café`): a reader adds them up.
   */
  lines(): Buffer {
    let out = Buffer.allocUnsafe(this.#used + this.#size * 18 + 64);
    let at = 0;
    const arena = this.#arena;
    for (let k = 0; k < this.#size; k++) {
      const start = this.#entries[k * STRIDE + START];
      const len = this.#entries[k * STRIDE + LENGTH];
      // Lower-casing may lengthen a word (İ: 2 bytes, i̇: 3): room for three times its bytes.
      if (at + 3 * len + 18 > out.length) {
        const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, at + 3 * len + 18));
        out.copy(bigger, 0, 0, at);
        out = bigger;
      }
      if (this.#entries[k * STRIDE + WIDE] === 1) at += out.write(arena.toString('utf8', start, start + len).toLowerCase(), at);
      else at += arena.copy(out, at, start, start + len);
      out[at++] = 0x20;
      at = writeDecimal(out, at, this.#counts[k]);
      out[at++] = 0x0a;
    }
    return out.subarray(0, at);
  }

  /**
   * The counts as bytes (a copy: the table is reused). Keys are not lower-cased here: the
   * receiving table's toMap() does it once per distinct word of the whole text.
   */
  pack(): PackedCounts {
    const n = this.#size;
    const hashes = new Int32Array(n);
    for (let k = 0; k < n; k++) hashes[k] = this.#entries[k * STRIDE + HASH];
    const words = new Uint8Array(this.#used);
    words.set(this.#arena.subarray(0, this.#used));
    return { words, hashes, counts: this.#counts.slice(0, n) };
  }

  /**
   * The SPEC §4 answer, the bytes countsToJsonBytes(this.toMap()) gives, with a string only
   * for a key that holds a non-ASCII byte (lower-cased as toMap does; ASCII is folded already).
   */
  json(): Buffer {
    const n = this.#size;
    const entries = this.#entries;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    const lowered: Buffer[] = [];
    let extra = this.#used;
    for (let k = 0; k < n; k++) {
      const start = entries[k * STRIDE + START];
      const end = start + entries[k * STRIDE + LENGTH];
      if (entries[k * STRIDE + WIDE] === 1) {
        const bytes = Buffer.from(this.#arena.toString('utf8', start, end).toLowerCase());
        lowered.push(bytes);
        starts[k] = extra;
        extra += bytes.length;
        ends[k] = extra;
      } else {
        starts[k] = start;
        ends[k] = end;
      }
    }
    const bytes = lowered.length === 0 ? this.#arena : Buffer.concat([this.#arena.subarray(0, this.#used), ...lowered]);
    return byteKeysToJson({ bytes, starts, ends, counts: this.#counts, size: n });
  }

  /** Word → count, lower-cased: one string per distinct word. */
  toMap(): WordCounts {
    const out: WordCounts = new Map();
    if (this.#size === 0) return out;
    const words = this.#arena.toString('utf8', 0, this.#used - 1).split(' ');
    for (let k = 0; k < words.length; k++) {
      // Only a key with non-ASCII bytes can still hold upper case (ASCII is folded).
      const word = this.#entries[k * STRIDE + WIDE] === 1 ? words[k].toLowerCase() : words[k];
      out.set(word, (out.get(word) ?? 0) + this.#counts[k]);
    }
    return out;
  }

  /** Empties the table for the next batch, keeping its memory unless one batch blew it up. */
  reset(): void {
    this.#size = 0;
    this.#used = 0;
    if (this.#slots.length > KEEP_SLOTS * 4) {
      this.#slots = new Int32Array(INITIAL_SLOTS * 4);
      this.#entries = new Int32Array((INITIAL_SLOTS / 2) * STRIDE);
      this.#counts = new Float64Array(INITIAL_SLOTS / 2);
    } else {
      this.#slots.fill(0);
    }
    if (this.#arena.length > KEEP_ARENA) this.#arena = Buffer.allocUnsafe(INITIAL_ARENA);
  }

  /** Whether entry k's key is the word `buf[start, end)`. */
  #equals(k: number, buf: Uint8Array, start: number, end: number): boolean {
    const entries = this.#entries;
    if (entries[k * STRIDE + LENGTH] !== end - start) return false;
    const arena = this.#arena;
    let at = entries[k * STRIDE + START];
    for (let j = start; j < end; j++, at++) if (arena[at] !== FOLD[buf[j]]) return false;
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

  #reserve(keys: number, keyBytes: number): void {
    while (this.#counts.length < keys) this.#growEntries();
    let capacity = this.#slots.length >>> 2;
    while (keys * 2 > capacity) capacity *= 2;
    if (capacity > this.#slots.length >>> 2) this.#rehash(capacity);
    if (keyBytes > this.#arena.length) {
      const bigger = Buffer.allocUnsafe(keyBytes);
      this.#arena.copy(bigger, 0, 0, this.#used);
      this.#arena = bigger;
    }
  }

  #growEntries(): void {
    const entries = new Int32Array(this.#entries.length * 2);
    entries.set(this.#entries);
    this.#entries = entries;
    const counts = new Float64Array(this.#counts.length * 2);
    counts.set(this.#counts);
    this.#counts = counts;
  }

  #rehash(capacity: number): void {
    const old = this.#slots;
    const slots = new Int32Array(capacity * 4);
    const mask = capacity - 1;
    for (let s = 0; s < old.length; s += 4) {
      if (old[s + 1] === 0) continue;
      let slot = mix(old[s]) & mask;
      while (slots[4 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots.set(old.subarray(s, s + 4), 4 * slot);
    }
    this.#slots = slots;
  }
}

/** Keys up to this many bytes are found by their packed bytes (add's lo, hi). */
export const SHORT_KEY = 8;

/** The hash of a key of at most SHORT_KEY bytes, from its packed bytes. */
export function shortKeyHash(lo: number, hi: number): number {
  return Math.imul(lo ^ (lo >>> 15), 0x9e3779b1) ^ Math.imul(hi ^ (hi >>> 13), 0x85ebca6b);
}

/** FNV-1a over the folded bytes of a longer key, `buf[start, end)`. */
export function longKeyHash(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let k = start; k < end; k++) h = Math.imul(h ^ FOLD[buf[k]], 0x01000193);
  return h;
}

/** Hash bits are uneven (FNV-1a's low bits are weak); a final avalanche spreads them all into the slot index. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return h ^ (h >>> 16);
}
