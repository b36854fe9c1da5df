import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HttpError } from '../../src/common/errors.js';
import { RUN_SLACK, WordChunker } from '../../src/jobs/word-chunker.js';
import { WordCounter, countWords, countWordsInto } from '../../src/jobs/words-counter.js';
import { WordTable } from '../../src/jobs/words-table.js';
import { mergeInto, type WordCounts } from '../../src/jobs/words.js';
import { splitAt } from '../helpers/split-at.js';

/**
 * Independent reference for SPEC §4: decode the whole input at once, then walk it code
 * point by code point with an explicit state machine. Shares nothing with src/. Words come
 * as written (not lower-cased), in order.
 */
function referenceWords(bytes: Uint8Array): string[] {
  const text = new TextDecoder('utf-8').decode(bytes);
  const isWordChar = (ch: string): boolean => /\p{L}/u.test(ch) || /\p{M}/u.test(ch) || /\p{N}/u.test(ch);
  const isApos = (ch: string): boolean => ch === "'" || ch === '\u2019';
  const out: string[] = [];
  let state: 'out' | 'word' | 'apos' = 'out';
  let word = '';
  let apos = '';
  for (const ch of text) {
    if (state === 'out') {
      if (isWordChar(ch)) {
        word = ch;
        state = 'word';
      }
    } else if (state === 'word') {
      if (isWordChar(ch)) word += ch;
      else if (isApos(ch)) {
        apos = ch;
        state = 'apos';
      } else {
        out.push(word);
        state = 'out';
      }
    } else if (isWordChar(ch)) {
      word += apos + ch;
      state = 'word';
    } else {
      out.push(word);
      state = 'out';
    }
  }
  if (state !== 'out') out.push(word);
  return out;
}

