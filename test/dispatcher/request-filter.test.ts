/**
 * The dispatcher's request filter (request-filter.ts) on both paths of an in-process
 * dispatcher: each request takes exactly one token, whether the GET/HEAD fast path relays
 * it, declines it (absolute-form target) or never sees it (a body, HTTP/1.0).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDispatcher, type Dispatcher } from '../../src/dispatcher/app.js';
import { VIA_ENTRY } from '../../src/dispatcher/loop-guard.js';
import { type MiniWorker, startMiniWorker, testDispatcherConfig, waitFor } from './helpers/app-worker.js';

/** One request on a fresh connection; the status of its answer. */
function statusOf(port: number, raw: string, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        s.destroy();
        resolve(Number(got.slice(9, 12)));
      }
    });
    s.on('error', reject);
    s.write(raw);
  });
}

describe('request filter', () => {
  let w: MiniWorker;
  let d: Dispatcher;

  before(async () => {
    w = await startMiniWorker('F');
    d = await startDispatcher(testDispatcherConfig(['--upstreams', w.url, '--rate-limit', '0.1', '--rate-burst', '2']), {
      jobs: null,
      defaultMetrics: false,
    });
    await waitFor('worker active', () => (d.upstreams.available().length === 1 ? true : undefined));
  });
  after(async () => {
    await d.close();
    await w.close();
  });

  const cases: Array<[string, string]> = [
    ['fast path', 'GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['declined by the fast path', `GET http://127.0.0.1/whoami HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['with a body', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi'],
    ['HTTP/1.0', 'GET /whoami HTTP/1.0\r\nHost: x\r\n\r\n'],
  ];
  cases.forEach(([name, raw], i) => {
    test(`${name}: one token per request`, async () => {
      const client = `127.0.1.${i + 1}`;
      assert.deepEqual(
        [await statusOf(d.port, raw, client), await statusOf(d.port, raw, client), await statusOf(d.port, raw, client)],
        [200, 200, 429],
      );
    });
  });

  test('our own Via mark is 508 on every path, before the rate limit', async () => {
    const client = '127.0.2.1';
    for (const [name, raw] of cases) {
      // Our mark in an earlier Via line: a proxy after us appended its own.
      const marked = raw.replace('Host: x\r\n', `Host: x\r\nVia: ${VIA_ENTRY}\r\nVia: 1.0 edge\r\n`);
      assert.equal(await statusOf(d.port, marked, client), 508, name);
    }
    assert.equal(await statusOf(d.port, cases[0][1], client), 200, 'refused loops took no token');
  });
});
