/**
 * WordBatcher: batches that add up to the input, cut only where counting each on its own
 * and summing gives the whole text's counts, in memory the caller hands out and reuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HttpError } from '../../src/common/errors.js';
import { WordBatcher } from '../../src/jobs/word-batcher.js';
import { RUN_SLACK } from '../../src/jobs/word-chunker.js';
import { countWords, countWordsInto } from '../../src/jobs/words-counter.js';
import { WordTable } from '../../src/jobs/words-table.js';
import type { WordCounts } from '../../src/jobs/words.js';

const sorted = (m: WordCounts): Array<[string, number]> => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

function sum(parts: Uint8Array[]): WordCounts {
  const total: WordCounts = new Map();
  for (const p of parts) for (const [w, n] of countWords(p)) total.set(w, (total.get(w) ?? 0) + n);
  return total;
}

/** Batches of `input` pushed in `pieces`, each batch's memory checked to come from allocate. */
function batches(input: Buffer, pieceSizes: number[], batchBytes: number, maxWordBytes?: number, sizes: number[] = []): Uint8Array[] {
  const given = new Set<ArrayBuffer>();
  const batcher = new WordBatcher({
    batchBytes,
    maxWordBytes,
    allocate: (size) => {
      const m = new ArrayBuffer(size);
      given.add(m);
      sizes.push(size);
      return m;
    },
  });
  const out: Uint8Array[] = [];
  let at = 0;
  for (let k = 0; at < input.length; k++) {
    const size = pieceSizes[k % pieceSizes.length];
    for (const b of batcher.push(input.subarray(at, at + size))) out.push(b);
    at += size;
  }
  const last = batcher.end();
  if (last !== null) out.push(last);
  for (const b of out) {
    assert.ok(given.has(b.buffer as ArrayBuffer) && b.byteOffset === 0, 'a batch starts its own memory');
    assert.ok(b.length > 0);
  }
  return out;
}

const PIECES = ['a', 'Word', 'café', 'ΣΟΦΟΣ', '中文', 'ก', "it's", 'x’y', ' ', ' ', '\n', '、', '\u3000', '.', "'", '’', '\u0301'];
const piece = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...PIECES).map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }).map((n) => Buffer.from('w'.repeat(n))) },
);
const input = fc.array(piece, { maxLength: 60 }).map((ps) => Buffer.concat(ps));

test('property: batches join to the input and count like it, for any pieces and batch size', () => {
  fc.assert(
    fc.property(
      input,
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 10 }),
      fc.integer({ min: 1, max: 13 }),
      (bytes, sizes, batchBytes) => {
        const out = batches(bytes, sizes, batchBytes);
        assert.deepEqual(Buffer.concat(out), bytes);
        assert.deepEqual(sorted(sum(out)), sorted(countWords(bytes)));
      },
    ),
    { numRuns: 3000 },
  );
});

const refused = (err: unknown): boolean => err instanceof HttpError && err.status === 413;

test('property: with maxWordBytes, only a text the counter refuses is refused, and memory stays bounded', () => {
  fc.assert(
    fc.property(
      input,
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 10 }),
      fc.integer({ min: 1, max: 13 }),
      fc.integer({ min: 1, max: 30 }),
      (bytes, pieceSizes, batchBytes, maxWordBytes) => {
        const sizes: number[] = [];
        let out: Uint8Array[];
        try {
          out = batches(bytes, pieceSizes, batchBytes, maxWordBytes, sizes);
        } catch (err) {
          assert.ok(refused(err), String(err));
          assert.throws(() => countWordsInto(bytes, new WordTable(), maxWordBytes), refused, 'refused, yet the counter takes it');
          return;
        }
        assert.deepEqual(Buffer.concat(out), bytes);
        // Grown only while a run is within the limit; a batch's leftover run starts the next at twice its size.
        for (const size of sizes) assert.ok(size <= Math.max(2 * batchBytes, 4 * (maxWordBytes + RUN_SLACK)), `memory of ${size}`);
      },
    ),
    { numRuns: 3000 },
  );
});

