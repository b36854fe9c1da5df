/**
 * Word counts between a worker and the dispatcher: `word count\n` lines, UTF-8 (media type
 * WORD_LINES_TYPE), asked for by the dispatcher for each chunk of a job. A worker writes them
 * straight from its table (WordTable.lines()) and the dispatcher adds them into its own by
 * their bytes: neither makes a string per word, sorts, or writes and parses JSON for each of
 * a job's chunks (that cost more than counting them). The text is from a worker, so it is
 * checked whole before anything is added.
 */
import type { WordTable } from './words-table.js';

export const WORD_LINES_TYPE = 'application/vnd.dhttp.word-counts';

/** Checked lines: the i-th word is `bytes[starts[i], ends[i])`, counted `counts[i]` times. */
export interface WordLines {
  readonly bytes: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly counts: Float64Array;
}

/** A count has at most 15 digits, so it is a safe integer. */
const MAX_DIGITS = 15;

/**
 * The lines of `bytes`, or undefined unless every line is a word (bytes above the space),
 * one space, and a count (a decimal integer ≥ 1 without leading zeros), ended by `\n`.
 */
export function parseWordLines(bytes: Uint8Array): WordLines | undefined {
  const n = bytes.length;
  let lines = 0;
  for (let i = 0; i < n; i++) if (bytes[i] === 0x0a) lines++;
  const starts = new Int32Array(lines);
  const ends = new Int32Array(lines);
  const counts = new Float64Array(lines);
  let i = 0;
  for (let k = 0; k < lines; k++) {
    const start = i;
    while (i < n && bytes[i] > 0x20) i++;
    if (i === start || i >= n || bytes[i] !== 0x20) return undefined;
    ends[k] = i;
    starts[k] = start;
    i++;
    const digits = i;
    let count = 0;
    while (i < n && bytes[i] >= 0x30 && bytes[i] <= 0x39) count = count * 10 + (bytes[i++] - 0x30);
    if (i === digits || i - digits > MAX_DIGITS || bytes[digits] === 0x30 || i >= n || bytes[i] !== 0x0a) return undefined;
    counts[k] = count;
    i++;
  }
  return i === n ? { bytes, starts, ends, counts } : undefined;
}

/** Adds checked lines into `table`. */
export function addWordLines(table: WordTable, lines: WordLines): void {
  const { bytes, starts, ends, counts } = lines;
  for (let k = 0; k < counts.length; k++) table.addKey(bytes, starts[k], ends[k], counts[k]);
}
