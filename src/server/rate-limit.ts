/**
 * Token bucket per client address (SPEC §2, 429). Each key holds up to `burst` tokens
 * refilled at `ratePerSec`; a request takes one. Memory is bounded: a periodic sweep
 * drops buckets that have refilled completely (they are indistinguishable from a new
 * one, so dropping them changes no decision), and past `maxKeys` the least recently
 * seen bucket is evicted — under a flood of distinct addresses that may hand an evicted
 * client a fresh burst, which is the price of a hard memory cap.
 */

export interface RateLimiterOptions {
  /** Sustained requests per second per key; must be > 0. */
  ratePerSec: number;
  /**
   * Bucket size: requests allowed back to back after idling.
   * @default max(1, ceil(ratePerSec))
   */
  burst?: number;
  /**
   * Most keys tracked at once.
   * @default 100000
   */
  maxKeys?: number;
  /**
   * How often full buckets are swept; 0 disables the timer (call sweep() yourself).
   * @default 30000
   */
  sweepIntervalMs?: number;
}

export const RATE_LIMIT_DEFAULTS = Object.freeze({
  maxKeys: 100_000,
  sweepIntervalMs: 30_000,
});

export type TakeResult = { ok: true } | { ok: false; retryAfterSec: number };

const OK: TakeResult = Object.freeze({ ok: true });
// Slack for float error in the running sum of emission intervals (rates like 3/s).
const EPSILON_MS = 1e-6;

function positive(field: string, value: number, integer: boolean): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new RangeError(`rateLimit.${field} must be ${integer ? 'an integer' : 'a number'} > 0, got ${String(value)}`);
  }
  return value;
}

/**
 * Implemented as GCRA, the exact equivalent of a token bucket that stores one number
 * per key — the "theoretical arrival time" (tat) — instead of a fractional token count
 * refilled by elapsed time, whose rounding drifts. A key is allowed while
 * `tat - now <= (burst - 1) × interval`; each allowed request pushes tat one interval on.
 * A bucket is full exactly when `tat <= now`.
 */
export class RateLimiter {
  /** ms between tokens. */
  readonly #interval: number;
  /** How far tat may run ahead of now: the burst, in ms. */
  readonly #tolerance: number;
  readonly #maxKeys: number;
  // Insertion order doubles as recency: take() re-inserts, so the first key is the LRU.
  readonly #tat = new Map<string, number>();
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(options: RateLimiterOptions) {
    const rate = positive('ratePerSec', options.ratePerSec, false);
    const burst = positive('burst', options.burst ?? Math.max(1, Math.ceil(rate)), false);
    if (burst < 1) throw new RangeError(`rateLimit.burst must be ≥ 1, got ${burst}`);
    this.#interval = 1000 / rate;
    this.#tolerance = (burst - 1) * this.#interval;
    this.#maxKeys = positive('maxKeys', options.maxKeys ?? RATE_LIMIT_DEFAULTS.maxKeys, true);
    const every = options.sweepIntervalMs ?? RATE_LIMIT_DEFAULTS.sweepIntervalMs;
    if (every !== 0) {
      this.#timer = setInterval(() => this.sweep(), positive('sweepIntervalMs', every, true));
      // The limiter must never keep a process alive on its own.
      this.#timer.unref();
    }
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#tat.size;
  }

  /** Takes one token for `key` at time `now` (ms, monotonic). */
  take(key: string, now: number = performance.now()): TakeResult {
    const stored = this.#tat.get(key);
    if (stored === undefined) {
      if (this.#tat.size >= this.#maxKeys) this.#evict();
    } else {
      this.#tat.delete(key);
    }
    const tat = Math.max(stored ?? now, now);
    const ahead = tat - now;
    if (ahead > this.#tolerance + EPSILON_MS) {
      this.#tat.set(key, tat);
      // Whole seconds (Retry-After has no fraction), rounded up so a client that obeys it
      // is not refused again for the same reason.
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil((ahead - this.#tolerance) / 1000)) };
    }
    this.#tat.set(key, tat + this.#interval);
    return OK;
  }

  /** Drops keys whose bucket is full at `now` (a new bucket would be the same); returns how many. */
  sweep(now: number = performance.now()): number {
    let dropped = 0;
    for (const [key, tat] of this.#tat) {
      if (tat <= now) {
        this.#tat.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#tat.clear();
  }

  #evict(): void {
    // O(1): the least recently seen key. No sweep here — a flood of new keys at the cap
    // would otherwise make every request O(maxKeys).
    const oldest = this.#tat.keys().next();
    if (oldest.done !== true) this.#tat.delete(oldest.value);
  }
}
