/**
 * The dispatcher's access log (issue 20): one JSON line per forwarded request, with the
 * client address behind --trusted-proxies, method, target with query, status, bytes both
 * ways, worker, retries, durations and user agent; 499 for a client that left first; a
 * 5xx always written; --access-log-sample thins the rest; --access-log off writes none.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { call } from '../../helpers/http.js';
import { type StartedProcess, startProcess, startWorker } from '../../helpers/processes.js';

type Line = Record<string, unknown>;

function accessLines(p: StartedProcess): Line[] {
  return p.lines
    .map((l) => {
      try {
        return JSON.parse(l) as Line;
      } catch {
        return {};
      }
    })
    .filter((l) => l.msg === 'request' && typeof l.target === 'string');
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the dispatcher's access log", () => {
  let worker: StartedProcess;
  let dispatcher: StartedProcess;

  before(async () => {
    worker = await startWorker(['--threads', '1', '--log-level', 'warn']);
    dispatcher = await startProcess('dispatcher', [
      '--port',
      '0',
      '--upstreams',
      worker.url,
      '--trusted-proxies',
      '127.0.0.0/8',
      '--health-interval',
      '100ms',
    ]);
    for (let i = 0; i < 100 && (await call(`${dispatcher.url}/ready`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  });
  after(async () => {
    await dispatcher.stop();
    await worker.stop();
  });

  test('one line per forwarded request with every field; none for the dispatcher’s own routes', async () => {
    const before = accessLines(dispatcher).length;
    const r = await call(`${dispatcher.url}/fibonacci?num=20`, {
      headers: { 'user-agent': 'probe/1.0', 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'acc-1' },
    });
    assert.equal(r.status, 200);
    await call(`${dispatcher.url}/workers`);
    const post = await call(`${dispatcher.url}/api/v1/compute/fast`, {
      method: 'POST',
      body: '{"number":4}',
      headers: { 'x-request-id': 'acc-2' },
    });
    assert.equal(post.status, 200);
    const lines = await waitFor('two lines', () => {
      const l = accessLines(dispatcher).slice(before);
      return l.length >= 2 ? l : undefined;
    });
    const get = lines.find((l) => l.id === 'acc-1') as Line;
    assert.deepEqual(
      {
        client: get.client,
        method: get.method,
        target: get.target,
        status: get.status,
        worker: get.worker,
        retries: get.retries,
        ua: get.ua,
        bytes_in: get.bytes_in,
      },
      {
        client: '203.0.113.9',
        method: 'GET',
        target: '/fibonacci?num=20',
        status: 200,
        worker: 'w1',
        retries: 0,
        ua: 'probe/1.0',
        bytes_in: 0,
      },
    );
    assert.ok(typeof get.bytes_out === 'number' && get.bytes_out > 10);
    assert.ok(typeof get.ms === 'number' && typeof get.upstream_ms === 'number' && (get.upstream_ms as number) <= (get.ms as number) + 1);
    const p = lines.find((l) => l.id === 'acc-2') as Line;
    assert.equal(p.bytes_in, 12);
    assert.equal(
      lines.filter((l) => String(l.target).startsWith('/workers')).length,
      0,
      'the dispatcher’s own routes are not forwarded requests',
    );
  });

  test('a client that leaves before its answer is logged with 499', async () => {
    const before = accessLines(dispatcher).length;
    const req = http.request(`${dispatcher.url}/sleep?seconds=5`, { headers: { 'x-request-id': 'acc-gone' }, agent: false });
    req.on('error', () => {});
    req.end();
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    const line = await waitFor('the 499 line', () =>
      accessLines(dispatcher)
        .slice(before)
        .find((l) => l.id === 'acc-gone'),
    );
    assert.equal(line.status, 499);
  });
});

test('--access-log off writes none; --access-log-sample keeps a share and every 5xx', async (t) => {
  const worker = await startWorker(['--threads', '1', '--log-level', 'warn'], { context: t });
  const off = await startProcess(
    'dispatcher',
    ['--port', '0', '--upstreams', worker.url, '--access-log', 'off', '--health-interval', '100ms'],
    { context: t },
  );
  const sampled = await startProcess(
    'dispatcher',
    [
      '--port',
      '0',
      '--upstreams',
      worker.url,
      '--access-log-sample',
      '0.1',
      '--health-interval',
      '100ms',
      '--retries',
      '0',
      '--upstream-timeout',
      '400ms',
    ],
    { context: t },
  );
  for (const d of [off, sampled])
    for (let i = 0; i < 100 && (await call(`${d.url}/ready`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < 200; i++) {
    await call(`${off.url}/ping`);
    await call(`${sampled.url}/ping`);
  }
  // A 5xx: a worker slower than --upstream-timeout gives 504.
  const bad = await call(`${sampled.url}/sleep?seconds=2`, { headers: { 'x-request-id': 'acc-5xx' } });
  assert.equal(bad.status, 504);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(accessLines(off).length, 0);
  const kept = accessLines(sampled).filter((l) => l.target === '/ping').length;
  assert.ok(kept > 2 && kept < 60, `about a tenth of 200 kept: ${kept}`);
  const line = accessLines(sampled).find((l) => l.id === 'acc-5xx');
  assert.equal(line?.status, 504, 'every 5xx is written, whatever the sample');
});
