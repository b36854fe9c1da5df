import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { Output } from '../../src/server/output.js';

/** The socket calls an Output makes, in order. */
function fakeSocket() {
  const calls: string[] = [];
  const s = Object.assign(new EventEmitter(), {
    destroyed: false,
    writableEnded: false,
    writableFinished: false,
    write(data: string | Buffer) {
      calls.push(`write ${data.toString()}`);
      return true;
    },
    end() {
      s.writableEnded = true;
      calls.push('end');
    },
  });
  return { socket: s as unknown as Socket, calls };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function gathered(o: Output, text: string): void {
  o.batching = true;
  o.write(text);
  o.batching = false;
}

test('answers gathered in a turn leave together once its input has been read, one write per connection', async () => {
  const a = fakeSocket();
  const b = fakeSocket();
  const oa = new Output(a.socket);
  const ob = new Output(b.socket);
  gathered(oa, 'A1');
  gathered(oa, 'A2');
  oa.flushSoon();
  oa.flushSoon(); // listed once
  gathered(ob, 'B1');
  ob.flushSoon();
  assert.deepEqual([a.calls, b.calls], [[], []], 'nothing is written within the turn');
  await turn();
  assert.deepEqual([a.calls, b.calls], [['write A1A2'], ['write B1']]);
  await turn();
  assert.deepEqual([a.calls, b.calls], [['write A1A2'], ['write B1']], 'and nothing twice');
});

test('a write, an end or a flush before the turn ends sends the gathered answers first, in order', async () => {
  const a = fakeSocket();
  const oa = new Output(a.socket);
  gathered(oa, 'head+body');
  oa.flushSoon();
  oa.write(Buffer.from('more'));
  assert.deepEqual(a.calls, ['write head+body', 'write more']);

  const b = fakeSocket();
  const ob = new Output(b.socket);
  gathered(ob, 'last');
  ob.flushSoon();
  ob.end();
  assert.deepEqual(b.calls, ['write last', 'end']);

  const c = fakeSocket();
  const oc = new Output(c.socket);
  gathered(oc, 'x');
  oc.flushSoon();
  oc.flush();
  gathered(oc, 'y');
  oc.flushSoon();
  await turn();
  assert.deepEqual(c.calls, ['write x', 'write y'], 'flushed early, it is listed again for the next answers');
  await turn();
  assert.deepEqual([a.calls.length, b.calls.length, c.calls.length], [2, 2, 2]);
});

test('a socket destroyed before the turn ends gets no write', async () => {
  const a = fakeSocket();
  const oa = new Output(a.socket);
  gathered(oa, 'lost');
  oa.flushSoon();
  (a.socket as unknown as { destroyed: boolean }).destroyed = true;
  await turn();
  assert.deepEqual(a.calls, []);
});
