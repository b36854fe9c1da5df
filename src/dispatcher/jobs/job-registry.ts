/**
 * Parallel jobs as /status, /metrics and /dashboard see them: the running ones with their
 * progress, the last finished ones with result summary, duration and chunk retries, and
 * running totals per kind. The jobs module (src/dispatcher/jobs/) reports into it; the
 * admin side only reads. Kept apart so the status side does not depend on how jobs are
 * split, sent or merged.
 */
import { BucketCounts } from '../../common/http-metrics.js';

export type JobState = 'running' | 'merging' | 'done' | 'failed' | 'cancelled';
export type JobOutcome = 'done' | 'failed' | 'cancelled';

/** A few scalar fields of a job's answer (e.g. pi, total_words): what the dashboard shows. */
export type JobResultSummary = Readonly<Record<string, number | string>>;

/** One job's progress (SPEC §5 `/status` → `jobs[]`). */
export interface JobProgress {
  readonly id: string;
  /** e.g. 'montecarlo', 'countwords'. */
  readonly kind: string;
  /** ISO-8601. */
  readonly started_at: string;
  readonly chunks_done: number;
  /** null while still unknown (a streamed /countwords body). */
  readonly chunks_total: number | null;
  /** Request body bytes read so far (0 for jobs without a body). */
  readonly bytes_in: number;
  /** Distinct workers that ran at least one chunk. */
  readonly workers_used: number;
  /** Chunk attempts that failed and were tried again. */
  readonly chunk_retries: number;
  readonly state: JobState;
}

/** A finished job (`/status` → `finished_jobs[]`). */
export interface FinishedJob extends JobProgress {
  readonly state: JobOutcome;
  /** Unix ms. */
  readonly finished_ms: number;
  readonly duration_ms: number;
  readonly result: JobResultSummary | null;
}

/** Running totals of one job kind, read by /metrics at scrape time. */
export interface JobKindTotals {
  readonly outcomes: Record<JobOutcome, number>;
  chunks: number;
  retries: number;
  bytes: number;
  /** Durations of finished jobs, seconds. */
  readonly duration: BucketCounts;
}

/** Upper bounds (seconds) of the job duration histogram: a small π to a 4 GiB word count. */
export const JOB_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
]);

export interface JobRegistry {
  /** Jobs running now (finished ones may linger briefly so a poller sees them end). */
  list(): JobProgress[];
}

/**
 * The handle a job updates as it goes: a few field writes per chunk. Its first three
 * methods are the jobs runner's `JobProgressSink`, so a tracker can be passed as is.
 */
export interface JobTracker {
  readonly id: string;
  /** A chunk was taken from the source (its bytes are read). */
  chunkRead(chunk: { index: number; bytes: number }): void;
  /** The source is exhausted: the job has `chunks` chunks in all. */
  sourceDone(chunks: number): void;
  /** A unit's result was merged, computed by `workerId`; it carried `weight` chunks. */
  chunkDone(index: number, workerId: string, weight?: number): void;
  setState(state: JobState): void;
  /** The job ended; it leaves the running list after the registry's linger time. */
  finish(state: JobOutcome, result?: JobResultSummary): void;
}

class TrackedJob implements JobTracker {
  readonly id: string;
  readonly kind: string;
  readonly startedAt = new Date();
  readonly #t0 = performance.now();
  chunksDone = 0;
  chunksTotal: number | null;
  bytesIn = 0;
  retries = 0;
  state: JobState = 'running';
  readonly workers = new Set<string>();
  readonly #onFinish: (job: TrackedJob, record: FinishedJob) => void;

  constructor(id: string, kind: string, total: number | null, onFinish: (job: TrackedJob, record: FinishedJob) => void) {
    this.id = id;
    this.kind = kind;
    this.chunksTotal = total;
    this.#onFinish = onFinish;
  }

  chunkRead(chunk: { index: number; bytes: number }): void {
    this.bytesIn += chunk.bytes;
  }

  sourceDone(chunks: number): void {
    this.chunksTotal = chunks;
  }

  chunkDone(_index: number, workerId: string, weight = 1): void {
    this.chunksDone += weight;
    this.workers.add(workerId);
  }

