/**
 * Range header parsing (RFC 9110 §14), pure. Only single byte ranges are honoured: a
 * multi-range request gets the whole representation with 200, which §14.2 allows and
 * which avoids multipart/byteranges and overlapping-range amplification.
 */

export type RangeResult =
  /** Serve the whole representation: no Range, not bytes, malformed, or several ranges. */
  | { readonly kind: 'full' }
  /** Serve bytes start..end inclusive with 206. */
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  /** 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' };

const FULL: RangeResult = Object.freeze({ kind: 'full' });
const UNSATISFIABLE: RangeResult = Object.freeze({ kind: 'unsatisfiable' });
const SPEC = /^(\d*)-(\d*)$/;

/** Parses a Range header against a representation of `size` bytes. */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return FULL;
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return FULL;
  // Empty list elements are allowed and ignored by the #rule (RFC 9110 §5.6.1).
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length !== 1) return FULL;
  const m = SPEC.exec(specs[0]);
  if (m === null) return FULL;
  const [, first, last] = m;
  if (first === '' && last === '') return FULL;
  if (first === '') {
    // Suffix range: the last N bytes.
    const n = toInt(last);
    if (n === null) return FULL;
    if (n === 0 || size === 0) return UNSATISFIABLE;
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = toInt(first);
  if (start === null) return FULL;
  let end = size - 1;
  if (last !== '') {
    const l = toInt(last);
    if (l === null) return FULL;
    // last < first is syntactically invalid, so the header is ignored (§14.1.1).
    if (l < start) return FULL;
    end = Math.min(l, size - 1);
  }
  if (start >= size) return UNSATISFIABLE;
  return { kind: 'partial', start, end };
}

/** Digits to a number; huge values saturate so "bytes=0-99999999999999999999" still works. */
function toInt(digits: string): number | null {
  if (digits === '') return null;
  const n = Number(digits);
  if (!Number.isFinite(n)) return null;
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}
