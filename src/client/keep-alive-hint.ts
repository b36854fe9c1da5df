/**
 * How long an upstream keeps an idle connection, from its `Keep-Alive: timeout=N` field:
 * the pool retires the connection a margin before, so it never writes a request into a
 * connection the upstream is closing.
 */

/** Retire this long before the upstream's own timeout. */
const HINT_MARGIN_MS = 1000;
const TIMEOUT_PARAM = /(?:^|[\s,;])timeout\s*=\s*(\d{1,9})/i;

let lastHint: string | undefined;
let lastLimit: number | undefined;

/** `Keep-Alive: timeout=N, max=M` → N s less the margin (≤ 0: do not keep it idle at all). */
export function idleLimitOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // An upstream sends the same line every time: parse it once.
  if (value === lastHint) return lastLimit;
  const m = TIMEOUT_PARAM.exec(value);
  const limit = m === null ? undefined : Number(m[1]) * 1000 - HINT_MARGIN_MS;
  lastHint = value;
  lastLimit = limit;
  return limit;
}