function referenceCount(bytes: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of referenceWords(bytes)) {
    const k = w.toLowerCase();
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** The UTF-8 length of the input's longest word, as written (--max-word-bytes measures this). */
function longestWordBytes(bytes: Uint8Array): number {
  let longest = 0;
  for (const w of referenceWords(bytes)) longest = Math.max(longest, Buffer.byteLength(w));
  return longest;
}

function countChunked(pieces: Uint8Array[], targetBytes: number): { counts: WordCounts; chunks: Buffer[] } {
  const chunker = new WordChunker({ targetBytes });
  const chunks: Buffer[] = [];
  for (const p of pieces) chunks.push(...chunker.push(p));
  const last = chunker.end();
  if (last !== null) chunks.push(last);
  const counts = new Map<string, number>();
  for (const c of chunks) mergeInto(counts, countWords(c));
  return { counts, chunks };
}

const sorted = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

const SAMPLE = Buffer.concat([
  Buffer.from("'Twas dogs' rock’n’roll don't a''b ’edge’ café cafe\u0301 ΟΔΟΣ 中文、日本語。한국어 "),
  Buffer.from("👨‍👩‍👧 👍🏽x 𝔘𝔫𝔦 ٣٤ x²\u00a0y\u2003z\ufeffw ～😀 end'"),
  Buffer.from([0x20, 0x61, 0xff, 0x62, 0xc3, 0x20, 0xe2, 0x80, 0x63, 0xf0, 0x9f, 0x98]),
]);

test('chunks of a multi-byte sample count the same as the whole, for many targets', () => {
  const expected = sorted(referenceCount(SAMPLE));
  assert.deepEqual(sorted(countWords(SAMPLE)), expected);
  for (let target = 1; target <= SAMPLE.length + 1; target++) {
    const { counts, chunks } = countChunked([SAMPLE], target);
    assert.deepEqual(sorted(counts), expected, `target ${target}`);
    assert.equal(Buffer.concat(chunks).compare(SAMPLE), 0);
  }
});

test('every byte offset as a split of the input stream', () => {
  const expected = sorted(referenceCount(SAMPLE));
  for (let i = 0; i <= SAMPLE.length; i++) {
    const pieces = [SAMPLE.subarray(0, i), SAMPLE.subarray(i)];
    for (const target of [1, 3, 7, 16, 64]) {
      assert.deepEqual(sorted(countChunked(pieces, target).counts), expected, `split ${i} target ${target}`);
    }
    const counter = new WordCounter();
    for (const p of pieces) counter.push(p);
    assert.deepEqual(sorted(counter.end()), expected, `counter split ${i}`);
  }
});

test('chunks stay at or under the target when separators are frequent', () => {
  const text = Buffer.from('lorem ipsum dolor sit amet, '.repeat(2000));
  const { chunks } = countChunked([text.subarray(0, 1000), text.subarray(1000)], 4096);
  assert.ok(chunks.length > 10);
  for (const c of chunks.slice(0, -1)) assert.ok(c.length <= 4096 && c.length > 4000, `chunk of ${c.length}`);
});

test('text with only non-ASCII separators is cut at them', () => {
  const text = Buffer.from('中文日本語、'.repeat(1000) + '한국어。'.repeat(1000));
  const { counts, chunks } = countChunked([text], 1000);
  assert.ok(chunks.length > 10);
  for (const c of chunks.slice(0, -1)) {
    assert.ok(c.length <= 1000);
    assert.match(c.toString(), /[、。]$/u);
  }
  assert.deepEqual(sorted(counts), sorted(referenceCount(text)));
});

test('a word far longer than the target grows one chunk until a boundary or the end', () => {
  const big = Buffer.alloc(5 * 1024 * 1024, 'a');
  const chunker = new WordChunker({ targetBytes: 1024 * 1024 });
  let emitted = 0;
  for (let o = 0; o < big.length; o += 65536) emitted += chunker.push(big.subarray(o, o + 65536)).length;
  assert.equal(emitted, 0);
  const out = chunker.push(Buffer.from(' b c'));
  assert.equal(out.length, 1);
  assert.equal(out[0].length, big.length + 1);
  assert.equal(chunker.end()?.toString(), 'b c');
  const rest = new WordChunker({ targetBytes: 16 });
  rest.push(Buffer.alloc(100, 'é'));
  assert.equal(rest.end()?.length, 100);
  assert.equal(rest.end(), null);
});

test('a long word arriving in pieces is joined once, not once per piece (linear copying)', () => {
  // 'é' pieces of an odd size cut its 2-byte sequences, so the undecided bytes are carried too.
  const word = Buffer.from('é'.repeat(4 * 1024 * 1024));
  const concat = Buffer.concat;
  let copied = 0;
  Buffer.concat = (list: readonly Uint8Array[], total?: number): Buffer<ArrayBuffer> => {
    const b = concat(list, total);
    copied += b.length;
    return b;
  };
  const chunks: Buffer[] = [];
  try {
    const chunker = new WordChunker({ targetBytes: 256 * 1024 });
    chunks.push(...chunker.push(Buffer.from('start ')));
    for (let o = 0; o < word.length; o += 65_537) chunks.push(...chunker.push(word.subarray(o, o + 65_537)));
    chunks.push(...chunker.push(Buffer.from(' tail word')));
    chunks.push(chunker.end() ?? Buffer.alloc(0));
  } finally {
    Buffer.concat = concat;
  }
  assert.deepEqual(
    chunks.map((c) => c.length),
    ['start '.length, word.length + 1, 'tail word'.length],
  );
  // Joining the pending bytes on every piece copies about n²/(2·piece) = 256 MiB here.
  assert.ok(copied <= 2 * word.length, `${copied} bytes copied for a ${word.length}-byte word`);
});

test('rejects a bad targetBytes or maxWordBytes, naming the field', () => {
  assert.throws(() => new WordChunker({ targetBytes: 0 }), /targetBytes/);
  assert.throws(() => new WordChunker({ maxWordBytes: 0 }), /maxWordBytes/);
  assert.throws(() => new WordChunker({ maxWordBytes: 1.5 }), /maxWordBytes/);
});

test('two apostrophes in a row are a cut: a run of apostrophes is cut like separators', () => {
  const text = Buffer.from(`x''y${"'".repeat(10_000)}’’z''’w${'’'.repeat(3000)}'v`);
  const { counts, chunks } = countChunked([text], 4);
  // Without the pair rule this text has no cut after "x''y": one chunk of ≈ 19 000 bytes.
  // With it, the longest is "’w’’": a one-byte word and its RUN_SLACK.
  for (const c of chunks) assert.ok(c.length <= 1 + RUN_SLACK, `chunk of ${c.length}`);
  assert.deepEqual(sorted(counts), sorted(referenceCount(text)));
});

const tooLong = (err: unknown): boolean => err instanceof HttpError && err.status === 413 && /longer than \d+ bytes/.test(err.message);

test('a run without a cut past maxWordBytes + RUN_SLACK is refused, in pieces or whole; a word at the limit is not', () => {
  const max = 1000;
  for (const piece of [1, 7, 64, 100_000]) {
    const push = (text: Buffer): Buffer[] => {
      const chunker = new WordChunker({ targetBytes: 100, maxWordBytes: max });
      const out: Buffer[] = [];
      for (let o = 0; o < text.length; o += piece) out.push(...chunker.push(text.subarray(o, o + piece)));
      const last = chunker.end();
      if (last !== null) out.push(last);
      return out;
    };
    // Exactly max bytes, with an apostrophe either side: the longest run that must pass.
    const atLimit = Buffer.from(`a ’${'é'.repeat(max / 2)}’ b`);
    assert.deepEqual(
      push(atLimit).map((c) => c.length),
      [2, atLimit.length - 3, 1],
      `piece ${piece}`,
    );
    // The same, then an apostrophe and a 4-byte separator before the cut: the longest run.
    const widest = Buffer.from(`a ’${'é'.repeat(max / 2)}’😀b`);
    assert.equal(3 + max + 3 + 4, max + RUN_SLACK);
    assert.deepEqual(
      push(widest).map((c) => c.length),
      [2, max + RUN_SLACK, 1],
      `piece ${piece}`,
    );
    const over = Buffer.from(`a ${'x'.repeat(max + RUN_SLACK + 1)} b`);
    assert.throws(() => push(over), tooLong, `piece ${piece}`);
    // Memory: a word of 100 MB is refused at about max bytes, not held.
    const chunker = new WordChunker({ targetBytes: 100, maxWordBytes: max });
    let pushed = 0;
    assert.throws(() => {
      for (; pushed < 100e6; pushed += 512) chunker.push(Buffer.alloc(512, 'x'));
    }, tooLong);
    assert.ok(pushed <= max + RUN_SLACK + 512, `${pushed} bytes taken`);
  }
});

test('a run that ends in an unfinished sequence just short of the target is still held to the limit', () => {
  // 'aa𝔘aΣ' (9 bytes, one word) and the first 3 bytes of 😀: the scan stops at the unfinished
  // sequence, one byte before the target of 10, so no cut was found and none was looked past.
  const text = Buffer.from([0x61, 0x61, 0xf0, 0x9d, 0x94, 0x98, 0x61, 0xce, 0xa3, 0xf0, 0x9f, 0x98]);
  assert.ok(text.length > 1 + RUN_SLACK);
  assert.throws(() => new WordChunker({ targetBytes: 10, maxWordBytes: 1 }).push(text), tooLong);
  // Within the limit, the run waits for more bytes (the sequence may end the word).
  const chunker = new WordChunker({ targetBytes: 10, maxWordBytes: 9 });
  assert.deepEqual(chunker.push(text), []);
  assert.equal(chunker.end()?.length, 12);
});

test('the counter refuses a word of maxWordBytes + 1 bytes, ASCII or not, and counts one of maxWordBytes', () => {
  for (const [word, max] of [
    ['x'.repeat(20), 20],
    ['é'.repeat(10), 20],
    ["don't", 5],
    ['a’b', 5],
  ] as const) {
    const table = new WordTable();
    countWordsInto(Buffer.from(`one ${word} two`), table, max);
    assert.equal(table.toMap().get(word), 1);
    assert.throws(() => countWordsInto(Buffer.from(`one ${word}z two`), new WordTable(), max), tooLong, word);
    assert.throws(() => countWordsInto(Buffer.from(`${word}z`), new WordTable(), max), tooLong, `${word} at the end`);
  }
});

const ALPHABET = [
  'a',
  'b',
  'Z',
  'é',
  'ß',
  'Σ',
  'ς',
  'İ',
  'ﬃ',
  '\u0301',
  '\u0308',
  '0',
  '7',
  '٣',
  '²',
  'Ⅻ',
  "'",
  "'",
  '\u2019',
  '\u2019',
  '\u2018',
  ' ',
  ' ',
  '\n',
  '\t',
  '\u00a0',
  '\u3000',
  '.',
  ',',
  '-',
  '"',
  '!',
  '中',
  '語',
  '、',
  '。',
  'ก',
  '😀',
  '👍🏽',
  '👨‍👩‍👧',
  '\u200d',
  '\ufeff',
  '～',
  '𝔘',
  '\ud800',
];
const INVALID = [[0xff], [0xc3], [0xe2, 0x80], [0xf0, 0x9f, 0x98], [0x80], [0xed, 0xa0, 0x80], [0xc0, 0xaf]];

const piece = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...ALPHABET).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.constantFrom(...INVALID).map((b) => Buffer.from(b)) },
);
const input = fc.array(piece, { maxLength: 120 }).map((ps) => Buffer.concat(ps));

