/**
 * The dashboard's memory: one sample per second for the last `capacity` seconds, kept in
 * fixed typed-array rings (nothing grows with traffic): cluster request rate, errors,
 * p50/p99 over that second, requests in flight; and per worker its request rate, error
 * rate, load, CPU, memory and whether it was active. Served by `/status?since=<unix ms>`
 * as columns (one array per series), which keeps a 15-minute answer compact and lets the
 * page append what is new.
 */
import type { SecondSummary } from './recent-stats.js';

/** What the sampler reads of one worker each second (counters are running totals). */
export interface WorkerReading {
  readonly id: string;
  readonly completed: number;
  /** Failed requests plus 5xx answers, running total. */
  readonly errors: number;
  readonly load: number;
  readonly cpu: number | null;
  readonly rss: number | null;
  readonly active: boolean;
}

/** Worker series tracked at once; a newer ID beyond this has no history (bounds memory). */
export const MAX_TRACKED_WORKERS = 1024;

const WORKER_FIELDS = ['rate', 'errors', 'load', 'cpu', 'rss_mb', 'active'] as const;
type WorkerField = (typeof WORKER_FIELDS)[number];

class WorkerRing {
  readonly cols: Record<WorkerField, Float32Array>;
  lastSeen = 0;
  prevCompleted: number;
  prevErrors: number;

  constructor(capacity: number, reading: WorkerReading) {
    this.cols = Object.fromEntries(WORKER_FIELDS.map((f) => [f, new Float32Array(capacity).fill(Number.NaN)])) as Record<
      WorkerField,
      Float32Array
    >;
    this.prevCompleted = reading.completed;
    this.prevErrors = reading.errors;
  }
}

export interface HistoryJSON {
  interval_ms: number;
  /** Samples the server keeps (--status-history in seconds). */
  capacity: number;
  /** Sample times, unix ms. */
  t: number[];
  rps: Array<number | null>;
  errors_4xx: Array<number | null>;
  errors_5xx: Array<number | null>;
  p50_ms: Array<number | null>;
  p99_ms: Array<number | null>;
  in_flight: Array<number | null>;
  /** Per worker ID, the same length as `t`; null where the worker was not known. */
  workers: Record<string, Record<WorkerField, Array<number | null>>>;
}

const CLUSTER_FIELDS = ['rps', 'errors_4xx', 'errors_5xx', 'p50_ms', 'p99_ms', 'in_flight'] as const;
type ClusterField = (typeof CLUSTER_FIELDS)[number];

/** Decimal places each series is served with (what a chart can show). */
const DIGITS: Record<ClusterField | WorkerField, number> = {
  rps: 1,
  errors_4xx: 1,
  errors_5xx: 1,
  p50_ms: 2,
  p99_ms: 2,
  in_flight: 0,
  rate: 1,
  errors: 1,
  load: 0,
  cpu: 3,
  rss_mb: 1,
  active: 0,
};

export class StatusHistory {
  readonly capacity: number;
  readonly #t: Float64Array;
  readonly #cols: Record<ClusterField, Float32Array>;
  readonly #workers = new Map<string, WorkerRing>();
  /** Samples written since start; the newest is at (#n - 1) % capacity. */
  #n = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.#t = new Float64Array(this.capacity);
    this.#cols = Object.fromEntries(CLUSTER_FIELDS.map((f) => [f, new Float32Array(this.capacity)])) as Record<ClusterField, Float32Array>;
  }

  /** The newest sample's time (unix ms), or undefined before the first. */
  get newest(): number | undefined {
    return this.#n === 0 ? undefined : this.#t[(this.#n - 1) % this.capacity];
  }

  add(second: SecondSummary, inFlight: number, workers: Iterable<WorkerReading>): void {
    const slot = this.#n % this.capacity;
    const per = (n: number): number => n / second.seconds;
    this.#t[slot] = second.t;
    const c = this.#cols;
    c.rps[slot] = per(second.requests);
    c.errors_4xx[slot] = per(second.errors4xx);
    c.errors_5xx[slot] = per(second.errors5xx);
    c.p50_ms[slot] = second.p50 ?? Number.NaN;
    c.p99_ms[slot] = second.p99 ?? Number.NaN;
    c.in_flight[slot] = inFlight;
    this.#n++;
    for (const w of workers) {
      let ring = this.#workers.get(w.id);
      if (ring === undefined) {
        if (this.#workers.size >= MAX_TRACKED_WORKERS) continue;
        this.#workers.set(w.id, (ring = new WorkerRing(this.capacity, w)));
      }
      const col = ring.cols;
      // A counter that went backwards is a worker whose history restarted (not carried): no rate this second.
      const done = w.completed - ring.prevCompleted;
      const errs = w.errors - ring.prevErrors;
      col.rate[slot] = done >= 0 ? per(done) : Number.NaN;
      col.errors[slot] = errs >= 0 ? per(errs) : Number.NaN;
      col.load[slot] = w.load;
      col.cpu[slot] = w.cpu ?? Number.NaN;
      col.rss_mb[slot] = w.rss === null ? Number.NaN : w.rss / 1048576;
      col.active[slot] = w.active ? 1 : 0;
      ring.prevCompleted = w.completed;
      ring.prevErrors = w.errors;
      ring.lastSeen = this.#n;
    }
    for (const [id, ring] of this.#workers) {
      if (ring.lastSeen === this.#n) continue;
      // Gone this second: a gap; forgotten once its last point has left the ring.
      if (this.#n - ring.lastSeen >= this.capacity) this.#workers.delete(id);
      else for (const f of WORKER_FIELDS) ring.cols[f][slot] = Number.NaN;
    }
  }

  /** The samples newer than `sinceMs` (unix ms), oldest first: at most `capacity`. */
  since(sinceMs: number): HistoryJSON {
    const kept = Math.min(this.#n, this.capacity);
    const slots: number[] = [];
    for (let k = this.#n - kept; k < this.#n; k++) {
      const slot = k % this.capacity;
      if (this.#t[slot] > sinceMs) slots.push(slot);
    }
    const column = (arr: Float32Array, digits: number): Array<number | null> => {
      const f = 10 ** digits;
      return slots.map((s) => (Number.isNaN(arr[s]) ? null : Math.round(arr[s] * f) / f));
    };
    const out: HistoryJSON = {
      interval_ms: 1000,
      capacity: this.capacity,
      t: slots.map((s) => Math.round(this.#t[s])),
      rps: column(this.#cols.rps, DIGITS.rps),
      errors_4xx: column(this.#cols.errors_4xx, DIGITS.errors_4xx),
      errors_5xx: column(this.#cols.errors_5xx, DIGITS.errors_5xx),
      p50_ms: column(this.#cols.p50_ms, DIGITS.p50_ms),
      p99_ms: column(this.#cols.p99_ms, DIGITS.p99_ms),
      in_flight: column(this.#cols.in_flight, DIGITS.in_flight),
      workers: {},
    };
    if (slots.length === 0) return out;
    for (const [id, ring] of this.#workers) {
      const series = Object.fromEntries(WORKER_FIELDS.map((f) => [f, column(ring.cols[f], DIGITS[f])])) as Record<
        WorkerField,
        Array<number | null>
      >;
      if (series.active.some((v) => v !== null)) out.workers[id] = series;
    }
    return out;
  }
}
