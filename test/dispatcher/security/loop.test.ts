/**
 * Issue 16, loops: a request that already passed through this dispatcher is refused with
 * 508 instead of being forwarded again. The loop here goes through a relay (a proxy that
 * sends everything but health checks back to the dispatcher, as a misconfigured front
 * proxy or a registered address that leads back would), on both forwarding paths: GET (the
 * pass-through fast path) and POST with a body (the Forwarder).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProcess, startWorker } from '../../helpers/processes.js';
import { waitFor } from '../helpers/app-worker.js';
import { errorCode, send, workerRows } from './helpers.js';

interface Relay {
  url: string;
  /** Via field of every relayed request, in order. */
  vias: string[];
  target: string;
  close(): Promise<void>;
}

async function relay(): Promise<Relay> {
  const r: Relay = { url: '', vias: [], target: '', close: async () => {} };
  const server = http.createServer((req, res) => {
    if (req.url === '/ping') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","load":0}');
      return;
    }
    r.vias.push(String(req.headers.via));
    const headers = { ...req.headers };
    delete headers.connection;
    const up = http.request(`${r.target}${req.url}`, { method: req.method, headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  r.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return r;
}

test('a request that comes back through a relay gets 508 LOOP_DETECTED on both forwarding paths', async (t) => {
  const loop = await relay();
  t.after(() => loop.close());
  const d = await startProcess('dispatcher', ['--host', '127.0.0.1', '--port', '0', '--upstreams', loop.url, '--log-level', 'warn'], {
    context: t,
  });
  loop.target = d.url;
  await waitFor('relay active', async () => ((await workerRows(d.url))[0]?.Active ? true : undefined), 10_000);

  const get = await send(`${d.url}/anything?x=1`, { headers: { via: '1.0 corporate-proxy' } });
  assert.equal(get.status, 508);
  assert.equal(errorCode(get), 'LOOP_DETECTED');
  const post = await send(`${d.url}/api/v1/compute/fast`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"number":3}',
  });
  assert.equal(post.status, 508);
  assert.equal(errorCode(post), 'LOOP_DETECTED');

  // Each went round once: the dispatcher's mark was added after what the client sent, then it stopped.
  assert.equal(loop.vias.length, 2, `relayed ${loop.vias.length} times`);
  assert.match(loop.vias[0], /^1\.0 corporate-proxy, 1\.1 dhttp-[A-Za-z0-9_-]{16}$/);
  assert.match(loop.vias[1], /^1\.1 dhttp-[A-Za-z0-9_-]{16}$/);
});

test("another proxy's Via, or another dispatcher's mark, is forwarded normally", async (t) => {
  const w = await startWorker(['--threads', '1', '--log-level', 'warn'], { context: t });
  const d = await startProcess('dispatcher', ['--host', '127.0.0.1', '--port', '0', '--upstreams', w.url, '--log-level', 'warn'], {
    context: t,
  });
  await waitFor('worker active', async () => ((await workerRows(d.url))[0]?.Active ? true : undefined), 10_000);
  for (const via of ['1.1 edge', '1.1 dhttp-AAAAAAAAAAAAAAAA, 1.1 other', '1.1 xdhttp-AAAAAAAAAAAAAAAA']) {
    assert.equal((await send(`${d.url}/ping`, { headers: { via } })).status, 200, via);
    assert.equal((await send(`${d.url}/api/v1/compute/fast`, { method: 'POST', headers: { via }, body: '{"number":2}' })).status, 200, via);
  }
});
