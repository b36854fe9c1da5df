/**
 * Acceptance (issue 3, point 2; issue 17): random and mutated requests never crash or hang
 * the server, and each kind of input gets only the statuses it may get (fuzz-kinds.ts):
 * a mutation that changed nothing its seed's, a request cut short its whole requests'
 * then at most a 408, any other mutation only client-fault statuses or the routes' own,
 * random bytes exactly one 400 (or 408) and a close; valid requests of random shape are
 * all answered 200 with their own bodies. The server keeps answering afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { HttpServer } from '../../src/server/server.js';
import { assertStatuses, kindOf, RANDOM_BYTES_STATUSES } from '../helpers/fuzz-kinds.js';
import { apply, mutation, splitInto } from '../helpers/mutations.js';
import { get, sendRaw } from './helpers/raw-client.js';
import { startTestServer } from './helpers/test-app.js';

/** Seeds and the statuses they get unmutated. */
const SEEDS: ReadonlyArray<[string, number[]]> = [
  ['GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n', [200]],
  ['POST /countwords HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\na b a', [200]],
  ['POST /countwords HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\na b a\r\n0\r\nT: 1\r\n\r\n', [200]],
  ['GET /reverse?text=%41b HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n', [200, 200]],
  ['POST /echo HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc', [200]],
];
/** What the test app's routes answer to requests a mutation left well-formed. */
const ROUTE_STATUSES: ReadonlySet<number> = new Set([200]);

let server: HttpServer;
let port: number;
// Short timeouts so a request the mutation left incomplete is answered (408) or closed quickly.
before(async () => ({ server, port } = await startTestServer({ headerTimeoutMs: 300, bodyTimeoutMs: 300, keepAliveTimeoutMs: 300 })));
after(() => server.close());

test('the seeds, unmutated, get their statuses', async () => {
  for (const [seed, statuses] of SEEDS) {
    const ex = await sendRaw(port, [seed], { timeoutMs: 1500, responses: statuses.length });
    assert.deepEqual(
      ex.responses.map((r) => r.status),
      statuses,
      seed,
    );
  }
});

test('mutated requests: the statuses their kind allows, never a hang or crash', async () => {
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
        // parseResponses throws on an unparseable response; the exchange must end (close or idle timeout).
        const ex = await sendRaw(port, splitInto(bytes, splitEvery), { timeoutMs: 1500, pauseMs: splitEvery === 0 ? 0 : 1 });
        assert.ok(ex.closed || ex.responses.length > 0, 'server neither answered nor closed within 1.5 s');
        assertStatuses(
          kind,
          ex.responses.map((r) => r.status),
          statuses,
          ROUTE_STATUSES,
        );
      },
    ),
    { numRuns: 150 },
  );
  assert.ok(kinds.prefix > 0 && kinds.changed > 0, JSON.stringify(kinds));
  assert.equal((await get(port, '/ping')).status, 200);
});

test('random bytes: one refusal, then a close', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (arr) => {
      const ex = await sendRaw(port, [Buffer.from(arr)], { timeoutMs: 1500 });
      assert.ok(ex.closed, 'closed');
      assert.equal(ex.responses.length, 1, `${ex.responses.length} answers`);
      assert.ok(RANDOM_BYTES_STATUSES.has(ex.responses[0].status), `status ${ex.responses[0].status}`);
    }),
    { numRuns: 100 },
  );
  assert.equal((await get(port, '/ping')).status, 200);
});

const token = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), minLength: 1, maxLength: 8 });
const fieldLines = fc.array(
  fc.tuple(token, fc.string({ unit: fc.constantFrom(...'abc xyz,;=/"0123'), maxLength: 12 })).map(([n, v]) => `X-${n}: ${v.trim()}\r\n`),
  { maxLength: 4 },
);
const validRequest = fc.oneof(
  fieldLines.map((f) => ({ wire: `GET /ping HTTP/1.1\r\nHost: localhost\r\n${f.join('')}\r\n`, body: undefined as string | undefined })),
  fc.tuple(fieldLines, fc.uint8Array({ maxLength: 200 })).map(([f, b]) => {
    const body = Buffer.from(b).toString('latin1');
    return { wire: `POST /echo HTTP/1.1\r\nHost: localhost\r\n${f.join('')}Content-Length: ${body.length}\r\n\r\n${body}`, body };
  }),
  fc.tuple(fieldLines, fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 4 })).map(([f, chunks]) => {
    const parts = chunks.map((c) => Buffer.from(c).toString('latin1'));
    const framed = `${parts.map((p) => `${p.length.toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`;
    return {
      wire: `POST /echo HTTP/1.1\r\nHost: localhost\r\n${f.join('')}Transfer-Encoding: chunked\r\n\r\n${framed}`,
      body: parts.join(''),
    };
  }),
);

test('valid requests of random shape, pipelined and split anywhere: every one answered 200 with its own body', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(validRequest, { minLength: 1, maxLength: 4 }), fc.nat(), async (requests, at) => {
      const bytes = Buffer.from(requests.map((r) => r.wire).join(''), 'latin1');
      const k = at % bytes.length;
      const ex = await sendRaw(
        port,
        [bytes.subarray(0, k), bytes.subarray(k)].filter((p) => p.length > 0),
        {
          timeoutMs: 1500,
          responses: requests.length,
          pauseMs: 2,
        },
      );
      assert.deepEqual(
        ex.responses.map((r) => r.status),
        requests.map(() => 200),
      );
      requests.forEach((r, i) => {
        if (r.body !== undefined) assert.equal(ex.responses[i].body.toString('latin1'), r.body);
      });
    }),
    { numRuns: 60 },
  );
});
