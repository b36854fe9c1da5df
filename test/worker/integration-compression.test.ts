/**
 * Compression in real processes (acceptance 3): a worker's JSON answers decoded byte-exact
 * with brotli and gzip; the dispatcher compresses its own /dashboard, /status and /workers
 * but passes a worker's answer through as the worker encoded it (never twice); `--compress
 * off` on `dhttp start` reaches its workers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { startProcess, startWorker, type StartedProcess } from '../helpers/processes.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function fetchRaw(url: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Raw> {
  const r = await request(url, { method: body === undefined ? 'GET' : 'POST', headers, body });
  return { status: r.statusCode, headers: r.headers, body: Buffer.from(await r.body.arrayBuffer()) };
}

function decode(r: Raw): Buffer {
  const coding = r.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(r.body);
  if (coding === 'gzip') return gunzipSync(r.body);
  assert.equal(coding, undefined);
  return r.body;
}

/** Text with ~8 000 distinct words: its /countwords map is ~100 KB of JSON. */
function manyWords(): Buffer {
  const words: string[] = [];
  for (let i = 0; i < 8000; i++) words.push(`mot${(i * 7919).toString(36)}`, 'le', 'la');
  return Buffer.from(words.join(' '));
}

const NO_LOGS = { env: { DHTTP_LOG_LEVEL: 'warn' } };

describe('compression, real processes', () => {
  let worker: StartedProcess;
  let dispatcher: StartedProcess;
  let plainCluster: StartedProcess;

  before(async () => {
    worker = await startWorker(['--threads', '1'], NO_LOGS);
    // Dead upstreams beside the live one make /workers longer than the threshold; an idle
    // /status is ~400 bytes, so this dispatcher compresses from 256 bytes up.
    const dead = Array.from({ length: 6 }, (_, i) => `http://127.0.0.1:${9 + i}`).join(',');
    dispatcher = await startProcess(
      'dispatcher',
      ['--host', '127.0.0.1', '--port', '0', '--upstreams', `${worker.url},${dead}`, '--compress-threshold', '256'],
      NO_LOGS,
    );
    plainCluster = await startProcess(
      'start',
      ['--host', '127.0.0.1', '--port', '0', '--workers', '1', '--threads', '1', '--compress', 'off'],
      NO_LOGS,
    );
  });
  after(async () => {
    await Promise.all([worker.stop(), dispatcher.stop(), plainCluster.stop()]);
  });

  it('a ~100 KB JSON answer of the worker decodes byte-exact, brotli and gzip', async () => {
    const body = manyWords();
    const plain = await fetchRaw(`${worker.url}/countwords`, {}, body);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.vary, 'Accept-Encoding');
    assert.ok(plain.body.length > 90_000, `${plain.body.length} bytes`);
    for (const coding of ['br', 'gzip']) {
      const r = await fetchRaw(`${worker.url}/countwords`, { 'accept-encoding': coding }, body);
      assert.equal(r.headers['content-encoding'], coding);
      assert.ok(r.body.length < plain.body.length / 3);
      assert.deepEqual(decode(r), plain.body, coding);
    }
    const fib = await fetchRaw(`${worker.url}/fibonacci?num=10000`);
    const fibBr = await fetchRaw(`${worker.url}/fibonacci?num=10000`, { 'accept-encoding': 'br' });
    assert.equal(fibBr.headers['content-encoding'], 'br');
    assert.deepEqual(decode(fibBr), fib.body);
    const metrics = await fetchRaw(`${worker.url}/metrics`, { 'accept-encoding': 'gzip' });
    assert.equal(metrics.headers['content-encoding'], 'gzip', 'Prometheus asks for gzip');
    assert.match(decode(metrics).toString(), /^# HELP /m);
    // Small answers are left alone and do not vary.
    const ping = await fetchRaw(`${worker.url}/ping`, { 'accept-encoding': 'br' });
    assert.equal(ping.headers['content-encoding'], undefined);
    assert.equal(ping.headers.vary, undefined);
  });

  it('the dispatcher compresses its own pages and JSON', async () => {
    for (const path of ['/dashboard', '/status', '/workers']) {
      const plain = await fetchRaw(`${dispatcher.url}${path}`);
      assert.equal(plain.headers.vary, 'Accept-Encoding', path);
      for (const coding of ['br', 'gzip']) {
        const r = await fetchRaw(`${dispatcher.url}${path}`, { 'accept-encoding': coding });
        assert.equal(r.headers['content-encoding'], coding, path);
        if (path === '/dashboard') assert.deepEqual(decode(r), plain.body);
        else assert.ok(JSON.parse(decode(r).toString()), path);
      }
    }
  });

  it('a forwarded answer passes as the worker encoded it, not compressed again', async () => {
    const direct = await fetchRaw(`${worker.url}/fibonacci?num=10000`);
    for (const coding of ['br', 'gzip']) {
      const r = await fetchRaw(`${dispatcher.url}/fibonacci?num=10000`, { 'accept-encoding': coding });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], coding);
      assert.equal(r.headers.vary, 'Accept-Encoding');
      assert.deepEqual(decode(r), direct.body, 'one decoding gives the JSON');
    }
    const none = await fetchRaw(`${dispatcher.url}/fibonacci?num=10000`);
    assert.equal(none.headers['content-encoding'], undefined);
    assert.deepEqual(none.body, direct.body);
  });

  it('dhttp start --compress off: neither its dispatcher nor its workers compress', async () => {
    for (const path of ['/dashboard', '/status', '/fibonacci?num=10000']) {
      const r = await fetchRaw(`${plainCluster.url}${path}`, { 'accept-encoding': 'br, gzip' });
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-encoding'], undefined, path);
      assert.equal(r.headers.vary, undefined, path);
    }
  });
});
