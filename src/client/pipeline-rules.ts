/**
 * Which pipelined requests must be the last of their group: one whose answer may come
 * without a body although nothing in the request says so. A HEAD is known by its method;
 * a conditional GET may be answered 304.
 */

/** The two conditional field names, matched at a line's start (sticky, any case). */
const CONDITIONAL = /(?:if-none-match|if-modified-since):/iy;

/** A conditional request may be answered 304 (no body), which ends a pipeline. */
export function endsPipeline(head: string): boolean {
  // Line by line: only a line starting "if-" (any case) is matched against the names.
  for (let i = head.indexOf('\n'); i !== -1 && i + 3 < head.length; i = head.indexOf('\n', i + 1)) {
    if ((head.charCodeAt(i + 1) | 0x20) !== 0x69 || (head.charCodeAt(i + 2) | 0x20) !== 0x66 || head.charCodeAt(i + 3) !== 0x2d) continue;
    CONDITIONAL.lastIndex = i + 1;
    if (CONDITIONAL.test(head)) return true;
  }
  return false;
}