test('a long word after the last cut of a full batch is refused before the next memory doubles for it', () => {
  // Found by the property above: `00`, an invalid byte, then one run of 21 bytes ("x’y一𐀀𐀀aa’").
  const bytes = Buffer.from([
    0, 128, 120, 226, 128, 153, 121, 228, 184, 128, 240, 144, 128, 128, 240, 144, 128, 128, 97, 97, 226, 128, 153,
  ]);
  const sizes: number[] = [];
  assert.throws(() => batches(bytes, [1], 12, 1, sizes), refused);
  assert.throws(() => countWordsInto(bytes, new WordTable(), 1), refused, 'the counter refuses it too');
  assert.ok(Math.max(...sizes) <= 4 * (1 + RUN_SLACK), `memory of ${sizes}`);
  // After the last ASCII cut, separators that only a decoder finds (、) end every word at 3
  // bytes: 24 bytes there are no long word, and the text is kept.
  const cjk = Buffer.from('a 一、一、一、一、');
  assert.equal(cjk.length, 26);
  assert.deepEqual(Buffer.concat(batches(cjk, [1], 26, 3)), cjk);
  assert.doesNotThrow(() => countWordsInto(cjk, new WordTable(), 3));
});

test('a long word is refused once it passes maxWordBytes + RUN_SLACK, before its memory grows further', () => {
  const sizes: number[] = [];
  let pushed = 0;
  const batcher = new WordBatcher({
    batchBytes: 4096,
    maxWordBytes: 100_000,
    allocate: (size) => {
      sizes.push(size);
      return new ArrayBuffer(size);
    },
  });
  const piece = Buffer.alloc(65_536, 'a');
  assert.throws(() => {
    for (; pushed < 100e6; pushed += piece.length) for (const _ of batcher.push(piece));
  }, refused);
  assert.ok(pushed <= 200_000, `${pushed} bytes taken`);
  assert.ok(Math.max(...sizes) <= 2 * (100_000 + RUN_SLACK), `memory of ${Math.max(...sizes)}`);
});

test('a batch fills its memory up to the last boundary; a long word grows it', () => {
  const out = batches(Buffer.from(`ab cd ef ${'x'.repeat(30)} gh`), [4], 8);
  assert.deepEqual(
    out.map((b) => Buffer.from(b).toString()),
    // "ef xxxxx" fills the second: cut after "ef "; the x's grow their memory until the end.
    ['ab cd ', 'ef ', `${'x'.repeat(30)} gh`],
  );
});

test('memory handed back before the next batch is taken is used again: one copy, a few buffers', () => {
  const spare: ArrayBuffer[] = [];
  let made = 0;
  const batcher = new WordBatcher({
    batchBytes: 4096,
    allocate: (size) => {
      const m = size === 4096 ? spare.pop() : undefined;
      if (m !== undefined) return m;
      made++;
      return new ArrayBuffer(size);
    },
  });
  const text = Buffer.from('lorem ipsum dolor sit amet '.repeat(40_000)); // ≈ 1 MB
  let bytes = 0;
  for (let at = 0; at < text.length; at += 65_536) {
    for (const b of batcher.push(text.subarray(at, at + 65_536))) {
      bytes += b.length;
      spare.push(b.buffer as ArrayBuffer); // the consumer is done with it
    }
  }
  bytes += batcher.end()?.length ?? 0;
  assert.equal(bytes, text.length);
  assert.ok(made <= 2, `buffers made: ${made}`);
});

test('batchBytes and maxWordBytes are checked', () => {
  assert.throws(() => new WordBatcher({ batchBytes: 0, allocate: (n) => new ArrayBuffer(n) }), RangeError);
  assert.throws(() => new WordBatcher({ batchBytes: 1, maxWordBytes: 0, allocate: (n) => new ArrayBuffer(n) }), /maxWordBytes/);
});
