/**
 * WordTable.json() against the answer it replaces on the worker, countsToJsonBytes(toMap()):
 * byte for byte over random keys (ASCII in both cases, other scripts whose lower-casing merges
 * keys, astral characters, invalid UTF-8, bytes JSON escapes, NUL) and random counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { countsToJsonBytes } from '../../src/jobs/words.js';
import { WordTable } from '../../src/jobs/words-table.js';

/** Pieces a key is made of: each a byte string, so keys can share prefixes and merge once lower-cased. */
const PIECES: readonly Buffer[] = [
  ...['a', 'b', 'Z', 'é', 'É', 'ß', 'ẞ', 'İ', 'i', 'Σ', 'ς', 'σ', 'ﬃ', '中', '😀', '\uFF5E', '\uE000', '"', '\\', '\t', '\u007F', '0'].map(
    (s) => Buffer.from(s),
  ),
  Buffer.from([0x00]),
  Buffer.from([0xc3]), // a lead byte without its continuation
  Buffer.from([0xed, 0xa0, 0x80]), // a surrogate encoded: invalid UTF-8
  Buffer.from([0xff]),
  Buffer.from([0x80]),
];

const key = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 6 }).map((parts) => Buffer.concat(parts));
const entries = fc.array(fc.tuple(key, fc.integer({ min: 1, max: 2 ** 40 })), { maxLength: 60 });

function tableOf(list: ReadonlyArray<readonly [Buffer, number]>): WordTable {
  const table = new WordTable();
  for (const [bytes, count] of list) table.addKey(bytes, 0, bytes.length, count);
  return table;
}

test('json() writes the bytes countsToJsonBytes(toMap()) writes', () => {
  fc.assert(
    fc.property(entries, (list) => {
      const table = tableOf(list);
      assert.deepEqual(table.json(), countsToJsonBytes(table.toMap()));
    }),
    { numRuns: 3000 },
  );
});

test('json(): keys that lower-case alike are one key, their counts added', () => {
  const table = tableOf([
    [Buffer.from('CAFÉ'), 2],
    [Buffer.from('café'), 3],
    [Buffer.from('a'), 1],
    [Buffer.from('a\u0000'), 4],
    [Buffer.from('😀'), 5],
    [Buffer.from('\uFF5E'), 6],
  ]);
  assert.equal(table.json().toString(), '{"a":1,"a\\u0000":4,"café":5,"～":6,"😀":5}');
});

test('json() of an empty table is {}', () => {
  assert.equal(new WordTable().json().toString(), '{}');
});
