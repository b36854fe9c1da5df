/**
 * Restart delays of one supervised child: `initialMs`, doubling after each crash in a
 * row up to `maxMs`. A child that stayed up `stableMs` ends the streak, so one crash a
 * day never waits the maximum.
 */
export interface BackoffOptions {
  /** @default 250 */
  initialMs?: number;
  /** @default 10000 */
  maxMs?: number;
  /** Uptime after which a crash counts as the first of a new streak. @default 10000 */
  stableMs?: number;
}

export const BACKOFF_DEFAULTS = Object.freeze({ initialMs: 250, maxMs: 10_000, stableMs: 10_000 } satisfies Required<BackoffOptions>);

export class Backoff {
  readonly #opts: Required<BackoffOptions>;
  #streak = 0;

  constructor(options: BackoffOptions = {}) {
    this.#opts = {
      initialMs: options.initialMs ?? BACKOFF_DEFAULTS.initialMs,
      maxMs: options.maxMs ?? BACKOFF_DEFAULTS.maxMs,
      stableMs: options.stableMs ?? BACKOFF_DEFAULTS.stableMs,
    };
  }

  /** Crashes in a row so far. */
  get streak(): number {
    return this.#streak;
  }

  /** Records a crash after `uptimeMs` of life; returns the delay before the restart. */
  crashed(uptimeMs: number): number {
    if (uptimeMs >= this.#opts.stableMs) this.#streak = 0;
    const { initialMs, maxMs } = this.#opts;
    // 2 ** streak overflows to Infinity long after it passes maxMs; min() keeps it finite.
    const delay = Math.min(maxMs, initialMs * 2 ** this.#streak);
    this.#streak++;
    return delay;
  }
}
