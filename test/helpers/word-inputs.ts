/**
 * Random texts for the word counters' property tests: letters of many scripts with case,
 * marks, digits, apostrophes and near misses, separators, emoji, random graphemes and bytes,
 * and invalid UTF-8 (overlongs, surrogates, truncated sequences, bytes that never occur).
 */
import fc from 'fast-check';

const PIECES = [
  // letters of many scripts, with case
  'a Z é É ß ẞ ǅ Σ σ ς İ ı I ﬃ Ω Ж ж א ع क ก 中 語 한 ア ᏸ Ꭰ 𐐀 𝔘 𞤀 ǈ',
  // marks and digits
  '\u0301 \u0308 \u0307 \u0345 \u093f \u20dd 0 7 ٣ १ ² Ⅻ 𝟘',
  // apostrophes (weighted up) and near misses
  "' ' ' \u2019 \u2019 \u2018 \u02bc `",
  // separators
  '\n \t \u00a0 \u3000 . , - " 、 。 \u200d \ufeff \u00ad ～',
  // emoji
  '😀 👍🏽 👨‍👩‍👧 🇫🇷',
]
  .join(' ')
  .split(' ')
  .concat([' ', ' ']);
const INVALID = [
  [0xff],
  [0xfe],
  [0x80],
  [0xbf],
  [0xc3],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xe2, 0x80],
  [0xe2],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf0, 0x80, 0x80, 0xaf],
  [0xf0, 0x9f, 0x98],
  [0xf0, 0x9f],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80],
  [0xe2, 0x80, 0x99].slice(0, 2),
];

const piece = fc.oneof(
  { weight: 14, arbitrary: fc.constantFrom(...PIECES).map((s) => Buffer.from(s)) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }).map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }).map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.constantFrom(...INVALID).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from(b)) },
);
/** Up to 40 pieces, concatenated. */
export const textBytes = fc.array(piece, { maxLength: 40 }).map((ps) => Buffer.concat(ps));