  setState(state: JobState): void {
    this.state = state;
  }

  finish(state: JobOutcome, result?: JobResultSummary): void {
    if (this.state === 'done' || this.state === 'failed' || this.state === 'cancelled') return;
    this.state = state;
    const record: FinishedJob = {
      ...this.toJSON(),
      state,
      finished_ms: Date.now(),
      duration_ms: Math.round(performance.now() - this.#t0),
      result: result ?? null,
    };
    this.#onFinish(this, record);
  }

  toJSON(): JobProgress {
    return {
      id: this.id,
      kind: this.kind,
      started_at: this.startedAt.toISOString(),
      chunks_done: this.chunksDone,
      chunks_total: this.chunksTotal,
      bytes_in: this.bytesIn,
      workers_used: this.workers.size,
      chunk_retries: this.retries,
      state: this.state,
    };
  }
}

export interface JobBoardOptions {
  /** How long a finished job stays in the running list. @default 3000 */
  lingerMs?: number;
  /** Finished jobs kept for /status (the newest). @default 50 */
  keepFinished?: number;
}

/** The in-memory registry the dispatcher creates and hands to the jobs module. */
export class JobBoard implements JobRegistry {
  readonly #jobs = new Map<string, TrackedJob>();
  readonly #lingerMs: number;
  readonly #keep: number;
  /** The newest finished jobs, oldest first, at most `keep`. */
  #finished: FinishedJob[] = [];
  readonly #totals = new Map<string, JobKindTotals>();
  readonly #bounds = Float64Array.from(JOB_DURATION_BUCKETS);
  #next = 1;

  constructor(options: JobBoardOptions = {}) {
    this.#lingerMs = options.lingerMs ?? 3000;
    this.#keep = Math.max(0, options.keepFinished ?? 50);
  }

  begin(kind: string, chunksTotal: number | null = null, id?: string): JobTracker {
    const job = new TrackedJob(id ?? `job-${this.#next++}`, kind, chunksTotal, (j, record) => this.#finish(j, record));
    this.#jobs.set(job.id, job);
    return job;
  }

  list(): JobProgress[] {
    return [...this.#jobs.values()].map((j) => j.toJSON());
  }

  /** Finished jobs newer than `sinceMs` (unix ms), oldest first; all that are kept by default. */
  finished(sinceMs = -Infinity): FinishedJob[] {
    return this.#finished.filter((j) => j.finished_ms > sinceMs);
  }

  /** A chunk of the running job `id` failed and is tried again (no-op for an unknown id). */
  chunkRetried(id: string): void {
    const job = this.#jobs.get(id);
    if (job !== undefined && job.state !== 'done' && job.state !== 'failed' && job.state !== 'cancelled') job.retries++;
  }

  /** Totals per kind of the finished jobs. */
  totals(): ReadonlyMap<string, JobKindTotals> {
    return this.#totals;
  }

  /** Jobs running (or merging) now, per kind. */
  running(): Map<string, number> {
    const out = new Map<string, number>();
    for (const j of this.#jobs.values()) if (j.state === 'running' || j.state === 'merging') out.set(j.kind, (out.get(j.kind) ?? 0) + 1);
    return out;
  }

  #finish(job: TrackedJob, record: FinishedJob): void {
    let t = this.#totals.get(job.kind);
    if (t === undefined) {
      t = { outcomes: { done: 0, failed: 0, cancelled: 0 }, chunks: 0, retries: 0, bytes: 0, duration: new BucketCounts(this.#bounds) };
      this.#totals.set(job.kind, t);
    }
    t.outcomes[record.state]++;
    t.chunks += record.chunks_done;
    t.retries += record.chunk_retries;
    t.bytes += record.bytes_in;
    t.duration.observe(record.duration_ms / 1000);
    if (this.#keep > 0) {
      this.#finished.push(record);
      if (this.#finished.length > this.#keep) this.#finished = this.#finished.slice(-this.#keep);
    }
    const timer = setTimeout(() => this.#jobs.delete(job.id), this.#lingerMs);
    timer.unref();
  }
}
