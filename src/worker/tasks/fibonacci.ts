/** Largest n accepted: F(10^6) has ~209k digits and still takes well under a second. */
export const FIBONACCI_MAX = 1_000_000;

/**
 * F(n) as an exact decimal string, by fast doubling over the bits of n:
 * F(2k) = F(k)·(2F(k+1) − F(k)), F(2k+1) = F(k)² + F(k+1)². O(log n) BigInt products.
 */
export function fibonacci(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0 || n > FIBONACCI_MAX) {
    throw new RangeError(`fibonacci: n must be an integer in [0, ${FIBONACCI_MAX}] (got ${n})`);
  }
  let a = 0n; // F(k)
  let b = 1n; // F(k+1)
  for (let bit = 31 - Math.clz32(n); bit >= 0; bit--) {
    const c = a * (2n * b - a);
    const d = a * a + b * b;
    if ((n >>> bit) & 1) {
      a = d;
      b = c + d;
    } else {
      a = c;
      b = d;
    }
  }
  return a.toString();
}
