/**
 * The word rule of SPEC §4 and the word-count map helpers shared by the worker
 * (counting) and the dispatcher (merging, formatting). The counter itself is
 * words-counter.ts.
 */

import { type HttpError, httpError } from '../common/errors.js';

/** The 413 for a word longer than `maxWordBytes` (the worker's counter and both cutters throw it). */
export function wordTooLong(maxWordBytes: number): HttpError {
  return httpError('PAYLOAD_TOO_LARGE', `a word is longer than ${maxWordBytes} bytes (--max-word-bytes)`);
}

/** The 413 for a text of more than `maxDistinctWords` distinct words (worker and dispatcher). */
export function tooManyWords(maxDistinctWords: number): HttpError {
  return httpError('PAYLOAD_TOO_LARGE', `the text has more than ${maxDistinctWords} distinct words (--max-distinct-words)`);
}

/** Word → count. */
export type WordCounts = Map<string, number>;

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

const SURROGATE = /[\ud800-\udfff]/;
const E000_FFFF = /[\ue000-\uffff]/;

function nativeCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Words sorted in code-point order. Native comparison gives it unless some word holds a
 * surrogate and some word a unit in U+E000–U+FFFF (the only units UTF-16 order misplaces),
 * which is rare: ordinary text sorts natively.
 */
export function sortWords(words: string[]): string[] {
  const simple = !words.some((w) => SURROGATE.test(w)) || !words.some((w) => E000_FFFF.test(w));
  return words.sort(simple ? nativeCompare : compareCodePoints);
}

/** A word JSON.stringify() would escape (a quote, a backslash, a control or surrogate unit) or quote otherwise than as is. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * The SPEC §4 response as UTF-8: a JSON object with keys in code-point order. Built by hand
 * because a JS object would move integer-like keys ("42") to the front, and as bytes because
 * a string per entry and a join cost more than the sort (50 000 words: ≈ 50 → 20 ms).
 */
export function countsToJsonBytes(counts: WordCounts): Buffer {
  const words = sortWords([...counts.keys()]);
  let out = Buffer.allocUnsafe(words.length * 24 + 2);
  let at = 0;
  out[at++] = 0x7b; // {
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const quoted = NEEDS_ESCAPE.test(word) ? JSON.stringify(word) : undefined;
    // At most 3 bytes per UTF-16 unit, 6 for an escaped one; a count has at most 16 digits.
    const room = 6 * (quoted ?? word).length + 24;
    if (at + room > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * out.length, at + room));
      out.copy(bigger, 0, 0, at);
      out = bigger;
    }
    if (i > 0) out[at++] = 0x2c; // ,
    if (quoted === undefined) {
      out[at++] = 0x22; // "
      at += out.write(word, at);
      out[at++] = 0x22;
    } else at += out.write(quoted, at);
    out[at++] = 0x3a; // :
    at = writeDecimal(out, at, counts.get(word) as number);
  }
  out[at++] = 0x7d; // }
  return out.subarray(0, at);
}

/** countsToJsonBytes() as a string. */
export function countsToJson(counts: WordCounts): string {
  return countsToJsonBytes(counts).toString('utf8');
}

/** Writes the non-negative integer `n` (below 2⁵³) in decimal at `at`; returns the end. */
export function writeDecimal(out: Uint8Array, at: number, n: number): number {
  let digits = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
  for (let i = at + digits - 1, m = n; i >= at; i--, m = Math.floor(m / 10)) out[i] = 0x30 + (m % 10);
  return at + digits;
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
