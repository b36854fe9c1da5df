/**
 * The parallel-jobs module of the dispatcher. app.ts loads `registerJobRoutes` from here;
 * the framework is exported for tests and for new kinds of jobs.
 */
export { registerJobRoutes, type JobContext } from './routes.js';
export { runJob, JOB_RUN_DEFAULTS, type JobDefinition, type JobRunOptions, type JobSummary, type JobProgressSink } from './job-runner.js';
export type { ChunkExecutor, JobChunk } from './job-types.js';
export { montecarloJob } from './montecarlo-job.js';
export { countwordsJob } from './countwords-job.js';
