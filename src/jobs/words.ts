/**
 * The word rule of SPEC §4 and the word-count map helpers shared by the worker
 * (counting) and the dispatcher (merging, formatting).
 *
 * A word is a maximal run of `[\p{L}\p{M}\p{N}]`, joined across a single inner
 * apostrophe (`'` U+0027 or `’` U+2019) that is followed by more such characters,
 * lower-cased with `toLowerCase()` and never normalised.
 */
import { StringDecoder } from 'node:string_decoder';

/** Word counts as they travel between threads (structured clone keeps a Map). */
export type WordCounts = Map<string, number>;

/** One regex does the whole rule: the apostrophe group only matches when a word char follows. */
const WORD_SOURCE = "[\\p{L}\\p{M}\\p{N}]+(?:['\u2019][\\p{L}\\p{M}\\p{N}]+)*";

/**
 * V8 keeps strings of 13+ chars cut out of a larger string as slices that pin the whole
 * parent text; a counter that lives across many pushes must not keep every pushed text alive.
 */
const SLICE_MIN_LENGTH = 13;

function detach(s: string): string {
  return s.length < SLICE_MIN_LENGTH ? s : Buffer.from(s, 'utf8').toString('utf8');
}

function isApostrophe(code: number): boolean {
  return code === 0x27 || code === 0x2019;
}

/**
 * Counts words in UTF-8 bytes pushed in any split: inside a UTF-8 sequence, inside a
 * word, or between a word and its apostrophe. The token that touches the end of a push
 * is held back until the next push (or `end()`) shows whether it goes on.
 */
export class WordCounter {
  // StringDecoder rather than TextDecoder: TextDecoder's stream mode yields two-byte
  // strings even for ASCII, which halves regex speed.
  readonly #decoder = new StringDecoder('utf8');
  readonly #re = new RegExp(WORD_SOURCE, 'gu');
  readonly #counts: WordCounts = new Map();
  #carry = '';
  #ended = false;

  push(chunk: Uint8Array): void {
    if (this.#ended) throw new Error('WordCounter: push() after end()');
    const text = this.#decoder.write(chunk);
    if (text.length > 0) this.#scan(this.#carry + text, false);
  }

  /** Flushes the held-back token and returns the counts; the counter is spent afterwards. */
  end(): WordCounts {
    if (!this.#ended) {
      this.#ended = true;
      this.#scan(this.#carry + this.#decoder.end(), true);
    }
    return this.#counts;
  }

  #scan(text: string, final: boolean): void {
    this.#carry = '';
    // Count the case as written first: toLowerCase() then runs once per distinct
    // spelling rather than once per occurrence.
    const raw = new Map<string, number>();
    const re = this.#re;
    re.lastIndex = 0;
    let last = '';
    let lastEnd = -1;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      last = m[0];
      lastEnd = re.lastIndex;
      raw.set(last, (raw.get(last) ?? 0) + 1);
    }
    const n = text.length;
    if (!final && lastEnd >= 0 && (lastEnd === n || (lastEnd === n - 1 && isApostrophe(text.charCodeAt(n - 1))))) {
      raw.set(last, (raw.get(last) as number) - 1);
      this.#carry = text.slice(lastEnd - last.length);
    }
    const counts = this.#counts;
    for (const [word, count] of raw) {
      if (count === 0) continue;
      const key = word.toLowerCase();
      const prev = counts.get(key);
      if (prev === undefined) counts.set(detach(key), count);
      else counts.set(key, prev + count);
    }
  }
}

/** Counts the words of one complete UTF-8 text. */
export function countWords(bytes: Uint8Array): WordCounts {
  const counter = new WordCounter();
  counter.push(bytes);
  return counter.end();
}

/** Adds `source` into `target` (a Map from a thread, or a parsed JSON object from a worker). */
export function mergeInto(target: WordCounts, source: WordCounts | Readonly<Record<string, number>>): WordCounts {
  if (source instanceof Map) {
    for (const [word, count] of source) target.set(word, (target.get(word) ?? 0) + count);
  } else {
    for (const word of Object.keys(source)) target.set(word, (target.get(word) ?? 0) + source[word]);
  }
  return target;
}

/**
 * Code-point order. UTF-16 order (JS `<`, default sort) differs from it only where a
 * surrogate meets a unit in U+E000–U+FFFF (e.g. U+FF5E vs U+1F600), so only there are
 * the units shifted: surrogates above, E000–FFFF below.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

const ABOVE_D800 = /[\ud800-\uffff]/;

function nativeCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Words sorted in code-point order; the common all-below-U+D800 case keeps native comparison. */
export function sortWords(words: string[]): string[] {
  const simple = words.every((w) => !ABOVE_D800.test(w));
  return words.sort(simple ? nativeCompare : compareCodePoints);
}

/**
 * The SPEC §4 response: a JSON object with keys in code-point order. Built by hand because
 * a JS object would move integer-like keys ("42") to the front.
 */
export function countsToJson(counts: WordCounts): string {
  const words = sortWords([...counts.keys()]);
  const parts = new Array<string>(words.length);
  for (let i = 0; i < words.length; i++) parts[i] = `${JSON.stringify(words[i])}:${counts.get(words[i])}`;
  return `{${parts.join(',')}}`;
}

export interface TopWords {
  total_words: number;
  unique_words: number;
  top: Array<{ word: string; count: number }>;
}

/** The `?top=K` response: count descending, then word in code-point order. */
export function topK(counts: WordCounts, k: number): TopWords {
  let total = 0;
  const byCount = new Map<number, number>();
  for (const c of counts.values()) {
    total += c;
    byCount.set(c, (byCount.get(c) ?? 0) + 1);
  }
  // Only entries at or above the k-th largest count can make the cut: sort just those.
  const levels = [...byCount.keys()].sort((a, b) => b - a);
  let threshold = 0;
  let seen = 0;
  for (const level of levels) {
    threshold = level;
    seen += byCount.get(level) as number;
    if (seen >= k) break;
  }
  const top: Array<{ word: string; count: number }> = [];
  if (k > 0) {
    for (const [word, count] of counts) if (count >= threshold) top.push({ word, count });
  }
  top.sort((a, b) => b.count - a.count || compareCodePoints(a.word, b.word));
  top.length = Math.min(top.length, k);
  return { total_words: total, unique_words: counts.size, top };
}
