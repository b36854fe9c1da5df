/**
 * Random and mutated requests through `dhttp start`: the dispatcher parses them, forwards
 * what is valid to a worker over its pool and streams bodies both ways. It must never crash
 * or hang, its workers must keep serving, and each kind of input gets only the statuses it
 * may get (fuzz-kinds.ts): a mutation that changed nothing its seed's, a request cut short
 * its whole requests' then at most a 408, any other mutation only client-fault statuses or
 * the routes' own - never a 500, 502, 503 or 504 - and random bytes exactly one 400 (or
 * 408) and a close; valid requests of random shape are all answered 200 with the right result.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { ClusterProcess } from '../../bench/cluster-process.js';
import { waitActive } from '../../bench/zero-loss.js';
import { assertStatuses, kindOf, RANDOM_BYTES_STATUSES } from '../helpers/fuzz-kinds.js';
import { apply, mutation, splitInto } from '../helpers/mutations.js';
import { get, sendRaw } from '../server/helpers/raw-client.js';

/** Seeds and the statuses they get unmutated. */
const SEEDS: ReadonlyArray<[string, number[]]> = [
  ['GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n', [200]],
  [
    'POST /api/v1/compute/fast HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"number":12}',
    [200],
  ],
  [
    'POST /api/v1/compute/fast HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nd;e=1\r\n{"number":12}\r\n0\r\nT: 1\r\n\r\n',
    [200],
  ],
  ['GET /reverse?text=%41b HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n', [200, 200]],
  ['POST /countwords HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\na b a', [200]],
  [
    'GET http://localhost/toupper?text=x HTTP/1.1\r\nHost: localhost\r\nConnection: close, x-a\r\nX-A: 1\r\nX-Forwarded-For: 192.0.2.1\r\n\r\n',
    [200],
  ],
];
/** What the routes answer to requests a mutation left well-formed: files (or their absence, 4xx) and answers. */
const ROUTE_STATUSES: ReadonlySet<number> = new Set([200]);

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

test('the seeds, unmutated, get their statuses', async () => {
  for (const [seed, statuses] of SEEDS) {
    const ex = await sendRaw(port, [seed], { timeoutMs: 3000, responses: statuses.length });
    assert.deepEqual(
      ex.responses.map((r) => r.status),
      statuses,
      seed,
    );
  }
});

test('mutated requests through the dispatcher: the statuses their kind allows', async () => {
  const kinds = { unchanged: 0, prefix: 0, changed: 0 };
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...SEEDS),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 3 }),
      async ([seed, statuses], muts, splitEvery) => {
        const original = Buffer.from(seed, 'latin1');
        const bytes = muts.reduce<Buffer>((b, m) => apply(b, m), original);
        const kind = kindOf(original, bytes);
        kinds[kind]++;
        const ex = await sendRaw(port, splitInto(bytes, splitEvery), { timeoutMs: 1500, pauseMs: splitEvery === 0 ? 0 : 1 });
        assert.ok(ex.closed || ex.responses.length > 0, 'the dispatcher neither answered nor closed within 1.5 s');
        assertStatuses(
          kind,
          ex.responses.map((r) => r.status),
          statuses,
          ROUTE_STATUSES,
        );
      },
    ),
    { numRuns: 80 },
  );
  assert.ok(kinds.changed > 0, JSON.stringify(kinds));
  assert.equal((await get(port, '/ping')).status, 200);
});

test('random bytes through the dispatcher: one refusal, then a close', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (arr) => {
      const ex = await sendRaw(port, [Buffer.from(arr)], { timeoutMs: 1500 });
      assert.ok(ex.closed, 'closed');
      assert.equal(ex.responses.length, 1, `${ex.responses.length} answers`);
      assert.ok(RANDOM_BYTES_STATUSES.has(ex.responses[0].status), `status ${ex.responses[0].status}`);
    }),
    { numRuns: 40 },
  );
  assert.equal((await get(port, '/ping')).status, 200);
});

test('valid requests of random shape through the dispatcher, split anywhere: each answered 200 with its own result', async () => {
  const request = fc.oneof(
    fc.constant({ wire: 'GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n', result: undefined as number | undefined }),
    fc.tuple(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.boolean()).map(([n, chunked]) => {
      const json = JSON.stringify({ number: n });
      const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${json.length}`;
      const body = chunked ? `${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n` : json;
      return { wire: `POST /api/v1/compute/fast HTTP/1.1\r\nHost: localhost\r\n${framing}\r\n\r\n${body}`, result: n * n };
    }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 3 }), fc.nat(), async (requests, at) => {
      const bytes = Buffer.from(requests.map((r) => r.wire).join(''), 'latin1');
      const k = at % bytes.length;
      const ex = await sendRaw(
        port,
        [bytes.subarray(0, k), bytes.subarray(k)].filter((p) => p.length > 0),
        {
          timeoutMs: 3000,
          responses: requests.length,
          pauseMs: 2,
        },
      );
      assert.deepEqual(
        ex.responses.map((r) => r.status),
        requests.map(() => 200),
      );
      requests.forEach((r, i) => {
        if (r.result !== undefined) assert.equal((JSON.parse(ex.responses[i].body.toString()) as { result: number }).result, r.result);
      });
    }),
    { numRuns: 30 },
  );
  // Nothing above took a worker down: both are still active and were never restarted.
  await waitActive(cluster.url, 2, 2000);
  assert.equal(cluster.allPids.size, 2, 'a worker was restarted');
});
