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

test('relayed latin1 answers gathered for the end of the turn keep their bytes and their order among UTF-8 answers', async () => {
  const bytes: string[] = [];
  const s = Object.assign(new EventEmitter(), {
    destroyed: false,
    writableEnded: false,
    write(data: string | Buffer, encoding?: BufferEncoding) {
      bytes.push((typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : data).toString('hex'));
      return true;
    },
  });
  const o = new Output(s as unknown as Socket);
  // 0xE9 relayed as one latin1 character; "é" answered by the engine as UTF-8 (c3 a9).
  assert.equal(o.writeLatin1Soon('a\u00e9'), true);
  assert.equal(o.writeLatin1Soon('b'), true);
  assert.deepEqual(bytes, [], 'nothing is written within the turn');
  gathered(o, '\u00e9');
  assert.deepEqual(bytes, ['61e962'], 'UTF-8 text is not joined to latin1 text: what was gathered leaves first');
  o.flushSoon();
  await turn();
  assert.deepEqual(bytes, ['61e962', 'c3a9']);
  gathered(o, 'x');
  o.writeLatin1Soon('\u00ff');
  await turn();
  assert.deepEqual(bytes, ['61e962', 'c3a9', '78', 'ff']);
});
