/**
 * The compute threads' WebAssembly counter (src/jobs/words-wasm.ts) against the JavaScript
 * scanner and table it mirrors (the same packed bytes, hashes and counts, in the same order)
 * and the regex reference; its word-length limit at the edge; its memory across sessions; a
 * count carried past 2^32; and the module it ships against the compile of words.wat and words-scan.wat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { HttpError } from '../../src/common/errors.js';
import { WordChunker } from '../../src/jobs/word-chunker.js';
import { ASCII_WORD, countWordsInto } from '../../src/jobs/words-counter.js';
import { FOLD, type PackedCounts, WordTable } from '../../src/jobs/words-table.js';
import { WasmWordTable } from '../../src/jobs/words-wasm.js';
import { WORDS_WASM_BASE64 } from '../../src/jobs/words-wasm-binary.js';
import type { WordCounts } from '../../src/jobs/words.js';
import { textBytes } from '../helpers/word-inputs.js';
import { PROJECT_ROOT } from '../helpers/processes.js';
import { referenceCountWords } from '../helpers/words-reference.js';

const sorted = (m: WordCounts): Array<[string, number]> => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** Packs as plain values, so that assert.deepEqual compares every byte, hash and count. */
const plain = (p: PackedCounts): [string, number[], number[]] => [Buffer.from(p.words).toString('latin1'), [...p.hashes], [...p.counts]];

function jsPacked(texts: readonly Uint8Array[]): PackedCounts {
  const table = new WordTable();
  for (const t of texts) countWordsInto(t, table);
  return table.pack();
}

/** One counter for every test, reset for each, as a compute thread keeps one for every session. */
const wasm = new WasmWordTable();

function wasmPacked(texts: readonly Uint8Array[]): PackedCounts {
  wasm.reset();
  for (const t of texts) wasm.count(t);
  return wasm.pack();
}

/** The worker's path: chunker batches, all counted in one session's table, added up on the main thread. */
function countSession(bytes: Uint8Array, targetBytes: number): WordCounts {
  const chunker = new WordChunker({ targetBytes });
  const batches = [...chunker.push(bytes)];
  const last = chunker.end();
  if (last !== null) batches.push(last);
  const total = new WordTable();
  total.addPacked(wasmPacked(batches));
  return total.toMap();
}

test('the shipped module is the compile of words.wat and words-scan.wat', () => {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('scripts/build-wasm.mjs', PROJECT_ROOT)), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('property: packs what the JavaScript table packs, and counts what the reference counts', () => {
  fc.assert(
    fc.property(textBytes, textBytes, (a, b) => {
      assert.deepEqual(plain(wasmPacked([a, b])), plain(jsPacked([a, b])));
      const expected = sorted(referenceCountWords(a));
      for (const target of [1, 3, 64]) assert.deepEqual(sorted(countSession(a, target)), expected, `batches of ${target}`);
    }),
    { numRuns: 2000 },
  );
});

test('hand-picked texts: apostrophes, case, final sigma, İ, marks, astral letters, invalid UTF-8', () => {
  const texts = [
    "Don't stop dogs' bones a''b 'tis rock’n’roll The the THE hello-world 42x 3.14",
    "café cafe\u0301 ÉCOLE École école ΟΔΟΣ ΑΣ'.Β ΑΣ'Β ΑΣ’Σ İstanbul İİ ǅemal ß ẞ ﬃ µ",
    '中文 日本語😀ok 👍🏽 👨‍👩‍👧 𝔘𝔫𝔦 𝒳𝒴 ٣٤ x² Ⅻ ～😀 \u00a0y\u2003z\ufeffw',
    "end' 'start ’q’ x’ ’ abcdefgh abcdefghi ABCDEFGHI Éééé ééééé",
  ].map((t) => Buffer.from(t));
  texts.push(Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x63, 0xe2, 0x80, 0x20, 0xed, 0xa0, 0x80, 0x41, 0xc0, 0xaf, 0x42, 0xe0, 0x80, 0xaf]));
  texts.push(Buffer.from([0x43, 0xf4, 0x90, 0x80, 0x80, 0x44, 0x27, 0xe2, 0x80, 0x45, 0xe2, 0x80, 0x99, 0xc3, 0xa9, 0xf0, 0x9f, 0x98]));
  for (const t of texts) {
    assert.deepEqual(plain(wasmPacked([t])), plain(jsPacked([t])), t.toString());
    assert.deepEqual(sorted(countSession(t, 5)), sorted(referenceCountWords(t)), t.toString());
  }
});

