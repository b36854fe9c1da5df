/**
 * Names of data files (/createfile, /deletefile, /countwords?file=). A valid name is a
 * single plain path component, so joining it to the data dir can never leave it.
 */
import { httpError } from '../common/errors.js';

/** NAME_MAX on Linux and macOS. */
export const MAX_NAME_BYTES = 255;

// C0 controls and DEL: legal on POSIX file systems, but a trap in logs and JSON output.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// With the u flag a lone surrogate is a code point of category Cs; a valid pair is not.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Returns `name` when it is allowed, else throws INVALID_NAME (400): empty, over 255
 * UTF-8 bytes, containing `/`, `\`, NUL or another control character, containing `..`,
 * or starting with a dot (hidden files are reserved: our temp files use that prefix).
 */
export function validateFileName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw httpError('INVALID_NAME', 'name must be a non-empty string');
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    throw httpError('INVALID_NAME', `name must be at most ${MAX_NAME_BYTES} bytes of UTF-8`);
  }
  if (name.includes('/') || name.includes('\\')) throw httpError('INVALID_NAME', 'name must not contain "/" or "\\"');
  if (name.includes('\0')) throw httpError('INVALID_NAME', 'name must not contain NUL');
  if (CONTROL.test(name)) throw httpError('INVALID_NAME', 'name must not contain control characters');
  if (name.includes('..')) throw httpError('INVALID_NAME', 'name must not contain ".."');
  if (name.startsWith('.')) throw httpError('INVALID_NAME', 'name must not start with "."');
  // Lone surrogates cannot be encoded as UTF-8 file names; they would be silently replaced.
  if (LONE_SURROGATE.test(name)) throw httpError('INVALID_NAME', 'name must be valid Unicode');
  return name;
}
