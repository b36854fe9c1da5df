/**
 * Cuts a byte stream into chunks of about `targetBytes` at word boundaries only (SPEC §4),
 * so each chunk can be counted on its own and the counts summed.
 *
 * A cut is made just after a separator that is not an apostrophe, or just after the second
 * of two apostrophes in a row: no word can run across either, and no apostrophe can join
 * across them (an apostrophe joins only when a word character follows it). ASCII
 * separators are found by a byte scan (an ASCII byte never occurs inside a multi-byte
 * UTF-8 sequence, and a decoder is always back in its initial state after one); only text
 * without them (CJK, Thai…) pays for a UTF-8 walk that follows the WHATWG decoder step by
 * step, so its cut positions are the positions a whole-stream decoder passes through.
 *
 * Between two cuts there is therefore at most one word, with apostrophes around it and
 * the separator that ends it or an unfinished UTF-8 sequence (RUN_SLACK bytes in all): a
 * run longer than `maxWordBytes + RUN_SLACK` holds a word longer than `maxWordBytes`, and
 * is refused (413) before it grows further, which bounds a chunk's memory whatever the input.
 */

import { CP_MASK, decode, INCOMPLETE } from './utf8.js';
import { wordTooLong } from './words.js';
import { isWordCodePoint } from './words-classes.js';

/** A stream cutter; the dispatcher and the worker's stream helper depend on this shape only. */
export interface Chunker {
  /** Takes the next bytes; returns the chunks that are complete. */
  push(bytes: Uint8Array): Buffer[];
  /** The rest of the input as a last chunk, or null when nothing is left. */
  end(): Buffer | null;
}

export interface WordChunkerOptions {
  /**
   * Preferred chunk size. Chunks are cut at the last boundary at or before it, or the
   * first one after it when a word is longer (a chunk grows until a boundary or the end).
   * @default 1048576 (1 MiB)
   */
  targetBytes?: number;
  /** The longest word accepted; a longer one throws wordTooLong(). @default Infinity */
  maxWordBytes?: number;
}

export const WORD_CHUNKER_DEFAULTS = Object.freeze({ targetBytes: 1024 * 1024 });

/**
 * The bytes of a run between two cuts that are not its word: a `’` before it (3), and after
 * it a `’` and then the separator a cut follows (3 + up to 4, as 😀), the `’’` a cut follows
 * (6), or 3 bytes of an unfinished sequence (3 + 3).
 */
export const RUN_SLACK = 10;

