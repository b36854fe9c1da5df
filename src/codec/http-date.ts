/**
 * The Date header line, formatted at most once per second (it has one-second resolution).
 * As in node:http, the cache is dropped by a timer at the next second boundary instead of
 * reading the clock on every response; the timer is unref'd and only armed after a use.
 */
let cachedLine: string | undefined;

/** "Date: <IMF-fixdate>\r\n" for the current second. */
export function dateLine(): string {
  if (cachedLine === undefined) {
    const d = new Date();
    cachedLine = `Date: ${d.toUTCString()}\r\n`;
    setTimeout(resetCache, 1000 - d.getMilliseconds()).unref();
  }
  return cachedLine;
}

function resetCache(): void {
  cachedLine = undefined;
}
