/**
 * Log levels (issue 20): per-event chatter at debug, states at info/warn once each. The
 * event sink turns per-request hold lines into one `hold_begin` and one `hold_end`, notices
 * an overload from the 503s of each second, counts what has a metric, and credits chunk
 * retries to their job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSink, OVERLOAD_QUIET_SECONDS } from '../../../src/dispatcher/admin/event-sink.js';
import { RecentStats } from '../../../src/dispatcher/admin/recent-stats.js';
import { JobBoard } from '../../../src/dispatcher/jobs/job-registry.js';
import { UpstreamSet } from '../../../src/dispatcher/upstreams/upstream-set.js';
import { EventRecorder } from '../helpers/app-worker.js';

test('a hold is one warn line when it begins and one info line when a worker is back', () => {
  const set = new UpstreamSet();
  const u = set.add('http://127.0.0.1:7001');
  const sink = new EventSink(set);
  const rec = new EventRecorder();
  const log = sink.wrap(rec);
  const stats = new RecentStats(0);
  for (let i = 0; i < 50; i++) log.warn({ event: 'hold', request_id: `r${i}` }, 'no worker available; holding request');
  log.debug?.({ event: 'chunk_hold', job: 'job-1', chunk: 3 }, 'no worker available; holding chunk');
  sink.tick(stats.roll(1000));
  assert.deepEqual(
    rec.events.filter((e) => e.level !== 'debug').map((e) => [e.level, e.event, e.request_id]),
    [['warn', 'hold_begin', 'r0']],
  );
  assert.equal(rec.named('hold').length, 50, 'each held request is still there, at debug');
  assert.ok(rec.named('hold').every((e) => e.level === 'debug'));
  assert.equal(sink.counts.holds, 50);
  u.markUp();
  sink.tick(stats.roll(2000));
  sink.tick(stats.roll(3000));
  const end = rec.named('hold_end');
  assert.equal(end.length, 1);
  assert.equal(end[0].level, 'info');
  assert.equal(end[0].waited, 51);
});

test('an overload begins with the first second of 503s and ends after a quiet spell, once each', () => {
  const sink = new EventSink(new UpstreamSet());
  const rec = new EventRecorder();
  sink.wrap(rec);
  const stats = new RecentStats(0);
  let t = 0;
  const second = (n503: number): void => {
    for (let i = 0; i < n503; i++) stats.record(503, 1);
    stats.record(200, 1);
    sink.tick(stats.roll((t += 1000)));
  };
  second(0);
  for (let i = 0; i < 4; i++) second(10);
  second(0);
  second(3); // back before the quiet spell ended: the same overload
  for (let i = 0; i < OVERLOAD_QUIET_SECONDS + 2; i++) second(0);
  assert.deepEqual(
    rec.events.map((e) => [e.level, e.event]),
    [
      ['warn', 'overload_begin'],
      ['info', 'overload_end'],
    ],
  );
  assert.equal(rec.named('overload_end')[0].rejected, 43);
});

test('counted events keep their level; chunk retries are credited to their job', () => {
  const jobs = new JobBoard();
  const job = jobs.begin('countwords');
  const sink = new EventSink(new UpstreamSet(), jobs);
  const rec = new EventRecorder();
  const log = sink.wrap(rec);
  log.warn({ event: 'retry', request_id: 'a' });
  log.error({ event: 'no_worker', request_id: 'b' });
  log.error({ event: 'upstream_failed', request_id: 'c' });
  log.warn({ event: 'chunk_retry', job: job.id, chunk: 1 });
  log.warn({ event: 'chunk_retry', job: 'job-unknown', chunk: 1 });
  log.info({ event: 'upstream_up', worker: 'w1' });
  log.debug?.({ event: 'health_check', worker: 'w1' });
  assert.deepEqual(sink.counts, { retries: 1, holds: 0, noWorker: 1, upstreamFailures: 1 });
  assert.deepEqual(
    rec.events.map((e) => [e.level, e.event]),
    [
      ['warn', 'retry'],
      ['error', 'no_worker'],
      ['error', 'upstream_failed'],
      ['warn', 'chunk_retry'],
      ['warn', 'chunk_retry'],
      ['info', 'upstream_up'],
      ['debug', 'health_check'],
    ],
  );
  assert.equal(jobs.list()[0].chunk_retries, 1);
  // A sink without debug (a minimal logger) loses the chatter, nothing else.
  const quiet = new EventSink(new UpstreamSet()).wrap({ info() {}, warn() {}, error() {} });
  assert.doesNotThrow(() => quiet.debug?.({ event: 'chunk_send' }));
});