/** A maxWordBytes option checked: an integer ≥ 1, or Infinity (no limit) when absent. */
export function maxWordOption(owner: string, value: number | undefined): number {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${owner}: maxWordBytes must be an integer >= 1 (got ${value})`);
  return value;
}

/** ASCII bytes after which a cut is unsafe: [A-Za-z0-9']. */
const ASCII_WORDISH = new Uint8Array(128);
for (let b = 0; b < 128; b++) {
  const c = String.fromCharCode(b);
  ASCII_WORDISH[b] = /[A-Za-z0-9']/.test(c) ? 1 : 0;
}

const EMPTY = Buffer.alloc(0);
const APOSTROPHE = 0x27;
const RIGHT_QUOTE = 0x2019;

/**
 * Whether an apostrophe (`'` or `’`) ends at `p`, a decoder-initial position. The bytes
 * E2 80 99 there are always `’`: E2 is never a continuation byte, so a decoder reads it as
 * a lead, and 80 and 99 continue it validly.
 */
function apostropheBefore(buf: Uint8Array, p: number): boolean {
  return (p >= 1 && buf[p - 1] === APOSTROPHE) || (p >= 3 && buf[p - 1] === 0x99 && buf[p - 2] === 0x80 && buf[p - 3] === 0xe2);
}

function startsWithApostrophe(buf: Uint8Array): boolean {
  return buf[0] === APOSTROPHE || (buf.length >= 3 && buf[0] === 0xe2 && buf[1] === 0x80 && buf[2] === 0x99);
}

/**
 * The first cut in buf[from..] (`from` a decoder-initial position; the bytes before it are
 * looked at only to find an apostrophe pair across it), or -(r + 1) when there is none, r
 * being where decoding resumes (the start of a sequence cut by the end of `buf`, or its
 * length).
 */
function separatorEnd(buf: Uint8Array, from: number): number {
  const n = buf.length;
  let p = from;
  while (p < n) {
    const start = p;
    const b = buf[p++];
    if (b < 0x80) {
      if (ASCII_WORDISH[b] === 0 || (b === APOSTROPHE && apostropheBefore(buf, start))) return p;
      continue;
    }
    const r = decode(buf, start, n);
    if (r === INCOMPLETE) return -start - 1;
    // Invalid bytes are one U+FFFD, a separator; the first byte that broke the sequence is read again.
    if (r < 0) return start - r;
    p = start + (r >>> 24);
    const cp = r & CP_MASK;
    if (cp === RIGHT_QUOTE ? apostropheBefore(buf, start) : !isWordCodePoint(cp)) return p;
  }
  return -n - 1;
}

export class WordChunker implements Chunker {
  readonly #target: number;
  readonly #maxWord: number;
  #parts: Buffer[] = [];
  #length = 0;
  /** Leading pending bytes known to hold no cut; always a decoder-initial position. */
  #scanned = 0;
  /**
   * Once #scanned is past the target, the pending bytes are one long word: they stay in
   * #parts unjoined and each new piece is scanned on its own, after #undecided (the at most
   * 3 bytes of a UTF-8 sequence it cut), so a word of n bytes costs O(n), not O(n²) copying.
   */
  #undecided: Buffer = EMPTY;
  /** An apostrophe ends just before #undecided: a piece that starts with one makes a pair. */
  #afterApostrophe = false;

  constructor(options: WordChunkerOptions = {}) {
    const target = options.targetBytes ?? WORD_CHUNKER_DEFAULTS.targetBytes;
    if (!Number.isSafeInteger(target) || target < 1) {
      throw new RangeError(`WordChunker: targetBytes must be an integer >= 1 (got ${target})`);
    }
    this.#target = target;
    this.#maxWord = maxWordOption('WordChunker', options.maxWordBytes);
  }

  push(bytes: Uint8Array): Buffer[] {
    if (bytes.length === 0) return [];
    const piece = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#parts.push(piece);
    this.#length += piece.length;
    const out: Buffer[] = [];
    if (this.#length < this.#target) return out;
    if (this.#scanned >= this.#target && this.#parts.length > 1 && !this.#cutInPiece(piece)) {
      this.#checkRun();
      return out;
    }
    let buf = this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts, this.#length);
    let oneRun = false;
    while (buf.length >= this.#target) {
      const cut = findCut(buf, this.#scanned, this.#target);
      if (cut < 0) {
        this.#scanned = -cut - 1;
        oneRun = true;
        break;
      }
      // Past the target, the chunk is one run (a long word that one piece brought whole).
      if (cut > this.#target && cut > this.#maxWord + RUN_SLACK) throw wordTooLong(this.#maxWord);
      out.push(buf.subarray(0, cut));
      buf = buf.subarray(cut);
      this.#scanned = 0;
    }
    this.#parts = buf.length > 0 ? [buf] : [];
    this.#length = buf.length;
    if (this.#scanned >= this.#target) {
      this.#setUndecided(buf, this.#scanned);
      this.#checkRun();
    } else {
      this.#undecided = EMPTY;
      // No cut, though the scan stopped short of the target at an unfinished sequence: the
      // pending bytes are still one run, and may already be too long a one.
      if (oneRun) this.#checkRun();
    }
    return out;
  }

  /**
   * Whether the new piece (after the undecided bytes) ends the long word. If it does not,
   * #scanned moves to the piece's last decoder-initial position and nothing is joined.
   */
  #cutInPiece(piece: Buffer): boolean {
    const window = this.#undecided.length === 0 ? piece : Buffer.concat([this.#undecided, piece]);
    if (this.#afterApostrophe && startsWithApostrophe(window)) return true;
    const base = this.#length - window.length;
    const cut = separatorEnd(window, 0);
    if (cut >= 0) return true;
    const resume = -cut - 1;
    this.#scanned = base + resume;
    this.#setUndecided(window, resume);
    return false;
  }

  /** The bytes of `buf` from `scanned` on are undecided; an apostrophe before them is remembered. */
  #setUndecided(buf: Buffer, scanned: number): void {
    this.#undecided = buf.subarray(scanned);
    // At 0 the bytes before are the previous window's, already looked at.
    if (scanned > 0) this.#afterApostrophe = apostropheBefore(buf, scanned);
  }

  /** The pending bytes are one run with no cut: too long a run holds too long a word. */
  #checkRun(): void {
    if (this.#length > this.#maxWord + RUN_SLACK) throw wordTooLong(this.#maxWord);
  }

  end(): Buffer | null {
    const rest = this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    this.#scanned = 0;
    this.#undecided = EMPTY;
    return rest.length > 0 ? rest : null;
  }
}

/**
 * Where to cut `buf`: the last cut at or before `target` (the last ASCII one when there is
 * one there), else the first one after it (a word longer than the target); or, when `buf`
 * holds none after `from` (a decoder-initial position), -(r + 1), r being a
 * decoder-initial position a later search of the same bytes with more after them may start
 * from.
 */
export function findCut(buf: Uint8Array, from: number, target: number): number {
  // An ASCII separator ends a sequence wherever it is: searched backwards from the target.
  for (let i = Math.min(target, buf.length) - 1; i >= from; i--) {
    const b = buf[i];
    if (b < 0x80 && (ASCII_WORDISH[b] === 0 || (b === APOSTROPHE && apostropheBefore(buf, i)))) return i + 1;
  }
  // None: decode from `from`, where the decoder is known to be in its initial state.
  let best = -1;
  for (let p = from; ; ) {
    const end = separatorEnd(buf, p);
    if (end < 0 || end > target) return best >= 0 ? best : end;
    best = end;
    p = end;
  }
}
