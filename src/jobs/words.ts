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