test('many distinct and long words: the slots, entries and key bytes grow, and a reset forgets them', () => {
  const words: string[] = [];
  for (let i = 0; i < 30_000; i++) words.push(`w${i.toString(36)}Ä${i % 7 === 0 ? 'x'.repeat(i % 300) : ''}`);
  const text = Buffer.from(`${words.join(' ')} ${words.slice(0, 5000).join(' ').toUpperCase()}`);
  // Two texts into one table: the second adds to words the first stored.
  assert.deepEqual(plain(wasmPacked([text, text])), plain(jsPacked([text, text])));
  assert.equal(wasm.size, 30_000);
  const small = Buffer.from('b a b');
  assert.deepEqual(plain(wasmPacked([small])), ['b a ', [...jsPacked([small]).hashes], [2, 1]]);
});

test('a text larger than the input region is counted where it fits', () => {
  const words: string[] = [];
  for (let i = 0; i < 500_000; i++) words.push(`v${(i % 5000).toString(36)}`);
  const text = Buffer.from(words.join(' '));
  assert.ok(text.length > 2 * 1024 * 1024);
  assert.deepEqual(plain(wasmPacked([text, Buffer.from('tail v0')])), plain(jsPacked([text, Buffer.from('tail v0')])));
});

test('maxWordBytes: a word of exactly the limit counts, one byte more is a 413, and the words before it stay counted', () => {
  for (const [text, longest] of [
    ['aa bbbb cc', 4],
    ['x éé y', 4],
    ["z ab'c", 4],
    ['q 𝒳𝒴', 8],
  ] as const) {
    const bytes = Buffer.from(text);
    wasm.reset();
    wasm.count(bytes, longest);
    assert.deepEqual(plain(wasm.pack()), plain(jsPacked([bytes])), text);
    wasm.reset();
    assert.throws(
      () => wasm.count(bytes, longest - 1),
      (err: unknown) => err instanceof HttpError && err.status === 413 && err.message.includes(`${longest - 1} bytes`),
    );
    assert.ok(wasm.size >= 1, `${text}: the words before the long one`);
  }
  wasm.reset();
  wasm.count(Buffer.from('x'.repeat(5000)), Number.POSITIVE_INFINITY);
  assert.equal(wasm.size, 1);
});

test('memory grown by a session of very many distinct words is let go on reset', () => {
  const counter = new WasmWordTable();
  const start = counter.memoryBytes;
  const words: string[] = [];
  for (let i = 0; i < 600_000; i++) words.push(`k${i.toString(36)}`);
  counter.count(Buffer.from(words.join(' ')));
  assert.equal(counter.size, 600_000);
  assert.ok(counter.memoryBytes > 32 * 1024 * 1024, `${counter.memoryBytes} bytes`);
  counter.reset();
  assert.equal(counter.memoryBytes, start);
  counter.count(Buffer.from('one two one'));
  assert.deepEqual(plain(counter.pack()), plain(jsPacked([Buffer.from('one two one')])));
});

