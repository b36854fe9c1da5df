/**
 * The SPEC §4 word rule applied to UTF-8 bytes directly: ASCII is classified by table,
 * only bytes ≥ 0x80 are decoded (as the WHATWG decoder does, so invalid input splits words
 * exactly where a decoded text would have U+FFFD), and words go into a byte-keyed table
 * (words-table.ts). No string is made per occurrence; one is made per distinct word.
 *
 * A word is a maximal run of `[\p{L}\p{M}\p{N}]`, joined across a single inner apostrophe
 * (`'` U+0027 or `’` U+2019) that is followed by more such characters, lower-cased with
 * `toLowerCase()` and never normalised.
 */
import { CP_MASK, decode, INCOMPLETE } from './utf8.js';
import { wordTooLong } from './words.js';
import { isWordCodePoint } from './words-classes.js';
import { FOLD, longKeyHash, SHORT_KEY, shortKeyHash, WordTable } from './words-table.js';
import type { WordCounts } from './words.js';

/** ASCII letters and digits to their folded byte; every other byte to 0 (words.wat reads it too). */
export const ASCII_WORD = new Uint8Array(256);
for (let b = 0; b < 128; b++) if (/[A-Za-z0-9]/.test(String.fromCharCode(b))) ASCII_WORD[b] = FOLD[b];

/** Local constants: imported bindings cost a check per use in a hot loop. */
const APOSTROPHE = 0x27;
const RIGHT_QUOTE = 0x2019;
/** wordAt(): no word character starts there. */
const NO = 0;
const YES = 1;

/** Whether a word character starts at `j`: YES, NO, or INCOMPLETE when the bytes run out first. */
function wordAt(buf: Uint8Array, j: number, n: number): number {
  if (j >= n) return INCOMPLETE;
  const b = buf[j];
  if (b < 0x80) return ASCII_WORD[b] !== 0 ? YES : NO;
  const d = decode(buf, j, n);
  if (d === INCOMPLETE) return INCOMPLETE;
  return d > 0 && isWordCodePoint(d & CP_MASK) ? YES : NO;
}

/**
 * Counts the words of `buf` into `table`. Returns where it stopped: `buf.length`, or, unless
 * `final`, the start of a word or sequence that the next bytes may continue. A word longer
 * than `maxWord` bytes throws wordTooLong() (the words before it are counted).
 */
function scan(buf: Uint8Array, table: WordTable, final: boolean, maxWord: number): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) {
      if (ASCII_WORD[b] === 0) {
        i++;
        continue;
      }
    } else {
      const d = decode(buf, i, n);
      // A sequence cut off by the end of the input decodes to one U+FFFD: a separator.
      if (d === INCOMPLETE) return final ? n : i;
      if (d < 0) {
        i -= d;
        continue;
      }
      if (!isWordCodePoint(d & CP_MASK)) {
        i += d >>> 24;
        continue;
      }
    }
    const start = i;
    // The word's last eight folded bytes, rolled in as they come (see WordTable.add).
    let lo = 0;
    let hi = 0;
    for (;;) {
      if (i >= n) {
        if (!final) return start;
        break;
      }
      const c = buf[i];
      const f = ASCII_WORD[c];
      if (f !== 0) {
        hi = (hi << 8) | (lo >>> 24);
        lo = (lo << 8) | f;
        i++;
        continue;
      }
      let len: number;
      if (c < 0x80) {
        if (c !== APOSTROPHE) break;
        len = 1;
      } else {
        const d = decode(buf, i, n);
        if (d === INCOMPLETE) {
          if (!final) return start;
          break;
        }
        if (d < 0) break;
        const cp = d & CP_MASK;
        len = d >>> 24;
        if (!isWordCodePoint(cp)) {
          if (cp !== RIGHT_QUOTE) break;
        } else {
          for (let k = i; k < i + len; k++) {
            hi = (hi << 8) | (lo >>> 24);
            lo = (lo << 8) | buf[k];
          }
          i += len;
          continue;
        }
      }
      // An apostrophe: part of the word only when a word character follows it.
      const next = wordAt(buf, i + len, n);
      if (next === INCOMPLETE && !final) return start;
      if (next !== YES) break;
      for (let k = i; k < i + len; k++) {
        hi = (hi << 8) | (lo >>> 24);
        lo = (lo << 8) | buf[k];
      }
      i += len;
    }
    if (i - start > maxWord) throw wordTooLong(maxWord);
    if (i - start <= SHORT_KEY) table.add(buf, start, i, shortKeyHash(lo, hi), lo, hi);
    else table.add(buf, start, i, longKeyHash(buf, start, i), 0, 0);
  }
  return n;
}

/**
 * Counts words in UTF-8 bytes pushed in any split: inside a UTF-8 sequence, inside a word,
 * or between a word and its apostrophe. The token that touches the end of a push is kept
 * (as bytes) until the next push or `end()` shows whether it goes on.
 */
export class WordCounter {
  readonly #table = new WordTable();
  #carry: Uint8Array | null = null;
  #ended = false;

  push(chunk: Uint8Array): void {
    if (this.#ended) throw new Error('WordCounter: push() after end()');
    if (chunk.length === 0) return;
    const carry = this.#carry;
    const buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
    const stop = scan(buf, this.#table, false, Number.POSITIVE_INFINITY);
    // Copied: the caller may reuse the chunk's memory.
    this.#carry = stop < buf.length ? Uint8Array.prototype.slice.call(buf, stop) : null;
  }

  /** Counts the held-back token and returns the counts; the counter is spent afterwards. */
  end(): WordCounts {
    if (!this.#ended) {
      this.#ended = true;
      if (this.#carry !== null) scan(this.#carry, this.#table, true, Number.POSITIVE_INFINITY);
      this.#carry = null;
    }
    return this.#table.toMap();
  }
}

/**
 * Adds the words of one complete UTF-8 text to `table` (a compute thread's running count);
 * a word longer than `maxWordBytes` throws wordTooLong().
 */
export function countWordsInto(bytes: Uint8Array, table: WordTable, maxWordBytes = Number.POSITIVE_INFINITY): void {
  scan(bytes, table, true, maxWordBytes);
}

/** Counts the words of one complete UTF-8 text. */
export function countWords(bytes: Uint8Array): WordCounts {
  const counter = new WordCounter();
  counter.push(bytes);
  return counter.end();
}
