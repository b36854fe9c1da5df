/**
 * The job board behind /status's running and finished jobs and the job metrics: finished
 * jobs keep their result summary, duration and chunk retries, at most `keepFinished` of
 * them, and totals per kind and outcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobBoard } from '../../../src/dispatcher/jobs/job-registry.js';

test('finished jobs: result, duration, retries, outcome; the newest `keepFinished` are kept', async () => {
  const board = new JobBoard({ keepFinished: 3, lingerMs: 10 });
  const a = board.begin('montecarlo', 4);
  a.chunkDone(0, 'w1', 2);
  a.chunkDone(2, 'w2', 2);
  board.chunkRetried(a.id);
  await new Promise((r) => setTimeout(r, 20));
  a.finish('done', { pi: 3.14, total_points: 4000 });
  a.finish('failed'); // a second verdict is ignored
  const [done] = board.finished();
  assert.equal(done.state, 'done');
  assert.deepEqual(done.result, { pi: 3.14, total_points: 4000 });
  assert.equal(done.chunk_retries, 1);
  assert.equal(done.chunks_done, 4);
  assert.equal(done.workers_used, 2);
  assert.ok(done.duration_ms >= 15, `duration ${done.duration_ms}`);
  board.chunkRetried(a.id); // after the end: not counted
  assert.equal(board.finished()[0].chunk_retries, 1);

  const b = board.begin('countwords');
  b.chunkRead({ index: 0, bytes: 1000 });
  b.finish('cancelled');
  for (let i = 0; i < 3; i++) board.begin('countwords').finish('failed');
  const kept = board.finished();
  assert.equal(kept.length, 3);
  assert.deepEqual(
    kept.map((j) => j.state),
    ['failed', 'failed', 'failed'],
  );
  assert.deepEqual(board.finished(kept[1].finished_ms - 1).length >= 2, true);

  const totals = board.totals();
  assert.deepEqual(totals.get('montecarlo')?.outcomes, { done: 1, failed: 0, cancelled: 0 });
  assert.deepEqual(totals.get('countwords')?.outcomes, { done: 0, failed: 3, cancelled: 1 });
  assert.equal(totals.get('countwords')?.bytes, 1000);
  assert.equal(totals.get('montecarlo')?.retries, 1);
  assert.equal(totals.get('montecarlo')?.duration.count, 1);
  // Finished jobs leave the running list after the linger time.
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(board.list(), []);
  assert.equal(board.running().size, 0);
});

test('keepFinished 0 keeps none (totals still count)', () => {
  const board = new JobBoard({ keepFinished: 0 });
  board.begin('montecarlo').finish('done', { pi: 3 });
  assert.deepEqual(board.finished(), []);
  assert.equal(board.totals().get('montecarlo')?.outcomes.done, 1);
});
