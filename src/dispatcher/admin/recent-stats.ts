/**
 * The "right now" numbers of /status and the dashboard: requests in flight, totals by
 * status class, and latency per second. record() runs once per request and only counts:
 * a few additions and one bucket of a log-scale histogram of the current second (no
 * clock read, no allocation). Once a second the history sampler closes that second
 * (roll), which yields its count and percentiles and keeps its histogram for the latency
 * window. Percentiles are therefore always over a time window: an idle dispatcher shows
 * none, not the last burst's.
 */

/** Histogram buckets: 2^(1/8) apart (≈ 9 % wide), from 10 µs up; the last one is open. */
const STEPS_PER_DOUBLING = 8;
const MIN_MS = 0.01;
const BUCKETS = 200;
/** Closed seconds kept for windowed percentiles and the request rate. */
export const WINDOW_SECONDS = 60;

function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const i = Math.ceil(Math.log2(ms / MIN_MS) * STEPS_PER_DOUBLING);
  return i < BUCKETS ? i : BUCKETS - 1;
}

/** The upper bound of bucket i, ms (what a percentile in it is reported as). */
function upperMs(i: number): number {
  return MIN_MS * 2 ** (i / STEPS_PER_DOUBLING);
}

/** The q-quantiles of a histogram holding `count` samples, ms (2 decimals); null when empty. */
function quantiles(hist: Uint32Array, count: number, qs: readonly number[]): Array<number | null> {
  if (count === 0) return qs.map(() => null);
  const out: Array<number | null> = [];
  let acc = 0;
  let i = 0;
  for (const q of qs) {
    const rank = Math.max(1, Math.ceil(q * count));
    while (i < BUCKETS && acc + hist[i] < rank) acc += hist[i++];
    out.push(Math.round(upperMs(Math.min(i, BUCKETS - 1)) * 100) / 100);
  }
  return out;
}

/** One closed second (or the span since the previous roll). */
export interface SecondSummary {
  /** Date.now() at the roll. */
  readonly t: number;
  readonly seconds: number;
  readonly requests: number;
  readonly errors4xx: number;
  readonly errors5xx: number;
  /** 503 answers (no worker, queue full, draining): the overload signal. */
  readonly unavailable: number;
  readonly p50: number | null;
  readonly p99: number | null;
}

export interface RecentSnapshot {
  requests: { total: number; per_second: number; in_flight: number };
  latency_ms: { p50: number | null; p90: number | null; p99: number | null; samples: number; window_seconds: number };
  errors: { '4xx': number; '5xx': number; by_status: Record<string, number> };
}

export class RecentStats {
  /** Where the count of requests being handled now comes from (the engine's). */
  inFlightOf: () => number = () => 0;

  /** Requests whose handler is running now. */
  get inFlight(): number {
    return this.inFlightOf();
  }
  #total = 0;
  #client = 0;
  #server = 0;
  readonly #byStatus = new Map<number, number>();
  // The current second.
  #hist: Uint32Array = new Uint32Array(BUCKETS);
  #count = 0;
  #c4 = 0;
  #c5 = 0;
  #c503 = 0;
  #rolledAt: number;
  // Closed seconds, newest at #next - 1.
  readonly #ring: Uint32Array[] = Array.from({ length: WINDOW_SECONDS }, () => new Uint32Array(BUCKETS));
  readonly #ringCount = new Float64Array(WINDOW_SECONDS);
  readonly #ringAt = new Float64Array(WINDOW_SECONDS).fill(-Infinity);
  readonly #ringTotal = new Float64Array(WINDOW_SECONDS);
  #next = 0;
  readonly #startedAt: number;

  constructor(now = Date.now()) {
    this.#startedAt = now;
    this.#rolledAt = now;
  }

  /** One finished request. */
  record(status: number, ms: number): void {
    this.#total++;
    this.#hist[bucketOf(ms)]++;
    this.#count++;
    if (status >= 400) {
      if (status >= 500) {
        this.#server++;
        this.#c5++;
        if (status === 503) this.#c503++;
      } else {
        this.#client++;
        this.#c4++;
      }
      this.#byStatus.set(status, (this.#byStatus.get(status) ?? 0) + 1);
    }
  }

  /** Requests answered since start. */
  get total(): number {
    return this.#total;
  }

  /** Closes the current second: its summary, and its histogram joins the window. */
  roll(now = Date.now()): SecondSummary {
    const [p50, p99] = quantiles(this.#hist, this.#count, [0.5, 0.99]);
    const summary: SecondSummary = {
      t: now,
      seconds: Math.max(0.001, (now - this.#rolledAt) / 1000),
      requests: this.#count,
      errors4xx: this.#c4,
      errors5xx: this.#c5,
      unavailable: this.#c503,
      p50,
      p99,
    };
    const slot = this.#next;
    const old = this.#ring[slot];
    this.#ring[slot] = this.#hist;
    this.#ringCount[slot] = this.#count;
    this.#ringAt[slot] = now;
    this.#ringTotal[slot] = this.#total;
    this.#next = (slot + 1) % WINDOW_SECONDS;
    old.fill(0);
    this.#hist = old;
    this.#count = 0;
    this.#c4 = 0;
    this.#c5 = 0;
    this.#c503 = 0;
    this.#rolledAt = now;
    return summary;
  }

  /**
   * Totals, the request rate and latency percentiles over the last `windowSeconds`
   * (closed seconds plus the current one).
   */
  snapshot(now = Date.now(), windowSeconds = 10): RecentSnapshot {
    const from = now - windowSeconds * 1000;
    const merged = new Uint32Array(BUCKETS);
    merged.set(this.#hist);
    let samples = this.#count;
    // The rate's base: the total at the oldest roll inside the window, else at start.
    let baseAt = this.#startedAt;
    let baseTotal = 0;
    for (let i = 0; i < WINDOW_SECONDS; i++) {
      const at = this.#ringAt[i];
      if (at <= from) {
        if (at > baseAt) {
          baseAt = at;
          baseTotal = this.#ringTotal[i];
        }
        continue;
      }
      const h = this.#ring[i];
      for (let b = 0; b < BUCKETS; b++) merged[b] += h[b];
      samples += this.#ringCount[i];
    }
    const [p50, p90, p99] = quantiles(merged, samples, [0.5, 0.9, 0.99]);
    const spanMs = now - baseAt;
    return {
      requests: {
        total: this.#total,
        per_second: spanMs <= 0 ? 0 : Math.round(((this.#total - baseTotal) / (spanMs / 1000)) * 10) / 10,
        in_flight: this.inFlight,
      },
      latency_ms: { p50, p90, p99, samples, window_seconds: windowSeconds },
      errors: {
        '4xx': this.#client,
        '5xx': this.#server,
        by_status: Object.fromEntries([...this.#byStatus].sort(([a], [b]) => a - b).map(([s, n]) => [String(s), n])),
      },
    };
  }
}
