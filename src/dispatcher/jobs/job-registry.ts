/**
 * Running parallel jobs as /status and /dashboard see them. The jobs module
 * (src/dispatcher/jobs/) reports into it; the status route only lists. Kept apart so
 * the status side does not depend on how jobs are split, sent or merged.
 */

export type JobState = 'running' | 'merging' | 'done' | 'failed';

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
  readonly state: JobState;
}

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
  /** The job ended; it leaves the list after the registry's linger time. */
  finish(state: 'done' | 'failed'): void;
}

class TrackedJob implements JobTracker {
  readonly id: string;
  readonly kind: string;
  readonly startedAt = new Date();
  chunksDone = 0;
  chunksTotal: number | null;
  bytesIn = 0;
  state: JobState = 'running';
  readonly workers = new Set<string>();
  readonly #onFinish: (job: TrackedJob) => void;

  constructor(id: string, kind: string, total: number | null, onFinish: (job: TrackedJob) => void) {
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

  finish(state: 'done' | 'failed'): void {
    if (this.state === 'done' || this.state === 'failed') return;
    this.state = state;
    this.#onFinish(this);
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
      state: this.state,
    };
  }
}

/** The in-memory registry the dispatcher creates and hands to the jobs module. */
export class JobBoard implements JobRegistry {
  readonly #jobs = new Map<string, TrackedJob>();
  readonly #lingerMs: number;
  #next = 1;

  /** @param lingerMs how long a finished job stays listed. @default 3000 */
  constructor(lingerMs = 3000) {
    this.#lingerMs = lingerMs;
  }

  begin(kind: string, chunksTotal: number | null = null, id?: string): JobTracker {
    const job = new TrackedJob(id ?? `job-${this.#next++}`, kind, chunksTotal, (j) => {
      const timer = setTimeout(() => this.#jobs.delete(j.id), this.#lingerMs);
      timer.unref();
    });
    this.#jobs.set(job.id, job);
    return job;
  }

  list(): JobProgress[] {
    return [...this.#jobs.values()].map((j) => j.toJSON());
  }
}
