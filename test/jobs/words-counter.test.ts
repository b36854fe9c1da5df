/**
 * The byte-level counter against the regex counter it replaced (test/helpers/words-reference.ts):
 * random Unicode and invalid UTF-8, whole, pushed in two pieces at every split point, and
 * cut by the chunker into the batches the worker counts one by one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WordChunker } from '../../src/jobs/word-chunker.js';
import { isWordCodePoint } from '../../src/jobs/words-classes.js';
import { WordCounter, countWords, countWordsInto } from '../../src/jobs/words-counter.js';
import type { WordCounts } from '../../src/jobs/words.js';
import { type PackedCounts, WordTable } from '../../src/jobs/words-table.js';
import { referenceCountWords } from '../helpers/words-reference.js';
import { textBytes as input } from '../helpers/word-inputs.js';

const sorted = (m: WordCounts): Array<[string, number]> => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** One complete text counted in a table of its own and packed, as a compute thread hands counts back. */
function countPacked(bytes: Uint8Array): PackedCounts {
  const table = new WordTable();
  countWordsInto(bytes, table);
  return table.pack();
}

/** The worker's path: chunker batches, each counted whole in packed form, added up as bytes. */
function countBatched(bytes: Uint8Array, targetBytes: number): WordCounts {
  const chunker = new WordChunker({ targetBytes });
  const total = new WordTable();
  for (const batch of chunker.push(bytes)) total.addPacked(countPacked(batch));
  const last = chunker.end();
  if (last !== null) total.addPacked(countPacked(last));
  return total.toMap();
}

function checkAllSplits(bytes: Buffer): void {
  const expected = sorted(referenceCountWords(bytes));
  assert.deepEqual(sorted(countWords(bytes)), expected, 'whole');
  for (let i = 0; i <= bytes.length; i++) {
    const c = new WordCounter();
    c.push(bytes.subarray(0, i));
    c.push(bytes.subarray(i));
    assert.deepEqual(sorted(c.end()), expected, `split at ${i}`);
  }
  for (const target of [1, 2, 5, 13]) assert.deepEqual(sorted(countBatched(bytes, target)), expected, `batches of ${target}`);
}

test('the membership test equals the regex on every code point', () => {
  const re = /^[\p{L}\p{M}\p{N}]$/u;
  for (let cp = 0; cp < 0x110000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (isWordCodePoint(cp) !== re.test(String.fromCodePoint(cp))) assert.fail(`U+${cp.toString(16)}`);
  }
});

test('hand-picked cases: apostrophes, case, final sigma, İ, marks, invalid UTF-8', () => {
  for (const text of [
    "Don't stop dogs' bones a''b 'tis rock’n’roll The the THE hello-world 42x 3.14",
    "café cafe\u0301 ÉCOLE École école ΟΔΟΣ ΑΣ'.Β ΑΣ'Β ΑΣ’Σ İstanbul İİ ǅemal ß ẞ ﬃ µ",
    '中文 日本語😀ok 👍🏽 👨‍👩‍👧 𝔘𝔫𝔦 ٣٤ x² Ⅻ ～😀 \u00a0y\u2003z\ufeffw',
    "end' 'start ’q’ x’ ’",
  ]) {
    checkAllSplits(Buffer.from(text));
  }
  const invalid = Buffer.from([
    0x61, 0xff, 0x62, 0xc3, 0x63, 0xe2, 0x80, 0x20, 0xed, 0xa0, 0x80, 0x41, 0xc0, 0xaf, 0x42, 0xe0, 0x80, 0xaf, 0x43, 0xf4, 0x90, 0x80,
    0x80, 0x44, 0x27, 0xe2, 0x80, 0x45, 0xe2, 0x80, 0x99, 0xc3, 0xa9, 0xf0, 0x9f, 0x98,
  ]);
  checkAllSplits(invalid);
});

test('a word split over many pushes, and pushes of one byte', () => {
  const bytes = Buffer.from(`${'Σ'.repeat(50)}’${'a'.repeat(40)} ${'é'.repeat(30)}`);
  const c = new WordCounter();
  for (const b of bytes) c.push(Uint8Array.of(b));
  assert.deepEqual(sorted(c.end()), sorted(referenceCountWords(bytes)));
});

