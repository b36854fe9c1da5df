/**
 * Which code points are word characters (SPEC §4: `[\p{L}\p{M}\p{N}]`), as a lookup built
 * from that very regex when the module loads, so it follows the runtime's Unicode version
 * and can never drift from the rule: a bitset over the BMP, and sorted ranges above it
 * (built on first use: most texts never need them).
 */

const WORD_RUNS = /[\p{L}\p{M}\p{N}]+/gu;

/** One bit per BMP code point. */
const BMP = buildBmp();

/** [start, end) pairs of word-character runs above U+FFFF; null until first needed. */
let astral: Int32Array | null = null;

function buildBmp(): Uint32Array {
  // Every BMP code point at its own index; surrogates (never word characters, and not
  // code points a UTF-8 decoder yields) stand in as spaces so indices stay aligned.
  const units = new Uint16Array(0x10000);
  for (let cp = 0; cp < 0x10000; cp++) units[cp] = cp >= 0xd800 && cp <= 0xdfff ? 0x20 : cp;
  const text = Buffer.from(units.buffer).toString('utf16le');
  const bits = new Uint32Array(0x10000 >>> 5);
  WORD_RUNS.lastIndex = 0;
  for (let m = WORD_RUNS.exec(text); m !== null; m = WORD_RUNS.exec(text)) {
    for (let cp = m.index; cp < m.index + m[0].length; cp++) bits[cp >>> 5] |= 1 << (cp & 31);
  }
  return bits;
}

function buildAstral(): Int32Array {
  // Every code point above the BMP, each a surrogate pair: UTF-16 index i is U+10000 + i/2.
  const count = 0x110000 - 0x10000;
  const units = new Uint16Array(count * 2);
  for (let k = 0; k < count; k++) {
    units[2 * k] = 0xd800 + (k >>> 10);
    units[2 * k + 1] = 0xdc00 + (k & 0x3ff);
  }
  const text = Buffer.from(units.buffer).toString('utf16le');
  const ranges: number[] = [];
  WORD_RUNS.lastIndex = 0;
  for (let m = WORD_RUNS.exec(text); m !== null; m = WORD_RUNS.exec(text)) {
    ranges.push(0x10000 + m.index / 2, 0x10000 + (m.index + m[0].length) / 2);
  }
  return Int32Array.from(ranges);
}

function isAstralWord(cp: number): boolean {
  astral ??= buildAstral();
  // The last range start at or below cp, by binary search over the pairs.
  let lo = 0;
  let hi = (astral.length >>> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (astral[2 * mid] <= cp) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi >= 0 && cp < astral[2 * hi + 1];
}

/** Whether `cp` (a Unicode scalar value) is a letter, mark or number. */
export function isWordCodePoint(cp: number): boolean {
  if (cp < 0x10000) return ((BMP[cp >>> 5] >>> (cp & 31)) & 1) === 1;
  return isAstralWord(cp);
}
