/**
 * The codec contract, response side (issue 17, acceptance 1): the same byte streams go to
 * every reader of answers - the ResponseDecoder decoding and raw, `dhttp bench`'s parser,
 * the client's promise API over a real socket and the dispatcher's relay over real
 * sockets - and each must come to what the case says: the same statuses and payloads (raw
 * bytes as framed, decoding to the same payload), and every malformed stream refused. The
 * in-process readers get every split point and byte-by-byte delivery; the socket readers a
 * sample of split points (socket-readers.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MALFORMED_RESPONSES, methodsOf, type ResponseCase, streamOf, VALID_RESPONSES } from './helpers/response-cases.js';
import { comparable, cuts, expectedOutcome, IN_PROCESS_READERS, splitPoints } from './helpers/response-readers.js';
import { inLanes } from './helpers/lanes.js';
import { ScriptedWorker, socketSplits, viaClient, viaRelay, RelayFront, expectedOverSocket } from './helpers/socket-readers.js';

const ALL = [...VALID_RESPONSES, ...MALFORMED_RESPONSES];

/** Where each answer starts and its head ends: split points worth covering in a long stream. */
function boundaries(c: ResponseCase): number[] {
  const out: number[] = [];
  let at = 0;
  for (const w of [...c.answers.map((a) => a.wire), c.bad?.wire ?? '']) {
    out.push(at);
    const blank = w.indexOf('\r\n\r\n');
    if (blank !== -1) out.push(at + blank + 4);
    at += w.length;
  }
  return out;
}

const counts = { inProcess: 0, socket: 0 };

describe('response contract: in-process readers at every split point', () => {
  for (const c of ALL) {
    test(c.name, () => {
      const stream = streamOf(c);
      const methods = methodsOf(c);
      const expected = expectedOutcome(c);
      for (const { label, pieces } of cuts(stream, splitPoints(stream.length, boundaries(c)))) {
        for (const [reader, read] of Object.entries(IN_PROCESS_READERS)) {
          const got = read(pieces, methods, c.eof);
          counts.inProcess++;
          const { detail: _detail, ...outcome } = got;
          assert.deepEqual(outcome, comparable(expected, got), `${reader}, ${label}`);
        }
      }
    });
  }
});

describe('response contract: the client and the relay over real sockets, sampled splits', () => {
  let worker: ScriptedWorker;
  let front: RelayFront;
  before(async () => {
    worker = await ScriptedWorker.start();
    front = await RelayFront.start();
  });
  after(async () => {
    await front.close();
    await worker.close();
  });

  for (const [name, via] of [
    ['client (promise API)', viaClient],
    ['relay (Forwarder)', viaRelay],
  ] as const) {
    test(`${name}: every case`, async () => {
      const jobs: Array<() => Promise<void>> = [];
      for (const c of ALL) {
        const expected = expectedOverSocket(c, name.startsWith('relay') ? 'relay' : 'client');
        for (const split of socketSplits(c)) {
          jobs.push(async () => {
            const got = await via(worker, front, c, [split]);
            counts.socket++;
            assert.deepEqual(got.outcome, expected, `${c.name}, split at ${split}: ${got.detail ?? ''}`);
          });
        }
      }
      // A few exchanges at a time: quick, and still real sockets with real timing.
      await inLanes(jobs);
    });
  }

  test('size of the contract', (t) => {
    t.diagnostic(`${ALL.length} streams; ${counts.inProcess} in-process readings; ${counts.socket} socket exchanges`);
    assert.ok(counts.inProcess > 0);
  });
});