test('many distinct words (the table grows) and long words', () => {
  const words: string[] = [];
  for (let i = 0; i < 20_000; i++) words.push(`w${i.toString(36)}Ä${i % 7 === 0 ? 'x'.repeat(i % 300) : ''}`);
  const bytes = Buffer.from(`${words.join(' ')} ${words.slice(0, 5000).join(' ').toUpperCase()}`);
  const got = countWords(bytes);
  const expected = sorted(referenceCountWords(bytes));
  assert.deepEqual(sorted(got), expected);
  // Batches that share words: counts added into words already in the total table.
  assert.deepEqual(sorted(countBatched(bytes, 64 * 1024)), expected);
});

test('keys around the short-key length: equal last bytes, prefixes, case, apostrophes, multi-byte', () => {
  const words = [
    'abcdefgh',
    'xabcdefgh',
    'yxabcdefgh',
    'abcdefg',
    'bcdefgh',
    'ABCDEFGH',
    'zzzzefgh',
    "ab'cdefg",
    "ab'cdefgh",
    'é',
    'éé',
    'ééee',
    'éééé',
    'ééééé',
    'Éééé',
  ];
  const bytes = Buffer.from(words.map((w, i) => `${w} `.repeat(i + 1)).join('\n'));
  assert.deepEqual(sorted(countWords(bytes)), sorted(referenceCountWords(bytes)));
  assert.deepEqual(sorted(countBatched(bytes, 7)), sorted(referenceCountWords(bytes)));
});

test('a table tells keys apart by their bytes when their hashes collide', () => {
  // Every key gets the same hash: only the packed bytes (short keys) or the stored bytes
  // (longer ones) can keep them apart.
  const keys = ['abcdefgh', 'zzzzefgh', 'abcdzzzz', 'efgh', 'abcdefghi', 'zbcdefghi', 'a', 'b'];
  const table = new WordTable();
  for (let round = 1; round <= 3; round++) {
    for (const key of keys) {
      const buf = Buffer.from(key);
      let lo = 0;
      let hi = 0;
      for (const b of buf) {
        hi = (hi << 8) | (lo >>> 24);
        lo = (lo << 8) | b;
      }
      if (buf.length > 8) lo = hi = 0;
      table.add(buf, 0, buf.length, 42, lo, hi);
    }
  }
  assert.deepEqual(sorted(table.toMap()), sorted(new Map(keys.map((k) => [k, 3]))));
  // And the same through pack/addPacked, whose side recomputes the packed bytes.
  const total = new WordTable();
  total.addPacked(table.pack());
  total.addPacked(table.pack());
  assert.deepEqual(sorted(total.toMap()), sorted(new Map(keys.map((k) => [k, 6]))));
});

/** Groups of pieces, space-separated (the space itself is added below). */
test('packed counts add up in the receiving table, whatever the case of non-ASCII spellings', () => {
  const total = new WordTable();
  for (let i = 0; i < 3; i++) total.addPacked(countPacked(Buffer.from('The the café CAFÉ Café ΣΟΦΟΣ x')));
  assert.deepEqual(sorted(total.toMap()), [
    ['café', 9],
    ['the', 6],
    ['x', 3],
    ['σοφος', 3],
  ]);
  const packed = countPacked(Buffer.from('b a b'));
  assert.deepEqual([Buffer.from(packed.words).toString(), [...packed.counts]], ['b a ', [2, 1]]);
  assert.equal(new WordTable().toMap().size, 0);
});

test('property: equal to the reference, whole, at every split point and in chunker batches', () => {
  fc.assert(
    fc.property(input, (bytes) => {
      checkAllSplits(bytes);
    }),
    { numRuns: 3000 },
  );
});

test('property: random pushes of random sizes', () => {
  fc.assert(
    fc.property(input, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 }), (bytes, sizes) => {
      const c = new WordCounter();
      let at = 0;
      for (let k = 0; at < bytes.length; k++) {
        const size = sizes[k % sizes.length];
        c.push(bytes.subarray(at, at + size));
        at += size;
      }
      assert.deepEqual(sorted(c.end()), sorted(referenceCountWords(bytes)));
    }),
    { numRuns: 1000 },
  );
});
