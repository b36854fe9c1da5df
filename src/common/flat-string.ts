/**
 * `s` as one flat string. V8 keeps a string joined from others as a tree of its pieces and
 * copies the tree into one flat string whenever it is read whole (written to a socket,
 * measured, searched); V8 flattens it in place on its first character read, so a string
 * that is built once and used many times is flattened once.
 */
export function flatString(s: string): string {
  s.charCodeAt(0);
  return s;
}
