/**
 * The codec contract, request side (issue 17, acceptance 1): the same byte streams go to
 * the codec in process (parseHead resumed over the bytes so far, requestFraming, the
 * BodyDecoder) at every split point and byte by byte, and to the engine over a real socket
 * at a sample of split points; both must accept the same requests (method, target, body)
 * and refuse a malformed one with the same status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HttpServer } from '../../src/server/server.js';
import { MALFORMED_REQUESTS, type RequestCase, requestStream, VALID_REQUESTS } from './helpers/request-cases.js';
import { expectedRequests, readRequests, serverReads, startEchoServer } from './helpers/request-readers.js';
import { inLanes } from './helpers/lanes.js';
import { cuts, splitPoints } from './helpers/response-readers.js';

const ALL = [...VALID_REQUESTS, ...MALFORMED_REQUESTS];
const counts = { inProcess: 0, socket: 0 };

function headEnds(c: RequestCase): number[] {
  const out: number[] = [];
  let at = 0;
  for (const w of [...c.requests.map((r) => r.wire), c.bad?.wire ?? '']) {
    out.push(at);
    const blank = w.indexOf('\r\n\r\n');
    if (blank !== -1) out.push(at + blank + 4);
    at += w.length;
  }
  return out;
}

describe('request contract: the codec in process at every split point', () => {
  for (const c of ALL) {
    test(c.name, () => {
      const stream = requestStream(c);
      const expected = expectedRequests(c);
      for (const { label, pieces } of cuts(stream, splitPoints(stream.length, headEnds(c)))) {
        counts.inProcess++;
        assert.deepEqual(readRequests(pieces, c.eof), expected, label);
      }
    });
  }
});

describe('request contract: the engine over a real socket, sampled splits', () => {
  let server: HttpServer;
  let port: number;
  before(async () => ({ server, port } = await startEchoServer()));
  after(() => server.close());

  test('every case', async () => {
    const jobs: Array<() => Promise<void>> = [];
    for (const c of ALL) {
      const stream = requestStream(c);
      const first = headEnds(c)[1] ?? stream.length;
      const splits = [...new Set([0, Math.floor(first / 2), first, stream.length - 1])].filter((k) => k >= 0 && k < stream.length);
      for (const split of splits) {
        jobs.push(async () => {
          counts.socket++;
          assert.deepEqual(await serverReads(port, c, stream, split), expectedRequests(c), `${c.name}, split at ${split}`);
        });
      }
    }
    // A few exchanges at a time: quick, and still real sockets with real timing.
    await inLanes(jobs);
  });

  test('size of the contract', (t) => {
    t.diagnostic(`${ALL.length} streams; ${counts.inProcess} in-process readings; ${counts.socket} socket exchanges`);
    assert.ok(counts.socket > 0);
  });
});
