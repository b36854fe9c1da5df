/**
 * The parallel-jobs families of the dispatcher's /metrics, read from the job board at
 * scrape time: jobs by kind and outcome, chunks merged and retried, input bytes, and a
 * duration histogram. `kind` takes the job routes' names only (montecarlo, countwords).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { SnapshotHistogram } from '../../common/http-metrics.js';
import { JOB_DURATION_BUCKETS, type JobBoard, type JobKindTotals, type JobOutcome } from '../jobs/job-registry.js';

const OUTCOMES: readonly JobOutcome[] = ['done', 'failed', 'cancelled'];

export function registerJobMetrics(registry: Registry, jobs: JobBoard): void {
  const registers = [registry];
  const perKind = (name: string, help: string, read: (t: JobKindTotals) => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, t] of jobs.totals()) this.inc({ kind }, read(t));
      },
    });
  };
  new Counter({
    name: 'dhttp_jobs_total',
    help: 'Finished parallel jobs by kind and outcome (done, failed, cancelled: the client went away).',
    labelNames: ['kind', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const [kind, t] of jobs.totals()) for (const outcome of OUTCOMES) this.inc({ kind, outcome }, t.outcomes[outcome]);
    },
  });
  perKind('dhttp_job_chunks_total', 'Chunks of finished jobs whose result was merged.', (t) => t.chunks);
  perKind('dhttp_job_chunk_retries_total', 'Chunk attempts of finished jobs that failed and were tried again.', (t) => t.retries);
  perKind('dhttp_job_input_bytes_total', 'Input bytes of finished jobs (a /countwords body or file).', (t) => t.bytes);
  new Gauge({
    name: 'dhttp_jobs_running',
    help: 'Parallel jobs in progress, by kind.',
    labelNames: ['kind'],
    registers,
    collect() {
      this.reset();
      for (const [kind, n] of jobs.running()) this.set({ kind }, n);
    },
  });
  registry.registerMetric(
    new SnapshotHistogram(
      'dhttp_job_duration_seconds',
      'Duration of finished parallel jobs, by kind.',
      ['kind'],
      Float64Array.from(JOB_DURATION_BUCKETS),
      function* () {
        for (const [kind, t] of jobs.totals()) yield [{ kind }, t.duration];
      },
    ),
  );
}
