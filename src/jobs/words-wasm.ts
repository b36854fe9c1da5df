/**
 * The compute threads' word counter: words-scan.wat, the scanner of words-counter.ts, and
 * words.wat, the table of words-table.ts, in WebAssembly (compiled once per thread, SIMD for
 * runs of ASCII), counting a batch 1.7 to 1.9 times as fast. It packs exactly what WordTable.pack() packs,
 * so the main thread adds its counts up with the same WordTable.addPacked().
 */
import { wordTooLong } from './words.js';
import { bmpWordBits, isWordCodePoint } from './words-classes.js';
import { ASCII_WORD } from './words-counter.js';
import { FOLD, type PackedCounts } from './words-table.js';
import { WORDS_WASM_BASE64 } from './words-wasm-binary.js';

/** The part of the WebAssembly global used here (this project's Node types do not declare it). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const wasm = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

interface WordsExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  init(inputBytes: number): void;
  reset(): void;
  /** Moves the counts kept in the table's slots into its entries. */
  settle(): void;
  input(bytes: number): number;
  scan(start: number, end: number, maxWord: number): number;
  size(): number;
  used(): number;
  arena(): number;
  entries(): number;
}

/** Memory layout shared with words.wat. */
const FOLDED_AT = 0;
const FOLD_AT = 256;
const BMP_AT = 1024;
const ENTRY_BYTES = 24;
/** Input bytes with a place of their own: a default batch (1 MiB) and some. Larger inputs go above the table. */
const INPUT_BYTES = 1024 * 1024 + 64 * 1024;
/**
 * Memory past this (≈ 19 MiB are the input region and the table's reserves, untouched until
 * used) means a table that outgrew its reserves or a very large batch: it gets fresh memory on
 * reset, since wasm memory never shrinks.
 */
const KEEP_MEMORY = 32 * 1024 * 1024;

let compiled: object | undefined;

function instantiate(): WordsExports {
  compiled ??= new wasm.Module(Buffer.from(WORDS_WASM_BASE64, 'base64'));
  const host = { isAstralWord: (cp: number): number => (isWordCodePoint(cp) ? 1 : 0) };
  const x = new wasm.Instance(compiled, { host }).exports as WordsExports;
  const mem = new Uint8Array(x.memory.buffer);
  mem.set(ASCII_WORD, FOLDED_AT);
  mem.set(FOLD, FOLD_AT);
  const bits = bmpWordBits();
  mem.set(new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength), BMP_AT);
  x.init(INPUT_BYTES);
  return x;
}

export class WasmWordTable {
  #x = instantiate();

  /** Distinct words counted since the last reset. */
  get size(): number {
    return this.#x.size();
  }

  /** Bytes of memory the counter holds (for tests of its bound). */
  get memoryBytes(): number {
    return this.#x.memory.buffer.byteLength;
  }

  /**
   * Adds the words of one complete UTF-8 text; a word longer than `maxWordBytes` throws
   * wordTooLong() (the words before it are counted).
   */
  count(bytes: Uint8Array, maxWordBytes = Number.POSITIVE_INFINITY): void {
    const x = this.#x;
    const at = x.input(bytes.length) >>> 0;
    new Uint8Array(x.memory.buffer, at, bytes.length).set(bytes);
    // scan() compares lengths unsigned: -1 is "no limit".
    const max = maxWordBytes < 0xffffffff ? maxWordBytes : -1;
    if (x.scan(at, at + bytes.length, max) !== 0) throw wordTooLong(maxWordBytes);
  }

  /** The counts as bytes, as WordTable.pack() gives them (a copy: the table is reused). */
  pack(): PackedCounts {
    const x = this.#x;
    x.settle();
    const n = x.size();
    const memory = x.memory.buffer;
    // Entries start 16-byte aligned; a hash is their third int, a count their third double.
    const ints = new Int32Array(memory, x.entries() >>> 0, (n * ENTRY_BYTES) / 4);
    const doubles = new Float64Array(memory, x.entries() >>> 0, (n * ENTRY_BYTES) / 8);
    const hashes = new Int32Array(n);
    const counts = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      hashes[k] = ints[6 * k + 2];
      counts[k] = doubles[3 * k + 2];
    }
    return { words: new Uint8Array(memory, x.arena() >>> 0, x.used()).slice(), hashes, counts };
  }

  /** Empties the table; memory grown past KEEP_MEMORY is let go. */
  reset(): void {
    if (this.#x.memory.buffer.byteLength > KEEP_MEMORY) this.#x = instantiate();
    else this.#x.reset();
  }
}
