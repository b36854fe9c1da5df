/**
 * The "right now" numbers of /status and the dashboard: throughput over the last 10 s,
 * latency percentiles of recent requests, requests in flight, errors by status class.
 * record() is a few array writes; the sorting happens when someone asks (once a second
 * per open dashboard), not per request.
 */

/** Seconds of the throughput window. */
const RATE_WINDOW_S = 10;
/** Latency samples kept (the newest win), and how old a sample may be. */
const LATENCY_SAMPLES = 4096;
const LATENCY_MAX_AGE_MS = 60_000;

export interface RecentSnapshot {
  requests: { total: number; per_second: number; in_flight: number };
  latency_ms: { p50: number | null; p90: number | null; p99: number | null; samples: number };
  errors: { '4xx': number; '5xx': number; by_status: Record<string, number> };
}

export class RecentStats {
  /** Requests whose handler is running now. */
  inFlight = 0;
  #total = 0;
  readonly #startedAt: number;
  readonly #secStamp = new Float64Array(RATE_WINDOW_S).fill(-1);
  readonly #secCount = new Float64Array(RATE_WINDOW_S);
  readonly #lat = new Float64Array(LATENCY_SAMPLES);
  readonly #latAt = new Float64Array(LATENCY_SAMPLES);
  #latNext = 0;
  #latFilled = 0;
  #client = 0;
  #server = 0;
  readonly #byStatus = new Map<number, number>();

  constructor(now = Date.now()) {
    this.#startedAt = now;
  }

  /** One finished request. */
  record(status: number, ms: number, now = Date.now()): void {
    this.#total++;
    const sec = Math.floor(now / 1000);
    const slot = sec % RATE_WINDOW_S;
    if (this.#secStamp[slot] !== sec) {
      this.#secStamp[slot] = sec;
      this.#secCount[slot] = 0;
    }
    this.#secCount[slot]++;
    this.#lat[this.#latNext] = ms;
    this.#latAt[this.#latNext] = now;
    this.#latNext = (this.#latNext + 1) % LATENCY_SAMPLES;
    if (this.#latFilled < LATENCY_SAMPLES) this.#latFilled++;
    if (status >= 400) {
      if (status >= 500) this.#server++;
      else this.#client++;
      this.#byStatus.set(status, (this.#byStatus.get(status) ?? 0) + 1);
    }
  }

  snapshot(now = Date.now()): RecentSnapshot {
    return {
      requests: { total: this.#total, per_second: this.#rate(now), in_flight: this.inFlight },
      latency_ms: this.#percentiles(now),
      errors: {
        '4xx': this.#client,
        '5xx': this.#server,
        by_status: Object.fromEntries([...this.#byStatus].sort(([a], [b]) => a - b).map(([s, n]) => [String(s), n])),
      },
    };
  }

  #rate(now: number): number {
    const sec = Math.floor(now / 1000);
    let n = 0;
    for (let i = 0; i < RATE_WINDOW_S; i++) if (this.#secStamp[i] > sec - RATE_WINDOW_S) n += this.#secCount[i];
    // The window is the last full seconds plus the current partial one, and never
    // reaches back before the start (a fresh dispatcher is not diluted by empty time).
    const windowMs = Math.min(now - (sec - RATE_WINDOW_S + 1) * 1000, now - this.#startedAt);
    return windowMs <= 0 ? 0 : Math.round((n / (windowMs / 1000)) * 10) / 10;
  }

  #percentiles(now: number): RecentSnapshot['latency_ms'] {
    const recent: number[] = [];
    for (let i = 0; i < this.#latFilled; i++) if (now - this.#latAt[i] <= LATENCY_MAX_AGE_MS) recent.push(this.#lat[i]);
    if (recent.length === 0) return { p50: null, p90: null, p99: null, samples: 0 };
    recent.sort((a, b) => a - b);
    const at = (q: number): number => Math.round(recent[Math.min(recent.length - 1, Math.ceil(q * recent.length) - 1)] * 100) / 100;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), samples: recent.length };
  }
}
