/**
 * Word-count lines (src/jobs/word-lines.ts), the answer a worker gives the dispatcher for a
 * chunk: written from a table and added into another, they give the counts the reference
 * gives; a text that is not exactly such lines is refused whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addWordLines, parseWordLines } from '../../src/jobs/word-lines.js';
import { countWordsInto } from '../../src/jobs/words-counter.js';
import { WordTable } from '../../src/jobs/words-table.js';
import type { WordCounts } from '../../src/jobs/words.js';
import { textBytes } from '../helpers/word-inputs.js';
import { referenceCountWords } from '../helpers/words-reference.js';

const sorted = (m: WordCounts): Array<[string, number]> => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** Counts each text in a table of its own (as workers count chunks), adds their lines into one. */
function throughLines(texts: readonly Uint8Array[]): WordCounts {
  const total = new WordTable();
  for (const text of texts) {
    const table = new WordTable();
    countWordsInto(text, table);
    const lines = parseWordLines(table.lines());
    assert.ok(lines !== undefined, 'a table writes lines that parse');
    addWordLines(total, lines);
  }
  return total.toMap();
}

test('property: counts written as lines by chunk and added up are the reference counts', () => {
  fc.assert(
    fc.property(fc.array(textBytes, { minLength: 1, maxLength: 4 }), (texts) => {
      assert.deepEqual(
        sorted(throughLines(texts)),
        sorted(referenceCountWords(Buffer.concat(texts.map((t) => Buffer.concat([t, Buffer.from(' ')]))))),
      );
    }),
    { numRuns: 1500 },
  );
});

test('lines hold lower-cased words; spellings that lower-case alike are added up by the reader', () => {
  const table = new WordTable();
  countWordsInto(Buffer.from('The the CAFÉ café İstanbul x x x'), table);
  const text = table.lines().toString();
  assert.equal(text, 'the 2\ncafé 1\ncafé 1\ni̇stanbul 1\nx 3\n');
  assert.deepEqual(sorted(throughLines([Buffer.from('The CAFÉ'), Buffer.from('the café')])), [
    ['café', 2],
    ['the', 2],
  ]);
  // A reader folds ASCII itself: lines from a careless writer still add up.
  const total = new WordTable();
  addWordLines(total, parseWordLines(Buffer.from('The 1\nthe 2\n')) ?? assert.fail('parses'));
  assert.deepEqual(sorted(total.toMap()), [['the', 3]]);
  assert.equal(new WordTable().lines().length, 0);
  // Counts at every digit boundary, up to the largest a line may carry.
  const big = new WordTable();
  const counts = [1, 9, 10, 99, 100, 1_000_000, 999_999_999_999_999];
  for (const [i, c] of counts.entries()) big.addKey(Buffer.from(`w${i}`), 0, 2, c);
  assert.equal(big.lines().toString(), counts.map((c, i) => `w${i} ${c}\n`).join(''));
});

test('anything but exact lines is refused whole', () => {
  assert.deepEqual(parseWordLines(Buffer.alloc(0))?.counts.length, 0, 'no words: no lines');
  assert.equal(parseWordLines(Buffer.from('a 1\nbb 999999999999999\n'))?.counts[1], 999_999_999_999_999);
  for (const bad of [
    'a 1',
    'a 1\nb 2',
    'a 0\n',
    'a 01\n',
    'a\n',
    ' 1\n',
    'a  1\n',
    'a b 1\n',
    'a 1 \n',
    'a -1\n',
    'a 1.5\n',
    'a 1e3\n',
    'a 1000000000000000\n',
    'a\t 1\n',
    'a\u0000b 1\n',
    '\n',
    'a 1\n\n',
    'a 1\r\n',
  ]) {
    assert.equal(parseWordLines(Buffer.from(bad)), undefined, JSON.stringify(bad));
  }
});
