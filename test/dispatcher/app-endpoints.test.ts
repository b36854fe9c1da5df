/**
 * The dispatcher app's own endpoints (SPEC §5) and what it forwards, over real sockets:
 * an in-process dispatcher in front of two small in-process workers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDispatcher, type Dispatcher } from '../../src/dispatcher/app.js';
import { EventRecorder, startMiniWorker, testDispatcherConfig, waitFor, type MiniWorker } from './helpers/app-worker.js';

const TOKEN = 'endpoints-test-token-0123';
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface ErrorJson {
  error: { code: string; message: string };
  request_id: string;
}

describe('dispatcher endpoints', () => {
  let a: MiniWorker;
  let b: MiniWorker;
  let extra: MiniWorker;
  let d: Dispatcher;
  const log = new EventRecorder();

  before(async () => {
    [a, b, extra] = await Promise.all([startMiniWorker('A'), startMiniWorker('B'), startMiniWorker('X')]);
    d = await startDispatcher(
      testDispatcherConfig(['--upstreams', `${a.url},${b.url}`, '--balance', 'round-robin', '--cluster-token', TOKEN]),
      {
        logger: log,
        jobs: null,
      },
    );
    await waitFor('both workers active', () => (d.upstreams.available().length === 2 ? true : undefined));
  });

  after(async () => {
    await d.close();
    await Promise.all([a.close(), b.close(), extra.close()]);
  });

  test('GET /workers and /monitoring list the seed-paper fields', async () => {
    for (const path of ['/workers', '/monitoring']) {
      const res = await fetch(`${d.url}${path}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const list = (await res.json()) as Array<Record<string, unknown>>;
      assert.equal(list.length, 2);
      const [w1, w2] = list;
      assert.equal(w1.ID, 'w1');
      assert.equal(w1.Address, a.url);
      assert.equal(w2.ID, 'w2');
      assert.equal(w2.Address, b.url);
      for (const w of list) {
        assert.equal(w.Active, true);
        assert.ok(typeof w.LastCheck === 'string' && !Number.isNaN(Date.parse(w.LastCheck)), 'LastCheck is ISO-8601');
        for (const field of ['Load', 'Completed', 'Failed', 'ConsecutiveFailures', 'LatencyMs']) {
          assert.equal(typeof w[field], 'number', field);
        }
      }
    }
  });

  test('POST /workers/register adds once (201, then 200), keeps a given id; deregister is idempotent', async () => {
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${d.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify(body) });

    const first = await post('/workers/register', { address: extra.url, id: 'edge-1' });
    assert.equal(first.status, 201);
    const created = (await first.json()) as { created: boolean; worker: { ID: string; Address: string } };
    assert.equal(created.created, true);
    assert.equal(created.worker.ID, 'edge-1');
    assert.equal(created.worker.Address, extra.url);

    const again = await post('/workers/register', { address: `${extra.url}/` });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { created: boolean }).created, false);
    assert.equal(d.upstreams.size, 3);
    await waitFor('registered worker active', () => (d.upstreams.getById('edge-1')?.active ? true : undefined));

    const gone = await post('/workers/deregister', { address: extra.url });
    assert.equal(gone.status, 200);
    assert.deepEqual(await gone.json(), { removed: true, address: extra.url });
    await waitFor('deregistered worker removed', () => (d.upstreams.size === 2 ? true : undefined));
    const twice = await post('/workers/deregister', { address: extra.url });
    assert.equal(twice.status, 200);
    assert.deepEqual(await twice.json(), { removed: false, address: extra.url });
  });

  test('a registration never evicts an active worker holding the same id; an inactive holder is replaced', async () => {
    const post = async (path: string, body: unknown): Promise<{ created?: boolean; worker?: { ID: string } }> =>
      (await fetch(`${d.url}${path}`, { method: 'POST', headers: AUTH, body: JSON.stringify(body) })).json() as Promise<{
        created?: boolean;
        worker?: { ID: string };
      }>;
    const clash = await post('/workers/register', { address: extra.url, id: 'w1' });
    assert.equal(clash.created, true);
    assert.notEqual(clash.worker?.ID, 'w1');
    assert.equal(d.upstreams.getById('w1')?.address, a.url, 'the active w1 stays');
    await post('/workers/deregister', { address: extra.url });
    await waitFor('removed', () => (d.upstreams.size === 2 ? true : undefined));

    // A dead previous life of a worker (same id, old port) gives way to the new address.
    const old = d.upstreams.add('http://127.0.0.1:9', { id: 'moved-1', source: 'registered' });
    assert.equal(old.active, false);
    const moved = await post('/workers/register', { address: extra.url, id: 'moved-1' });
    assert.equal(moved.worker?.ID, 'moved-1');
    assert.equal(d.upstreams.get('http://127.0.0.1:9'), undefined);
    await post('/workers/deregister', { address: extra.url });
    await waitFor('removed', () => (d.upstreams.size === 2 ? true : undefined));
  });

  test('registration rejects bad bodies with 400 and oversized ones with 413', async () => {
    const cases: Array<[string, string]> = [
      ['not json', '{"address":'],
      ['no address', '{"addr":"http://127.0.0.1:1"}'],
      ['not http', '{"address":"ftp://127.0.0.1:1"}'],
      ['a path', '{"address":"http://127.0.0.1:1/x"}'],
      ['bad id', '{"address":"http://127.0.0.1:1","id":"a b"}'],
    ];
    for (const [name, body] of cases) {
      const res = await fetch(`${d.url}/workers/register`, { method: 'POST', headers: AUTH, body });
      assert.equal(res.status, 400, name);
      const err = (await res.json()) as ErrorJson;
      assert.equal(err.error.code, 'INVALID_BODY', name);
    }
    const big = await fetch(`${d.url}/workers/register`, { method: 'POST', headers: AUTH, body: 'x'.repeat(17 * 1024) });
    assert.equal(big.status, 413);
    assert.equal(d.upstreams.size, 2);
  });

  test('GET /health answers liveness', async () => {
    const res = await fetch(`${d.url}/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.uptime_seconds, 'number');
    assert.ok(typeof body.timestamp === 'string' && !Number.isNaN(Date.parse(body.timestamp)));
  });

  test('GET /metrics has request, upstream, forwarding and process metrics', async () => {
    // Its own traffic, so it holds when run alone: one forwarded request and two of the dispatcher's own routes.
    for (const path of ['/whoami', '/health', '/workers']) await fetch(`${d.url}${path}`).then((r) => r.arrayBuffer());
    const res = await fetch(`${d.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    for (const name of [
      'dhttp_dispatcher_http_requests_total',
      'dhttp_dispatcher_http_request_duration_seconds_bucket',
      'dhttp_dispatcher_retries_total',
      'dhttp_dispatcher_holds_total',
      'dhttp_dispatcher_in_flight_requests',
      'dhttp_upstream_load',
      'dhttp_upstream_completed_total',
      'dhttp_upstream_failed_total',
      'dhttp_upstream_latency_seconds',
      'process_cpu_user_seconds_total',
    ]) {
      assert.ok(text.includes(name), `missing ${name}`);
    }
    assert.ok(text.includes('dhttp_upstream_active{id="w1"} 1'), 'w1 active gauge, labelled by id only');
    assert.ok(text.includes(`dhttp_upstream_info{id="w1",address="${a.url}"} 1`), 'w1 address as an info metric');
    assert.match(text, /dhttp_dispatcher_http_requests_total\{route="forward",status="200"\} [1-9]/);
    assert.match(text, /dhttp_dispatcher_http_requests_total\{route="health",status="200"\} [1-9]/);
    assert.match(text, /dhttp_dispatcher_http_requests_total\{route="workers",status="200"\} [1-9]/);
  });

  test('GET /status summarises workers, throughput, latency, errors and jobs', async () => {
    for (let i = 0; i < 5; i++) await fetch(`${d.url}/whoami`).then((r) => r.arrayBuffer());
    const res = await fetch(`${d.url}/status`);
    assert.equal(res.status, 200);
    const s = (await res.json()) as {
      uptime_seconds: number;
      workers: { total: number; active: number };
      requests: { total: number; per_second: number; in_flight: number };
      latency_ms: { p50: number; p90: number; p99: number };
      errors: Record<string, unknown>;
      jobs: unknown[];
    };
    assert.equal(typeof s.uptime_seconds, 'number');
    assert.deepEqual(s.workers, { total: 2, active: 2 });
    assert.ok(s.requests.total >= 5);
    assert.ok(s.requests.per_second > 0);
    assert.equal(s.requests.in_flight, 1, 'the /status request itself');
    assert.ok(s.latency_ms.p50 > 0 && s.latency_ms.p50 <= s.latency_ms.p90 && s.latency_ms.p90 <= s.latency_ms.p99);
    assert.equal(typeof s.errors['4xx'], 'number');
    assert.equal(typeof s.errors['5xx'], 'number');
    assert.deepEqual(s.jobs, []);
  });

  test("workers' 404 and 405 pass through unchanged; the dispatcher's own paths keep theirs", async () => {
    const notFound = await fetch(`${d.url}/no/such/thing?x=1`, { headers: { 'x-request-id': 'nf-1' } });
    assert.equal(notFound.status, 404);
    assert.ok(['A', 'B'].includes(notFound.headers.get('x-worker') ?? ''), 'answered by a worker');
    assert.deepEqual(await notFound.json(), { error: { code: 'NOT_FOUND', message: 'no route for /no/such/thing' }, request_id: 'nf-1' });

    const wrongMethod = await fetch(`${d.url}/ping`, { method: 'DELETE' });
    assert.equal(wrongMethod.status, 405);
    assert.ok(wrongMethod.headers.get('x-worker'));
    assert.equal(wrongMethod.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.equal(((await wrongMethod.json()) as ErrorJson).error.code, 'METHOD_NOT_ALLOWED');

    const own = await fetch(`${d.url}/workers`, { method: 'DELETE' });
    assert.equal(own.status, 405);
    assert.equal(own.headers.get('x-worker'), null);
    await own.arrayBuffer();
  });

  test('unknown paths, /ping and other methods are forwarded; X-Request-Id goes both ways', async () => {
    const ping = await fetch(`${d.url}/ping`);
    assert.equal(ping.status, 200);
    assert.ok(ping.headers.get('x-worker'));
    assert.equal(((await ping.json()) as { status: string }).status, 'ok');

    const echo = await fetch(`${d.url}/echo`, { method: 'POST', body: 'hello body' });
    assert.equal(echo.status, 200);
    assert.equal(await echo.text(), 'hello body');

    const seen = await fetch(`${d.url}/echo-headers`, { headers: { 'x-request-id': 'trace-42.a:b' } });
    assert.equal(seen.headers.get('x-request-id'), 'trace-42.a:b');
    const body = (await seen.json()) as { headers: Record<string, string> };
    assert.equal(body.headers['x-request-id'], 'trace-42.a:b');
    assert.equal(body.headers['x-forwarded-for'], '127.0.0.1');

    // An invalid client id is replaced, and the worker sees the replacement.
    const minted = await fetch(`${d.url}/echo-headers`, { headers: { 'x-request-id': 'bad id!' } });
    const id = minted.headers.get('x-request-id');
    assert.ok(id && id !== 'bad id!');
    assert.equal(((await minted.json()) as { headers: Record<string, string> }).headers['x-request-id'], id);
  });

  test('round-robin spreads forwarded requests over both workers', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(((await (await fetch(`${d.url}/whoami`)).json()) as { worker: string }).worker);
    assert.deepEqual([...seen].sort(), ['A', 'B']);
  });
});

describe('dispatcher readiness', () => {
  test('/ready is 503 NO_WORKER with Retry-After until a worker is active, then 200', async () => {
    const w = await startMiniWorker('R');
    const d = await startDispatcher(testDispatcherConfig(['--cluster-token', TOKEN]), { jobs: null, defaultMetrics: false });
    try {
      const before = await fetch(`${d.url}/ready`);
      assert.equal(before.status, 503);
      assert.equal(before.headers.get('retry-after'), '1');
      const err = (await before.json()) as ErrorJson;
      assert.equal(err.error.code, 'NO_WORKER');
      assert.equal(err.request_id, before.headers.get('x-request-id'));

      const reg = await fetch(`${d.url}/workers/register`, { method: 'POST', headers: AUTH, body: JSON.stringify({ address: w.url }) });
      assert.equal(reg.status, 201);
      await reg.arrayBuffer();
      const ready = await waitFor('ready', async () => {
        const res = await fetch(`${d.url}/ready`);
        const body: unknown = await res.json();
        return res.status === 200 ? body : undefined;
      });
      assert.deepEqual(ready, { ready: true, active: 1 });
    } finally {
      await d.close();
      await w.close();
    }
  });
});
