/**
 * Acceptance 1 (issue 20): `promtool check metrics` passes on the dispatcher's /metrics, on
 * a worker's, and on the worker's relayed through `/workers/<id>/metrics`; the default Node
 * metrics have the ecosystem's names in both processes; every per-worker series of the
 * dispatcher is labelled by `id` only. Skipped (with a message) only where promtool
 * cannot be installed; see helpers.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDispatcher } from '../../../src/dispatcher/app.js';
import { call } from '../../helpers/http.js';
import { startWorker } from '../../helpers/processes.js';
import { testDispatcherConfig, waitFor } from '../helpers/app-worker.js';
import { checkMetrics, promtool, sample } from './helpers.js';

test('promtool accepts the dispatcher, a worker, and the worker through /workers/<id>/metrics', async (t) => {
  const cmd = promtool(t);
  if (cmd === undefined) return;
  const w = await startWorker(['--threads', '1', '--id', 'wa'], { context: t });
  const d = await startDispatcher(testDispatcherConfig(['--upstreams', w.url]));
  t.after(() => d.close());
  await waitFor('worker active', () => (d.upstreams.available().length === 1 ? true : undefined), 10_000);

  // Something in every family: forwarded answers, a 404, a job, a history sample.
  for (let i = 0; i < 10; i++) assert.equal((await call(`${d.url}/fibonacci?num=${i}`)).status, 200);
  assert.equal((await call(`${d.url}/no-such-page`)).status, 404);
  assert.equal((await call(`${d.url}/montecarlo?points=2000&seed=7`)).status, 200);
  // A POST with a body, for the request byte counter.
  assert.equal((await call(`${d.url}/api/v1/compute/fast`, { method: 'POST', body: '{"number":3}' })).status, 200);
  d.context.metrics.sample();

  const dispatcher = await call(`${d.url}/metrics`);
  const worker = await call(`${w.url}/metrics`);
  const relayed = await call(`${d.url}/workers/w1/metrics`);
  assert.equal(relayed.status, 200);
  assert.match(relayed.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  for (const [name, text] of [
    ['dispatcher', dispatcher.text],
    ['worker', worker.text],
    ['worker through the dispatcher', relayed.text],
  ]) {
    const r = await checkMetrics(cmd, text);
    assert.equal(r.code, 0, `promtool check metrics on the ${name}'s /metrics:\n${r.output}`);
    t.diagnostic(`promtool: ${name} clean (${text.split('\n').length} lines)`);
    assert.doesNotMatch(text, /^nodejs_active_\w+_total/m, `${name}: the _total gauges are gone`);
  }

  const d1 = dispatcher.text;
  assert.match(d1, /^process_cpu_user_seconds_total \d/m);
  assert.match(d1, /^nodejs_heap_size_used_bytes \d/m);
  assert.match(d1, /^nodejs_active_handles\{type="\w+"\} \d/m);
  assert.match(d1, /^dhttp_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+\.\d+\.\d+"\} 1$/m);
  assert.match(worker.text, /^process_cpu_user_seconds_total\{worker="wa"\} \d/m);
  assert.match(worker.text, /^dhttp_build_info\{version="[^"]+",node="v[^"]+",worker="wa"\} 1$/m);
  assert.doesNotMatch(worker.text, /dhttp_worker_process_|dhttp_worker_nodejs_/, 'no prefixed default metrics');
  assert.match(relayed.text, /^dhttp_worker_http_requests_total\{route="\/fibonacci",status="200",worker="wa"\} \d+$/m);

  // Per-worker series: labelled by id only; the address is the info metric's.
  const upstreamLines = d1.split('\n').filter((l) => l.startsWith('dhttp_upstream_'));
  assert.ok(upstreamLines.length > 20, upstreamLines.join('\n'));
  for (const line of upstreamLines) {
    if (line.startsWith('dhttp_upstream_info{')) assert.equal(line, `dhttp_upstream_info{id="w1",address="${w.url}"} 1`);
    else assert.doesNotMatch(line, /address=/, line);
  }
  assert.equal(sample(d1, 'dhttp_upstream_completed_total{id="w1"}'), 13, "ten answers, a 404, the POST and the job's one chunk");
  assert.equal(sample(d1, 'dhttp_upstream_restarts_total{id="w1"}'), 0);
  assert.equal(sample(d1, 'dhttp_upstream_down_seconds_total{id="w1"}'), 0);
  // The forwarder reports every relayed answer: ten /fibonacci and the POST (2xx), the 404.
  assert.equal(sample(d1, 'dhttp_upstream_responses_total{id="w1",class="2xx"}'), 11);
  assert.equal(sample(d1, 'dhttp_upstream_responses_total{id="w1",class="4xx"}'), 1);
  assert.equal(sample(d1, 'dhttp_upstream_responses_total{id="w1",class="5xx"}'), 0);
  assert.equal(sample(d1, 'dhttp_upstream_request_bytes_total{id="w1"}'), 12);
  assert.ok((sample(d1, 'dhttp_upstream_response_bytes_total{id="w1"}') ?? 0) > 200);
  assert.equal(sample(d1, 'dhttp_upstream_response_head_seconds_bucket{id="w1",le="+Inf"}'), 12);
  assert.equal(sample(d1, 'dhttp_upstream_response_head_seconds_count{id="w1"}'), 12);
  assert.equal(sample(d1, 'dhttp_jobs_total{kind="montecarlo",outcome="done"}'), 1);
  assert.equal(sample(d1, 'dhttp_job_chunks_total{kind="montecarlo"}'), 1);
  assert.equal(sample(d1, 'dhttp_job_duration_seconds_count{kind="montecarlo"}'), 1);
});
