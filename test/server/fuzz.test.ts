/**
 * Acceptance (issue 3, point 2): random and mutated requests never crash or hang the
 * server; each connection gets parseable responses or a close, and the server keeps
 * answering a clean request afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { apply, mutation, splitInto } from '../helpers/mutations.js';
import type { HttpServer } from '../../src/server/server.js';
import { get, sendRaw } from './helpers/raw-client.js';
import { startTestServer } from './helpers/test-app.js';

const SEEDS = [
  'GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n',
  'POST /countwords HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\na b a',
  'POST /countwords HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\na b a\r\n0\r\nT: 1\r\n\r\n',
  'GET /reverse?text=%41b HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST /echo HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
];
let server: HttpServer;
let port: number;
// Short timeouts so a request the mutation left incomplete is answered (408) or closed quickly.
before(async () => ({ server, port } = await startTestServer({ headerTimeoutMs: 300, bodyTimeoutMs: 300, keepAliveTimeoutMs: 300 })));
after(() => server.close());

test('mutated requests: parseable responses or a close, never a hang or crash', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...SEEDS),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 3 }),
      async (seed, muts, splitEvery) => {
        const bytes = muts.reduce<Buffer>((b, m) => apply(b, m), Buffer.from(seed, 'latin1'));
        const parts = splitInto(bytes, splitEvery);
        // parseResponses throws on an unparseable response; the exchange must end (close or idle timeout).
        const ex = await sendRaw(port, parts, { timeoutMs: 1500, pauseMs: splitEvery === 0 ? 0 : 1 });
        assert.ok(ex.closed || ex.responses.length > 0, 'server neither answered nor closed within 1.5 s');
        for (const r of ex.responses) assert.ok(r.status >= 200 && r.status < 600);
      },
    ),
    { numRuns: 150 },
  );
  const ok = await get(port, '/ping');
  assert.equal(ok.status, 200);
});

test('random bytes: parseable responses or a close', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (arr) => {
      const ex = await sendRaw(port, [Buffer.from(arr)], { timeoutMs: 1500 });
      assert.ok(ex.closed || ex.responses.length > 0);
      for (const r of ex.responses) assert.ok(r.status >= 200 && r.status < 600);
    }),
    { numRuns: 100 },
  );
  assert.equal((await get(port, '/ping')).status, 200);
});
