/**
 * UTF-8 decoding one code point at a time, by the WHATWG decoder's rules (what
 * `TextDecoder` and `Buffer.toString` do): the word counter and the chunker read text as
 * bytes and decode only where a byte is ≥ 0x80.
 */

/** decode()'s code point bits (the length is above them). */
export const CP_MASK = 0x1fffff;
/** decode(): the bytes end inside a sequence that is valid so far. */
export const INCOMPLETE = -16;

/**
 * The code point at `i` (whose byte is ≥ 0x80) as `(length << 24) | cp`; or, when the
 * bytes there are not valid UTF-8, minus the number of bytes the WHATWG decoder turns into
 * one U+FFFD (the lead byte and the continuations that were still valid); or INCOMPLETE.
 */
export function decode(buf: Uint8Array, i: number, n: number): number {
  const b = buf[i];
  let need: number;
  let cp: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) {
    need = 1;
    cp = b & 0x1f;
  } else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    cp = b & 0x0f;
    if (b === 0xe0) lo = 0xa0;
    else if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    cp = b & 0x07;
    if (b === 0xf0) lo = 0x90;
    else if (b === 0xf4) hi = 0x8f;
  } else {
    return -1;
  }
  let p = i + 1;
  while (need > 0) {
    if (p >= n) return INCOMPLETE;
    const c = buf[p];
    if (c < lo || c > hi) return i - p;
    cp = (cp << 6) | (c & 0x3f);
    lo = 0x80;
    hi = 0xbf;
    p++;
    need--;
  }
  return ((p - i) << 24) | cp;
}
