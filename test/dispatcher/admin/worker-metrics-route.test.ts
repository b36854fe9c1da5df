/**
 * `/workers/<id>/metrics` at its limits: a worker's /metrics of exactly
 * --worker-metrics-max-bytes is relayed whole, one byte more is a 502 (declared length or
 * streamed), a worker slower than --worker-metrics-timeout is a 504, a worker error a 502,
 * and an unknown id a 404. The fake worker is an engine server on a real socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHttpServer } from '../../../src/server/server.js';
import { startDispatcher } from '../../../src/dispatcher/app.js';
import { call, errorOf } from '../../helpers/http.js';
import { testDispatcherConfig, waitFor } from '../helpers/app-worker.js';

type Mode = { kind: 'length' | 'chunked'; bytes: number } | { kind: 'slow'; ms: number } | { kind: 'error' };

test('/workers/<id>/metrics: size cap and timeout at their edges, errors, unknown ids', async (t) => {
  let mode: Mode = { kind: 'length', bytes: 10 };
  const worker = createHttpServer({ onError: () => {}, shutdownTimeoutMs: 200 }, async (req, res) => {
    if (req.path === '/ping') return res.json(200, { status: 'ok', load: 0 });
    const m = mode;
    if (m.kind === 'slow') {
      await sleep(m.ms);
      return res.send(200, 'late 1\n', 'text/plain');
    }
    if (m.kind === 'error') return res.json(500, { error: 'boom' });
    const body = Buffer.alloc(m.bytes, 'x');
    if (m.kind === 'length') return res.send(200, body, 'text/plain');
    res.setHeader('Content-Type', 'text/plain');
    // Chunked and in two parts: no length declared, and the head comes before the whole
    // body, so the cap is found while reading the stream.
    res.write(body.subarray(0, 100));
    await sleep(30);
    res.write(body.subarray(100));
    res.end();
  });
  const addr = await worker.listen(0, '127.0.0.1');
  const d = await startDispatcher(
    testDispatcherConfig([
      '--upstreams',
      `http://127.0.0.1:${addr.port}`,
      '--worker-metrics-max-bytes',
      '1KiB',
      '--worker-metrics-timeout',
      '300ms',
    ]),
    { jobs: null, defaultMetrics: false },
  );
  t.after(async () => {
    await d.close();
    await worker.close();
  });
  await waitFor('worker active', () => (d.upstreams.available().length === 1 ? true : undefined));
  const get = () => call(`${d.url}/workers/w1/metrics`);

  for (const kind of ['length', 'chunked'] as const) {
    mode = { kind, bytes: 1024 };
    const ok = await get();
    assert.equal(ok.status, 200, `${kind}: exactly the cap`);
    assert.equal(ok.text, 'x'.repeat(1024));
    assert.match(ok.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    mode = { kind, bytes: 1025 };
    const big = await get();
    assert.equal(big.status, 502, `${kind}: one byte over`);
    assert.equal(errorOf(big)?.code, 'BAD_GATEWAY');
    assert.match(errorOf(big)?.message ?? '', /worker-metrics-max-bytes/);
  }

  mode = { kind: 'slow', ms: 1000 };
  const started = performance.now();
  const slow = await get();
  assert.equal(slow.status, 504);
  assert.equal(errorOf(slow)?.code, 'GATEWAY_TIMEOUT');
  assert.ok(performance.now() - started < 900, 'answered at the timeout, not when the worker finished');

  mode = { kind: 'error' };
  const failed = await get();
  assert.equal(failed.status, 502);
  assert.match(errorOf(failed)?.message ?? '', /answered 500/);

  mode = { kind: 'length', bytes: 10 };
  assert.equal((await get()).status, 200, 'a worker that recovered is relayed again');
  for (const id of ['w9', 'W1', 'w1.sock', '%00']) {
    const r = await call(`${d.url}/workers/${id}/metrics`);
    assert.equal(r.status, 404, id);
    assert.equal(errorOf(r)?.code, 'NOT_FOUND');
  }
});
