/**
 * Which code points are word characters (SPEC §4: `[\p{L}\p{M}\p{N}]`), as a lookup built
 * from that very regex, so it follows the runtime's Unicode version and can never drift
 * from the rule: a bitset over the BMP, and sorted ranges above it. Each is built on first
 * use (ASCII never needs them) and the regex is dropped afterwards.
 */

function wordRuns(): RegExp {
  return /[\p{L}\p{M}\p{N}]+/gu;
}

/** One bit per BMP code point; null until first needed. */
let bmp: Uint32Array | null = null;

/** [start, end) pairs of word-character runs above U+FFFF; null until first needed. */
let astral: Int32Array | null = null;

function buildBmp(): Uint32Array {
  // Every BMP code point at its own index; surrogates (never word characters, and not
  // code points a UTF-8 decoder yields) stand in as spaces so indices stay aligned.
  const units = new Uint16Array(0x10000);
  for (let cp = 0; cp < 0x10000; cp++) units[cp] = cp >= 0xd800 && cp <= 0xdfff ? 0x20 : cp;
  const text = Buffer.from(units.buffer).toString('utf16le');
  const bits = new Uint32Array(0x10000 >>> 5);
  const re = wordRuns();
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    for (let cp = m.index; cp < m.index + m[0].length; cp++) bits[cp >>> 5] |= 1 << (cp & 31);
  }
  return bits;
}

/** Code points per piece of the astral scan: a small string (heap, not external memory) each. */
const ASTRAL_PIECE = 0x8000;

function buildAstral(): Int32Array {
  const ranges: number[] = [];
  const units = new Uint16Array(ASTRAL_PIECE * 2);
  const re = wordRuns();
  for (let base = 0x10000; base < 0x110000; base += ASTRAL_PIECE) {
    // Each code point a surrogate pair: UTF-16 index i is code point base + i/2.
    for (let k = 0; k < ASTRAL_PIECE; k++) {
      const v = base + k - 0x10000;
      units[2 * k] = 0xd800 + (v >>> 10);
      units[2 * k + 1] = 0xdc00 + (v & 0x3ff);
    }
    const text = Buffer.from(units.buffer).toString('utf16le');
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const start = base + m.index / 2;
      const end = start + m[0].length / 2;
      // A run that continues across pieces extends the previous range.
      if (ranges.length > 0 && ranges[ranges.length - 1] === start) ranges[ranges.length - 1] = end;
      else ranges.push(start, end);
    }
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

/** The BMP's word characters, one bit per code point (bit `cp & 31` of word `cp >>> 5`). */
export function bmpWordBits(): Uint32Array {
  bmp ??= buildBmp();
  return bmp;
}

/** Whether `cp` (a Unicode scalar value) is a letter, mark or number. */
export function isWordCodePoint(cp: number): boolean {
  if (cp < 0x10000) {
    bmp ??= buildBmp();
    return ((bmp[cp >>> 5] >>> (cp & 31)) & 1) === 1;
  }
  return isAstralWord(cp);
}