test('property: with maxWordBytes, chunks stay within max(target, maxWordBytes + RUN_SLACK), and only a longer word is refused', () => {
  fc.assert(
    fc.property(
      input,
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 30 }),
      (bytes, points, target, maxWordBytes) => {
        const chunker = new WordChunker({ targetBytes: target, maxWordBytes });
        const chunks: Buffer[] = [];
        try {
          for (const p of splitAt(bytes, points)) chunks.push(...chunker.push(p));
          const last = chunker.end();
          if (last !== null) chunks.push(last);
        } catch (err) {
          assert.ok(tooLong(err), String(err));
          assert.ok(longestWordBytes(bytes) > maxWordBytes, 'refused with no word over the limit');
          return;
        }
        for (const c of chunks) assert.ok(c.length <= Math.max(target, maxWordBytes + RUN_SLACK), `chunk of ${c.length}`);
        assert.equal(Buffer.concat(chunks).compare(bytes), 0);
      },
    ),
    { numRuns: 3000 },
  );
});

test('property: chunker + counter equal the reference for any input, splits and target', () => {
  fc.assert(
    fc.property(input, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 1, max: 40 }), (bytes, points, target) => {
      const expected = sorted(referenceCount(bytes));
      const pieces = splitAt(bytes, points);
      const { counts, chunks } = countChunked(pieces, target);
      assert.equal(Buffer.concat(chunks).compare(bytes), 0);
      assert.deepEqual(sorted(counts), expected);
      const counter = new WordCounter();
      for (const p of pieces) counter.push(p);
      assert.deepEqual(sorted(counter.end()), expected);
    }),
    { numRuns: 1500 },
  );
});
