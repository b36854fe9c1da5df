/**
 * The dispatcher app around the forwarder: the jobs hook, retries and their log events
 * and counters, and a graceful close that finishes in-flight requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDispatcher } from '../../src/dispatcher/app.js';
import { EventRecorder, startMiniWorker, testDispatcherConfig, waitFor } from './helpers/app-worker.js';

test('routes added by the jobs hook are answered by the dispatcher, labelled jobs/…, and listed on /status', async () => {
  const w = await startMiniWorker('J');
  let release: () => void = () => {};
  const d = await startDispatcher(testDispatcherConfig(['--upstreams', w.url]), {
    defaultMetrics: false,
    jobs: (router, ctx) => {
      router.get('/montecarlo', async (_req, res) => {
        const job = ctx.jobs.begin('montecarlo', 4);
        job.chunkRead({ index: 0, bytes: 0 });
        job.chunkDone(0, 'w1');
        await new Promise<void>((resolve) => (release = resolve));
        job.finish('done');
        res.json(200, { pi: 3.14 });
      });
    },
  });
  try {
    await waitFor('worker active', () => (d.upstreams.available().length === 1 ? true : undefined));
    const pending = fetch(`${d.url}/montecarlo?points=10`);
    const status = await waitFor('job listed', async () => {
      const s = (await (await fetch(`${d.url}/status`)).json()) as { jobs: Array<Record<string, unknown>> };
      return s.jobs.length > 0 ? s : undefined;
    });
    assert.equal(status.jobs.length, 1);
    const job = status.jobs[0];
    assert.equal(job.kind, 'montecarlo');
    assert.equal(job.chunks_done, 1);
    assert.equal(job.chunks_total, 4);
    assert.equal(job.workers_used, 1);
    assert.equal(job.state, 'running');
    assert.ok(typeof job.started_at === 'string' && !Number.isNaN(Date.parse(job.started_at)));
    release();
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-worker'), null, 'not forwarded');
    assert.deepEqual(await res.json(), { pi: 3.14 });
    // Other methods on a job path are the dispatcher's 405, not a worker's.
    const wrong = await fetch(`${d.url}/montecarlo`, { method: 'POST' });
    assert.equal(wrong.status, 405);
    await wrong.arrayBuffer();
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    assert.match(metrics, /dhttp_dispatcher_http_requests_total\{route="jobs\/montecarlo",status="200"\} 1/);
    assert.match(metrics, /dhttp_dispatcher_http_requests_total\{route="jobs\/montecarlo",status="405"\} 1/);
  } finally {
    await d.close();
    await w.close();
  }
});

test('a worker that died between health checks costs a logged, counted retry, not an error', async () => {
  const [a, b] = await Promise.all([startMiniWorker('A'), startMiniWorker('B')]);
  const log = new EventRecorder();
  // A long interval: the dispatcher still believes the dead worker is up when it is asked.
  const d = await startDispatcher(
    testDispatcherConfig(['--upstreams', `${a.url},${b.url}`, '--balance', 'round-robin', '--health-interval', '30s']),
    { logger: log, defaultMetrics: false, jobs: null },
  );
  try {
    await waitFor('both active', () => (d.upstreams.available().length === 2 ? true : undefined));
    await a.close();
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${d.url}/whoami`, { headers: { 'x-request-id': `r-${i}` } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { worker: 'B' });
    }
    const retries = log.named('retry');
    assert.equal(retries.length, 1);
    assert.equal(retries[0].worker, 'w1');
    assert.equal(retries[0].kind, 'connect');
    assert.match(String(retries[0].request_id), /^r-\d$/);
    assert.equal(log.named('upstream_down')[0]?.worker, 'w1', 'passive health marked it down');
    const status = (await (await fetch(`${d.url}/status`)).json()) as { forwarding: { retries: number }; errors: { '5xx': number } };
    assert.equal(status.forwarding.retries, 1);
    assert.equal(status.errors['5xx'], 0);
    assert.match(await (await fetch(`${d.url}/metrics`)).text(), /^dhttp_dispatcher_retries_total 1$/m);
  } finally {
    await d.close();
    await b.close();
  }
});

test('close() lets an in-flight request finish, then refuses new connections', async () => {
  const w = await startMiniWorker('S');
  const d = await startDispatcher(testDispatcherConfig(['--upstreams', w.url, '--shutdown-timeout', '5s']), {
    defaultMetrics: false,
    jobs: null,
  });
  try {
    await waitFor('worker active', () => (d.upstreams.available().length === 1 ? true : undefined));
    const inFlight = fetch(`${d.url}/slow?ms=300`);
    await waitFor('request in flight', () => (d.context.metrics.recent.inFlight === 1 ? true : undefined));
    const closing = d.close();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { worker: 'S' });
    await closing;
    await assert.rejects(fetch(`${d.url}/health`));
  } finally {
    await d.close();
    await w.close();
  }
});
