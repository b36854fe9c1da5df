/** The Date header, formatted at most once per second (it has one-second resolution). */
let cachedSecond = -1;
let cached = '';

export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cached = new Date(second * 1000).toUTCString();
  }
  return cached;
}
