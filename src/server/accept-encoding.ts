/**
 * Accept-Encoding negotiation (RFC 9110 §12.5.3), pure. The content codings we produce
 * are brotli and gzip; the answer is the one the client weights highest, brotli on a tie
 * (smaller output), or null for the identity coding.
 *
 * - An absent header gets identity: clients that can decode say so, and intermediaries
 *   that strip the header expect identity back.
 * - A coding not listed takes the weight of `*` when present, else is not acceptable.
 * - Identity is always acceptable unless refused (`identity;q=0`, or `*;q=0` without
 *   it). When it is refused and neither coding is acceptable either, identity is sent
 *   all the same (the "SHOULD" of §12.5.3, as nginx does), rather than a 406 for a
 *   representation the client can still read with help.
 * - An element whose weight is malformed is ignored; a listed identity only wins when
 *   weighted strictly higher than both codings (`gzip;q=0.5, identity`).
 */

export type ContentCoding = 'br' | 'gzip';

/** Weights in thousandths: qvalues have at most three decimals. */
const Q_MAX = 1000;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** The weight of one element's parameters; undefined when malformed. */
function weightOf(params: readonly string[]): number | undefined {
  let q = Q_MAX;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const value = param.slice(eq + 1).trim();
    if (!QVALUE.test(value)) return undefined;
    q = Math.round(Number(value) * Q_MAX);
  }
  return q;
}

/** The coding to answer with, or null for identity. */
export function negotiateEncoding(header: string | undefined): ContentCoding | null {
  if (header === undefined) return null;
  // -1: not listed.
  let br = -1;
  let gzip = -1;
  let identity = -1;
  let star = -1;
  for (const element of header.split(',')) {
    const [name, ...params] = element.split(';');
    const coding = name.trim().toLowerCase();
    if (coding === '') continue;
    const q = weightOf(params);
    if (q === undefined) continue;
    if (coding === 'br') br = Math.max(br, q);
    else if (coding === 'gzip' || coding === 'x-gzip') gzip = Math.max(gzip, q);
    else if (coding === 'identity') identity = Math.max(identity, q);
    else if (coding === '*') star = Math.max(star, q);
  }
  const listed = (q: number): number => (q >= 0 ? q : Math.max(star, 0));
  const qBr = listed(br);
  const qGzip = listed(gzip);
  const best = Math.max(qBr, qGzip);
  if (best === 0) return null;
  if (identity > best) return null;
  return qBr >= qGzip ? 'br' : 'gzip';
}
