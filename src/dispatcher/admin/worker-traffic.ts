/**
 * What the proxy reports per worker answer: status class, bytes each way and the time to
 * the response head. Keyed by worker ID, so a worker's series go on across its restarts.
 * record() is a Map lookup and a few additions: the hot path never touches prom-client
 * (the collectors in upstream-metrics.ts read these totals at scrape time).
 */
import { BucketCounts, LATENCY_BUCKETS } from '../../common/http-metrics.js';

/** Status classes counted per worker: 1xx … 5xx. */
export const STATUS_CLASSES = Object.freeze(['1xx', '2xx', '3xx', '4xx', '5xx'] as const);

export class WorkerTotals {
  /** Answers by status class (index 0 = 1xx … 4 = 5xx). */
  readonly classes = new Float64Array(5);
  /** Request bytes sent to the worker, response bytes received from it. */
  bytesIn = 0;
  bytesOut = 0;
  /** Time to the response head, seconds. */
  readonly latency: BucketCounts;

  constructor(bounds: Float64Array) {
    this.latency = new BucketCounts(bounds);
  }
}

/** IDs with totals at once; answers of a newer ID beyond this are not counted (bounds memory). */
export const MAX_WORKER_TOTALS = 4096;

export class WorkerTraffic {
  readonly #byId = new Map<string, WorkerTotals>();
  /** Bucket bounds of the latency histograms, seconds. */
  readonly bounds = Float64Array.from(LATENCY_BUCKETS);

  /**
   * One answer of worker `id`: its status, the time to its response head (ms), and the
   * request and response body bytes that went through the dispatcher.
   */
  record(id: string, status: number, headMs: number, bytesIn: number, bytesOut: number): void {
    let t = this.#byId.get(id);
    if (t === undefined) {
      if (this.#byId.size >= MAX_WORKER_TOTALS) return;
      this.#byId.set(id, (t = new WorkerTotals(this.bounds)));
    }
    const cls = Math.floor(status / 100) - 1;
    if (cls >= 0 && cls < 5) t.classes[cls]++;
    t.bytesIn += bytesIn;
    t.bytesOut += bytesOut;
    t.latency.observe(headMs / 1000);
  }

  get(id: string): WorkerTotals | undefined {
    return this.#byId.get(id);
  }

  /** 5xx answers of worker `id` so far. */
  errors5xx(id: string): number {
    return this.#byId.get(id)?.classes[4] ?? 0;
  }

  /** Forgets every ID not in `keep` (IDs no longer listed anywhere). */
  retain(keep: ReadonlySet<string>): void {
    for (const id of this.#byId.keys()) if (!keep.has(id)) this.#byId.delete(id);
  }
}
