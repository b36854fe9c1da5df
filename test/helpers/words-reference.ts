/**
 * The regex word counter that src/jobs/words-counter.ts replaced, kept verbatim as the
 * reference of the differential tests: whatever it answers (invalid UTF-8 included) is
 * what the byte-level counter must answer.
 *
 * A word is a maximal run of `[\p{L}\p{M}\p{N}]`, joined across a single inner
 * apostrophe (`'` U+0027 or `’` U+2019) that is followed by more such characters,
 * lower-cased with `toLowerCase()` and never normalised.
 */
import { StringDecoder } from 'node:string_decoder';

type WordCounts = Map<string, number>;

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
export class ReferenceWordCounter {
  // StringDecoder rather than TextDecoder: TextDecoder's stream mode yields two-byte
  // strings even for ASCII, which halves regex speed.
  readonly #decoder = new StringDecoder('utf8');
  readonly #re = new RegExp(WORD_SOURCE, 'gu');
  readonly #counts: WordCounts = new Map();
  #carry = '';
  #ended = false;

  push(chunk: Uint8Array): void {
    if (this.#ended) throw new Error('ReferenceWordCounter: push() after end()');
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
export function referenceCountWords(bytes: Uint8Array): WordCounts {
  const counter = new ReferenceWordCounter();
  counter.push(bytes);
  return counter.end();
}