/** Every ASCII byte that is neither a letter, a digit nor an apostrophe (the window's range checks at their edges). */
const ASCII_SEPARATORS = Array.from({ length: 128 }, (_, b) => String.fromCharCode(b)).filter((c) => !/[A-Za-z0-9']/.test(c));

/** Mostly ASCII words of 1 to 20 bytes: the sixteen-byte path, and every way it hands a word to the byte loop. */
const asciiText = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9]{1,20}$/) },
      { weight: 3, arbitrary: fc.constantFrom(' ', ' ', ', ', '. ', '\n') },
      { weight: 2, arbitrary: fc.constantFrom(...ASCII_SEPARATORS) },
      { weight: 1, arbitrary: fc.constantFrom("'", '’', 'é', 'É', '\u0301', '中', '\u00a0', '\xff') },
    ),
    { maxLength: 60 },
  )
  .map((parts) => Buffer.from(parts.join('')));

test('property: ASCII words of every length, at every offset of the sixteen-byte window', () => {
  fc.assert(
    fc.property(asciiText, fc.nat(15), (text, skip) => {
      const t = Buffer.concat([Buffer.alloc(skip, 0x20), text]);
      assert.deepEqual(plain(wasmPacked([t])), plain(jsPacked([t])));
    }),
    { numRuns: 3000 },
  );
});

test('maxWordBytes inside a long text: the limit holds on the sixteen-byte path too', () => {
  const text = Buffer.from('aa bbbb cc dddddddddd eeee ffffff gg hhhhhhhhhhhhh ii jj kk ll mm nn oo pp');
  wasm.reset();
  wasm.count(text, 13);
  assert.deepEqual(plain(wasm.pack()), plain(jsPacked([text])));
  wasm.reset();
  assert.throws(
    () => wasm.count(text, 12),
    (err: unknown) => err instanceof HttpError && err.status === 413,
  );
  assert.equal(wasm.size, 7, 'the seven words before the long one');
  wasm.reset();
  assert.throws(
    () => wasm.count(text, 9),
    (err: unknown) => err instanceof HttpError && err.status === 413,
  );
  assert.equal(wasm.size, 3);
});

test('a count past 2^32 in a slot carries into its entry', () => {
  // The module itself, set up as words-wasm.ts sets it up, to reach a slot's count: 2^32
  // occurrences of a word would take an 8 GiB text.
  const wasmApi = (
    globalThis as unknown as {
      WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: unknown } };
    }
  ).WebAssembly;
  const x = new wasmApi.Instance(new wasmApi.Module(Buffer.from(WORDS_WASM_BASE64, 'base64')), { host: { isAstralWord: () => 0 } })
    .exports as {
    memory: { buffer: ArrayBuffer };
    init(n: number): void;
    input(n: number): number;
    scan(start: number, end: number, max: number): number;
    slots(): number;
    settle(): void;
    entries(): number;
    size(): number;
  };
  const mem = new Uint8Array(x.memory.buffer);
  mem.set(ASCII_WORD, 0);
  mem.set(FOLD, 256);
  x.init(1 << 20);
  const count = (text: string): void => {
    const bytes = Buffer.from(text);
    const at = x.input(bytes.length) >>> 0;
    new Uint8Array(x.memory.buffer).set(bytes, at);
    assert.equal(x.scan(at, at + bytes.length, -1), 0);
  };
  const entryCount = (): number => new Float64Array(x.memory.buffer, x.entries() >>> 0, 3)[2];
  count('ab');
  assert.equal(x.size(), 1);
  // Find the word's slot (entry + 1 at +8) and set its count to the last value before the wrap.
  const slots = new Uint32Array(x.memory.buffer, x.slots() >>> 0, 1024 * 4);
  let slot = -1;
  for (let s = 0; s < 1024; s++) if (slots[4 * s + 2] === 1) slot = s;
  assert.ok(slot >= 0);
  slots[4 * slot + 3] = 0xffffffff;
  count('AB ab'); // two more: the first wraps the slot to 0 and carries 2^32
  assert.equal(slots[4 * slot + 3], 1);
  x.settle();
  assert.equal(entryCount(), 2 ** 32 + 1);
  assert.equal(slots[4 * slot + 3], 0);
  count('ab');
  x.settle();
  assert.equal(entryCount(), 2 ** 32 + 2);
});
