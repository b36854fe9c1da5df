/**
 * Acceptance (1): a real `dhttp worker` process, every endpoint's success case and at
 * least one bad-parameter case, the SPEC §2 error shape, 404/405, X-Worker-Id, metrics.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call, errorOf, type Reply } from '../helpers/http.js';
import { startWorker, type StartedProcess } from '../helpers/processes.js';
import { montecarlo } from '../../src/jobs/montecarlo.js';

let worker: StartedProcess;
let base: string;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dhttp-data-'));
const wwwDir = mkdtempSync(path.join(os.tmpdir(), 'dhttp-www-'));

before(async () => {
  writeFileSync(path.join(wwwDir, 'index.html'), '<h1>hello</h1>');
  writeFileSync(path.join(wwwDir, 'style.css'), 'body{}');
  worker = await startWorker(['--threads', '2', '--data-dir', dataDir, '--www', wwwDir, '--id', 'w-test', '--montecarlo-chunk', '100000']);
  base = worker.url;
});

after(async () => {
  const { code } = await worker.stop();
  assert.equal(code, 0, 'SIGTERM exits 0');
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(wwwDir, { recursive: true, force: true });
});

const get = (p: string): Promise<Reply> => call(`${base}${p}`);

function assertError(r: Reply, status: number, code: string, messagePart?: string): void {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers['content-type'], /^application\/json; charset=utf-8$/);
  const e = errorOf(r);
  assert.ok(e, `error shape: ${r.text}`);
  assert.equal(e.code, code);
  assert.equal(e.request_id, r.headers['x-request-id']);
  if (messagePart !== undefined) assert.ok(e.message.includes(messagePart), `"${e.message}" mentions "${messagePart}"`);
}

describe('worker endpoints (real process)', () => {
  it('announces url, id and pid on stdout', () => {
    assert.equal(worker.listening.id, 'w-test');
    assert.equal(worker.listening.pid, worker.pid);
    assert.match(worker.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('/ping answers status and load, with X-Worker-Id and X-Request-Id', async () => {
    const r = await get('/ping');
    assert.equal(r.status, 200);
    const ping = r.json as { status: string; load: number; cpu: number; rss: number; started: number };
    assert.deepEqual(Object.keys(ping), ['status', 'load', 'cpu', 'rss', 'started']);
    assert.deepEqual([ping.status, ping.load], ['ok', 0]);
    assert.ok(ping.cpu >= 0 && ping.rss > 1e6 && ping.started <= Date.now(), r.text);
    assert.equal(r.headers['x-worker-id'], 'w-test');
    assert.ok(r.headers['x-request-id']);
  });

  it("/ping's load follows the requests in flight (its body is kept only while they repeat)", async () => {
    const load = async (): Promise<number> => ((await get('/ping')).json as { load: number }).load;
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    // CPU and memory fields are sampled at most every 500 ms: after a pause this /ping takes
    // a fresh sample, so for the next 500 ms only the load can change the body.
    await sleep(600);
    const sampled = performance.now();
    assert.equal(await load(), 0);
    const slow = get('/loadtest?tasks=1&sleep=1');
    let seen = 0;
    while (seen === 0 && performance.now() - sampled < 400) {
      seen = await load();
      if (seen === 0) await sleep(5);
    }
    assert.equal(seen, 1, 'the running /loadtest counts');
    assert.equal((await slow).status, 200);
    assert.equal(await load(), 0, 'and stops counting once answered');
  });

  it('/fibonacci: exact BigInt results inline and in the pool; range errors', async () => {
    assert.deepEqual((await get('/fibonacci?num=0')).json, { num: 0, result: '0' });
    assert.deepEqual((await get('/fibonacci?num=90')).json, { num: 90, result: '2880067194370816120' });
    const big = (await get('/fibonacci?num=10000')).json as { result: string };
    assert.equal(big.result.length, 2090);
    let [a, b] = [0n, 1n];
    for (let i = 0; i < 10_000; i++) [a, b] = [b, a + b];
    assert.equal(big.result, a.toString());
    assertError(await get('/fibonacci?num=10001'), 400, 'INVALID_PARAM', '[0, 10000]');
    assertError(await get('/fibonacci?num=abc'), 400, 'INVALID_PARAM', '[0, 10000]');
    assertError(await get('/fibonacci?num=1.5'), 400, 'INVALID_PARAM');
    assertError(await get('/fibonacci'), 400, 'MISSING_PARAM', '[0, 10000]');
  });

  it('/reverse keeps grapheme clusters; text is required', async () => {
    const text = 'ab👍🏽c🇫🇷e\u0301';
    assert.deepEqual((await get(`/reverse?text=${encodeURIComponent(text)}`)).json, { text, result: 'e\u0301🇫🇷c👍🏽ba' });
    assertError(await get('/reverse'), 400, 'MISSING_PARAM', 'text');
  });

  it('/toupper', async () => {
    assert.deepEqual((await get('/toupper?text=stra%C3%9Fe%20abc')).json, { text: 'straße abc', result: 'STRASSE ABC' });
    assertError(await get('/toupper?txt=a'), 400, 'MISSING_PARAM', 'text');
  });

  it('/hash is sha256 of the UTF-8 text', async () => {
    const r = await get('/hash?text=%C3%A9');
    assert.deepEqual(r.json, { algorithm: 'sha256', hash: createHash('sha256').update('é').digest('hex') });
    assertError(await get('/hash'), 400, 'MISSING_PARAM');
  });

  it('/random: count integers within [min, max]; bad ranges', async () => {
    const r = (await get('/random?count=500&min=-5&max=5')).json as { numbers: number[] };
    assert.equal(r.numbers.length, 500);
    assert.ok(r.numbers.every((n) => Number.isInteger(n) && n >= -5 && n <= 5));
    assert.equal(new Set(r.numbers).size, 11, 'every value of a small range shows up in 500 draws');
    const d = (await get('/random')).json as { numbers: number[] };
    assert.ok(d.numbers.length === 1 && d.numbers[0] >= 0 && d.numbers[0] <= 100);
    const wide = (await get('/random?count=10&min=-1000000000000000&max=1000000000000000')).json as { numbers: number[] };
    assert.ok(wide.numbers.every((n) => Number.isSafeInteger(n) && Math.abs(n) <= 1e15));
    assertError(await get('/random?count=0'), 400, 'INVALID_PARAM', '[1, 10000]');
    assertError(await get('/random?count=10001'), 400, 'INVALID_PARAM', '[1, 10000]');
    assertError(await get('/random?min=10&max=1'), 400, 'INVALID_PARAM', 'min');
    assertError(await get('/random?max=1e16'), 400, 'INVALID_PARAM', '[-1e15, 1e15]');
  });

  it('/timestamp', async () => {
    const before = Date.now();
    const r = (await get('/timestamp')).json as { iso: string; unix_ms: number };
    assert.ok(r.unix_ms >= before && r.unix_ms <= Date.now());
    assert.equal(new Date(r.iso).getTime(), r.unix_ms);
    assert.match(r.iso, /Z$/);
    assertError(await call(`${base}/timestamp`, { method: 'POST', body: 'x' }), 405, 'METHOD_NOT_ALLOWED');
  });

  it('/simulate runs in the pool; seconds in (0, 60], task name checked', async () => {
    const r = (await get('/simulate?seconds=0.2&task=job-1')).json as { task: string; seconds: number; elapsed_ms: number };
    assert.equal(r.task, 'job-1');
    assert.equal(r.seconds, 0.2);
    assert.ok(r.elapsed_ms >= 190, `elapsed ${r.elapsed_ms}`);
    assertError(await get('/simulate?seconds=0'), 400, 'INVALID_PARAM', '(0, 60]');
    assertError(await get('/simulate?seconds=61'), 400, 'INVALID_PARAM', '(0, 60]');
    assertError(await get('/simulate?seconds=1&task=bad%20name'), 400, 'INVALID_PARAM', 'task');
    assertError(await get('/simulate'), 400, 'MISSING_PARAM');
  });

  it('/sleep waits without the pool; seconds in [0, 60]', async () => {
    const r = (await get('/sleep?seconds=0.15')).json as { seconds: number; elapsed_ms: number };
    assert.equal(r.seconds, 0.15);
    assert.ok(r.elapsed_ms >= 140);
    assertError(await get('/sleep?seconds=-1'), 400, 'INVALID_PARAM', '[0, 60]');
    assertError(await get('/sleep?seconds=NaN'), 400, 'INVALID_PARAM', '[0, 60]');
  });

  it('/loadtest runs N pool tasks', async () => {
    const r = (await get('/loadtest?tasks=4&sleep=0.05')).json as { tasks: number; sleep: number; elapsed_ms: number; threads: number };
    assert.equal(r.tasks, 4);
    assert.equal(r.sleep, 0.05);
    assert.equal(r.threads, 2);
    assert.ok(r.elapsed_ms >= 90, `2 rounds of 50 ms on 2 threads: ${r.elapsed_ms}`);
    assertError(await get('/loadtest?tasks=1001&sleep=0'), 400, 'INVALID_PARAM', '[1, 1000]');
    assertError(await get('/loadtest?tasks=1&sleep=11'), 400, 'INVALID_PARAM', '[0, 10]');
  });

  it('/createfile, GET /countwords?file=, /deletefile', async () => {
    const c = await get('/createfile?name=notes.txt&content=Don%27t%20stop%20&repeat=3');
    assert.equal(c.status, 201);
    assert.deepEqual(c.json, { name: 'notes.txt', bytes: 33 });
    assert.equal((await get('/countwords?file=notes.txt')).text, '{"don\'t":3,"stop":3}');
    assert.deepEqual((await get('/countwords?file=notes.txt&top=1')).json, {
      total_words: 6,
      unique_words: 2,
      top: [{ word: "don't", count: 3 }],
    });
    assert.deepEqual((await get('/deletefile?name=notes.txt')).json, { name: 'notes.txt', deleted: true });
    assertError(await get('/deletefile?name=notes.txt'), 404, 'FILE_NOT_FOUND');
    assertError(await get('/countwords?file=notes.txt'), 404, 'FILE_NOT_FOUND');
    assertError(await get('/createfile?name=..%2Fescape&content=x'), 400, 'INVALID_NAME');
    assertError(await get('/createfile?name=.hidden&content=x'), 400, 'INVALID_NAME');
    assertError(await get('/createfile?name=a.txt&content=x&repeat=0'), 400, 'INVALID_PARAM', '[1, 1e6]');
    assertError(await get('/createfile?name=a.txt'), 400, 'MISSING_PARAM', 'content');
    assertError(await get(`/createfile?name=big&content=${'0123456789'.repeat(10)}&repeat=1000000`), 413, 'PAYLOAD_TOO_LARGE');
    assertError(await get('/countwords'), 400, 'MISSING_PARAM', 'file');
  });

  it('/montecarlo: seeded results equal the reference job; chunk mode; ranges', async () => {
    const r = (await get('/montecarlo?points=250000&seed=42')).json as Record<string, number>;
    const inside = montecarlo(250_000, 100_000, '42');
    assert.equal(r.inside_count, inside);
    assert.equal(r.total_points, 250_000);
    assert.equal(r.workers, 1);
    assert.equal(r.chunks, 3);
    assert.equal(r.pi, (4 * inside) / 250_000);
    const again = (await get('/montecarlo?points=250000&seed=42')).json as Record<string, number>;
    assert.equal(again.inside_count, inside, 'deterministic');
    const c = (await get('/montecarlo?points=100000&seed=42&chunk=1')).json as Record<string, number>;
    assert.equal(c.chunk, 1);
    assert.equal(c.workers, 1);
    const c0 = (await get('/montecarlo?points=100000&seed=42&chunk=0')).json as Record<string, number>;
    const c2 = (await get('/montecarlo?points=50000&seed=42&chunk=2')).json as Record<string, number>;
    assert.equal(c0.inside_count + c.inside_count + c2.inside_count, inside, 'chunks add up to the whole job');
    const unseeded = (await get('/montecarlo?points=1000')).json as Record<string, number>;
    assert.ok(unseeded.pi > 2 && unseeded.pi < 4);
    assertError(await get('/montecarlo?points=0'), 400, 'INVALID_PARAM', '[1, 1e10]');
    assertError(await get('/montecarlo?points=10000000001'), 400, 'INVALID_PARAM', '[1, 1e10]');
    assertError(await get('/montecarlo?points=10&seed=bad%20seed'), 400, 'INVALID_PARAM', 'seed');
    assertError(await get('/montecarlo?points=10&chunk=-1'), 400, 'INVALID_PARAM', 'chunk');
  });

  it('POST /countwords: Content-Length and chunked; ?top; bad top', async () => {
    const cl = await call(`${base}/countwords`, { method: 'POST', body: 'The cat and THE hat. Don’t 42 42' });
    assert.equal(cl.text, '{"42":2,"and":1,"cat":1,"don’t":1,"hat":1,"the":2}');
    async function* pieces(): AsyncGenerator<Buffer> {
      yield Buffer.from('héllo wor');
      yield Buffer.from([0xc3]);
      yield Buffer.from([0xa9, 0x20]);
      yield Buffer.from('héllo');
    }
    const chunked = await call(`${base}/countwords?top=1`, { method: 'POST', body: pieces() });
    assert.deepEqual(chunked.json, { total_words: 3, unique_words: 2, top: [{ word: 'héllo', count: 2 }] });
    assertError(await call(`${base}/countwords?top=0`, { method: 'POST', body: 'a' }), 400, 'INVALID_PARAM', '[1, 100000]');
  });

  it('POST /api/v1/compute/fast and /intensive', async () => {
    for (const kind of ['fast', 'intensive']) {
      const r = await call(`${base}/api/v1/compute/${kind}`, {
        method: 'POST',
        body: '{"number":12}',
        headers: { 'x-request-id': `req-${kind}` },
      });
      const j = r.json as { request_id: string; result: number; latency_us: number; timestamp: string };
      assert.equal(r.status, 200);
      assert.equal(j.request_id, `req-${kind}`);
      assert.equal(j.result, 144);
      assert.ok(Number.isInteger(j.latency_us) && j.latency_us >= 0);
      assert.ok(!Number.isNaN(Date.parse(j.timestamp)));
      assertError(await call(`${base}/api/v1/compute/${kind}`, { method: 'POST', body: '{"number":' }), 400, 'INVALID_BODY');
      assertError(await call(`${base}/api/v1/compute/${kind}`, { method: 'POST', body: '{"number":"7"}' }), 400, 'INVALID_BODY');
      assertError(await call(`${base}/api/v1/compute/${kind}`, { method: 'POST', body: '{"number":1e13}' }), 400, 'INVALID_BODY', '1e12');
      assertError(await call(`${base}/api/v1/compute/${kind}`, { method: 'POST', body: 'x'.repeat(70_000) }), 413, 'PAYLOAD_TOO_LARGE');
      assertError(await get(`/api/v1/compute/${kind}`), 405, 'METHOD_NOT_ALLOWED');
    }
  });

  it('/status, /health, /help', async () => {
    const s = (await get('/status')).json as Record<string, unknown>;
    assert.equal(s.pid, worker.pid);
    assert.equal(s.id, 'w-test');
    assert.equal(s.in_flight, 0);
    assert.ok(typeof s.uptime_seconds === 'number' && typeof s.connections === 'number' && typeof s.requests_served === 'number');
    assert.deepEqual(Object.keys(s.pool as object).sort(), ['active', 'completed', 'queued', 'threads']);
    assert.ok((s.memory as { rss: number }).rss > 0);
    const h = (await get('/health')).json as Record<string, unknown>;
    assert.equal(h.status, 'ok');
    assert.ok(typeof h.uptime_seconds === 'number' && typeof h.timestamp === 'string');
    const help = (await get('/help')).json as { endpoints: Array<{ path: string; params?: Record<string, string> }> };
    const paths = help.endpoints.map((e) => e.path);
    for (const p of [
      '/fibonacci',
      '/reverse',
      '/toupper',
      '/hash',
      '/random',
      '/timestamp',
      '/simulate',
      '/sleep',
      '/loadtest',
      '/createfile',
      '/deletefile',
      '/status',
      '/help',
      '/ping',
      '/health',
      '/metrics',
      '/montecarlo',
      '/countwords',
      '/api/v1/compute/fast',
      '/api/v1/compute/intensive',
    ])
      assert.ok(paths.includes(p), p);
    assert.match(help.endpoints.find((e) => e.path === '/fibonacci')?.params?.num ?? '', /\[0, 10000\]/);
    assertError(await call(`${base}/status`, { method: 'POST', body: '' }), 405, 'METHOD_NOT_ALLOWED');
  });

  it('/metrics: Prometheus text with routes (patterns only), latency, pool, connections, process', async () => {
    await get('/no/such/path/123');
    const r = await get('/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(r.text, /dhttp_worker_http_requests_total\{route="\/ping",status="200",worker="w-test"\} \d+/);
    assert.match(r.text, /dhttp_worker_http_requests_total\{route="not_found",status="404"/);
    assert.match(r.text, /dhttp_worker_http_request_duration_seconds_bucket\{route="\/fibonacci",le="\+Inf"/);
    assert.match(r.text, /dhttp_worker_http_request_duration_seconds_count\{route="\/simulate"/);
    assert.match(r.text, /dhttp_worker_pool_threads\{worker="w-test"\} 2/);
    assert.match(r.text, /dhttp_worker_open_connections/);
    assert.match(r.text, /^process_resident_memory_bytes\{worker="w-test"\} \d+/m);
    assert.match(r.text, /^dhttp_build_info\{version="[^"]+",node="v\d+[^"]*",worker="w-test"\} 1$/m);
    assert.ok(!r.text.includes('/no/such/path'), 'raw paths never become labels');
  });

  it('static files for any other GET/HEAD; 404 JSON; 405 with Allow', async () => {
    const idx = await get('/');
    assert.equal(idx.status, 200);
    assert.equal(idx.text, '<h1>hello</h1>');
    assert.match(idx.headers['content-type'], /^text\/html/);
    assert.equal(idx.headers['x-worker-id'], 'w-test');
    const css = await call(`${base}/style.css`, { method: 'HEAD' });
    assert.equal(css.status, 200);
    assert.equal(css.text, '');
    assertError(await get('/missing.html'), 404, 'NOT_FOUND');
    assertError(await call(`${base}/nope`, { method: 'POST', body: 'x' }), 404, 'NOT_FOUND');
    const del = await call(`${base}/ping`, { method: 'DELETE' });
    assertError(del, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(del.headers.allow, 'GET, HEAD, OPTIONS');
    assert.equal(del.headers['x-worker-id'], 'w-test', 'error responses carry X-Worker-Id too');
  });

  it('logs one JSON line per request with id, method, path, status, bytes, duration', async () => {
    await get('/ping?log-probe=1');
    await new Promise((r) => setTimeout(r, 200));
    const line = worker.lines
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      })
      .find((o) => o.msg === 'request' && o.path === '/ping' && o.status === 200);
    assert.ok(line, 'a request line');
    for (const k of ['id', 'method', 'path', 'status', 'bytes', 'ms']) assert.ok(k in line, k);
  });
});
