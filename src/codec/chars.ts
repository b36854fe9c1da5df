/**
 * Byte-class tables for the parser (RFC 9110 §5.6.2 tchar, §5.5 field-value chars).
 * Lookup tables beat regexes on the hot path and make the grammar explicit.
 */
export const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** field-vchar / SP / HTAB / obs-text: every byte but CTLs (HTAB allowed) and DEL. */
export const FIELD_VALUE = new Uint8Array(256);
for (let c = 0x20; c <= 0xff; c++) FIELD_VALUE[c] = c === 0x7f ? 0 : 1;
FIELD_VALUE[0x09] = 1;

/** Bytes allowed in a request-target: visible ASCII only (no SP, CTL, DEL, obs-text). */
export const TARGET = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) TARGET[c] = 1;

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;

export function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

/** Trims SP/HTAB only (String.prototype.trim would also eat VT/FF, a smuggling trap). */
export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isOws(s.charCodeAt(a))) a++;
  while (b > a && isOws(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
