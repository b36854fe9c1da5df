/**
 * Cuts a byte stream into batches at word boundaries (SPEC §4), as WordChunker does, but
 * copies each piece once, straight into the memory a batch is sent in: memory the caller
 * hands out (`allocate`) and gets back with each batch, so a stream of any size costs the
 * same few buffers and one copy of its bytes. (WordChunker joins pieces into fresh buffers,
 * which a caller that moves batches to other threads must copy again.)
 *
 * A batch fills its memory, then ends at the last boundary in it; the bytes after that
 * boundary (the start of a word) begin the next batch. A word longer than the memory grows
 * it (twice the size, as often as needed) until a boundary or the end of the stream, or
 * until the bytes without a cut show a word longer than `maxWordBytes` (see RUN_SLACK):
 * then push throws wordTooLong(), so memory stays under twice that whatever the input.
 */
import { findCut, maxWordOption, RUN_SLACK } from './word-chunker.js';
import { wordTooLong } from './words.js';

const EMPTY = new Uint8Array(0);

export interface WordBatcherOptions {
  /** Memory of a batch, the usual batch size. */
  readonly batchBytes: number;
  /** Memory of at least `size` bytes (`batchBytes` for all but long words). */
  readonly allocate: (size: number) => ArrayBuffer;
  /** The longest word accepted. @default Infinity */
  readonly maxWordBytes?: number;
}

export class WordBatcher {
  readonly #size: number;
  readonly #allocate: (size: number) => ArrayBuffer;
  readonly #maxWord: number;
  #memory: Uint8Array | null = null;
  #used = 0;
  /** Leading bytes of #memory known to hold no boundary; a decoder-initial position. */
  #scanned = 0;
  /** Bytes after the last cut, for the next batch's memory. */
  #pendingTail: Uint8Array = EMPTY;

  constructor(options: WordBatcherOptions) {
    const { batchBytes } = options;
    if (!Number.isSafeInteger(batchBytes) || batchBytes < 1) {
      throw new RangeError(`WordBatcher: batchBytes must be an integer >= 1 (got ${batchBytes})`);
    }
    this.#size = batchBytes;
    this.#allocate = options.allocate;
    this.#maxWord = maxWordOption('WordBatcher', options.maxWordBytes);
  }

  /**
   * Copies `bytes` in, yielding each batch it completes: a view from the start of its
   * memory, which then belongs to the caller. Lazy: the next batch's memory is asked for
   * only when the caller takes the next one (memory handed back meanwhile is used again),
   * and `bytes` is read until the last batch is taken.
   */
  *push(bytes: Uint8Array): Generator<Uint8Array, void, undefined> {
    let p = 0;
    while (p < bytes.length) {
      const memory = (this.#memory ??= this.#next());
      const n = Math.min(memory.length - this.#used, bytes.length - p);
      memory.set(n === bytes.length ? bytes : bytes.subarray(p, p + n), this.#used);
      this.#used += n;
      p += n;
      if (this.#used === memory.length) {
        const batch = this.#full(memory);
        if (batch !== null) yield batch;
      }
    }
  }

  /** The rest as a last batch, or null when nothing is left. */
  end(): Uint8Array | null {
    const memory = this.#memory ?? (this.#pendingTail.length > 0 ? this.#next() : null);
    const used = this.#used;
    this.#memory = null;
    this.#used = 0;
    this.#scanned = 0;
    return memory !== null && used > 0 ? memory.subarray(0, used) : null;
  }

  /**
   * Full memory: returns the batch up to its last boundary; the rest is kept to start the
   * next one. Null when one word fills it: the memory grows.
   */
  #full(memory: Uint8Array): Uint8Array | null {
    const used = this.#used;
    const cut = findCut(memory, this.#scanned, used);
    if (cut < 0) {
      if (used > this.#maxWord + RUN_SLACK) throw wordTooLong(this.#maxWord);
      // More room, and the next search starts where this one stopped.
      this.#scanned = -cut - 1;
      const bigger = this.#fresh(memory.length * 2);
      bigger.set(memory);
      this.#memory = bigger;
      return null;
    }
    // The bytes after the last cut are one run when the ASCII search found the cut and no
    // other separator follows it: too long a run is refused now, before the next memory
    // doubles for it.
    if (used - cut > this.#maxWord + RUN_SLACK && findCut(memory, cut, used) < 0) throw wordTooLong(this.#maxWord);
    // The start of the word after the cut waits in a small buffer of its own until the
    // caller takes this batch and the next memory is asked for (see push).
    this.#memory = null;
    this.#pendingTail = memory.slice(cut, used);
    this.#used = 0;
    this.#scanned = 0;
    return memory.subarray(0, cut);
  }

  /** Memory for the next batch, starting with the bytes the last cut left over. */
  #next(): Uint8Array {
    const tail = this.#pendingTail;
    this.#pendingTail = EMPTY;
    const memory = this.#fresh(Math.max(this.#size, tail.length * 2));
    memory.set(tail);
    this.#used = tail.length;
    return memory;
  }

  #fresh(size: number): Uint8Array {
    const memory = this.#allocate(size);
    if (memory.byteLength < size) throw new RangeError(`WordBatcher: allocate(${size}) gave ${memory.byteLength} bytes`);
    return new Uint8Array(memory, 0, size);
  }
}
