/**
 * Random and mutated requests through `dhttp start`: the dispatcher parses them, forwards
 * what is valid to a worker over its pool and streams bodies both ways. It must never crash
 * or hang - each connection gets parseable responses or a close - its workers must keep
 * serving, and nothing it forwards may make a worker answer 500.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { ClusterProcess } from '../../bench/cluster-process.js';
import { waitActive } from '../../bench/zero-loss.js';
import { apply, mutation, splitInto } from '../helpers/mutations.js';
import { get, sendRaw } from '../server/helpers/raw-client.js';

const SEEDS = [
  'GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n',
  'POST /api/v1/compute/fast HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"number":12}',
  'POST /api/v1/compute/fast HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nd;e=1\r\n{"number":12}\r\n0\r\nT: 1\r\n\r\n',
  'GET /reverse?text=%41b HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST /countwords HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\na b a',
  'GET http://localhost/toupper?text=x HTTP/1.1\r\nHost: localhost\r\nConnection: close, x-a\r\nX-A: 1\r\nX-Forwarded-For: 192.0.2.1\r\n\r\n',
];

let cluster: ClusterProcess;
let port: number;
before(async () => {
  // Short engine timeouts, so a request a mutation left incomplete is answered (408) or closed quickly.
  cluster = await ClusterProcess.start(2, {
    args: ['--threads', '1', '--header-timeout', '300ms', '--body-timeout', '300ms', '--keep-alive-timeout', '300ms'],
  });
  await waitActive(cluster.url, 2);
  port = Number(new URL(cluster.url).port);
});
after(() => cluster.stop());

function answeredOrClosed(ex: Awaited<ReturnType<typeof sendRaw>>): void {
  assert.ok(ex.closed || ex.responses.length > 0, 'the dispatcher neither answered nor closed within 1.5 s');
  for (const r of ex.responses) {
    assert.ok(r.status >= 200 && r.status < 600);
    assert.notEqual(r.status, 500, `500: ${r.body.toString('latin1').slice(0, 200)}`);
  }
}

test('mutated requests through the dispatcher: parseable responses or a close', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...SEEDS),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 3 }),
      async (seed, muts, splitEvery) => {
        const bytes = muts.reduce<Buffer>((b, m) => apply(b, m), Buffer.from(seed, 'latin1'));
        answeredOrClosed(await sendRaw(port, splitInto(bytes, splitEvery), { timeoutMs: 1500, pauseMs: splitEvery === 0 ? 0 : 1 }));
      },
    ),
    { numRuns: 80 },
  );
  assert.equal((await get(port, '/ping')).status, 200);
});

test('random bytes through the dispatcher: parseable responses or a close', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (arr) => {
      answeredOrClosed(await sendRaw(port, [Buffer.from(arr)], { timeoutMs: 1500 }));
    }),
    { numRuns: 40 },
  );
  assert.equal((await get(port, '/ping')).status, 200);
  // Nothing above took a worker down: both are still active and were never restarted.
  await waitActive(cluster.url, 2, 2000);
  assert.equal(cluster.allPids.size, 2, 'a worker was restarted');
});
