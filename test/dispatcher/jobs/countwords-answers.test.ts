/**
 * What the dispatcher does with a worker's answer to a countwords chunk: it asks for
 * word-count lines, adds up lines and (from a worker that does not know them) JSON alike,
 * and refuses an answer that is neither exactly (502), whatever its content type claims.
 * The worker here is a script on a raw socket, so the answers can be anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import { startProcess } from '../../helpers/processes.js';
import { waitFor } from '../helpers/app-worker.js';
import { send } from '../security/helpers.js';

interface Scripted {
  url: string;
  /** The next chunk answers: content type and body. */
  answer: { type: string; body: string };
  /** Accept headers of the chunk requests seen. */
  accepts: string[];
  close(): Promise<void>;
}

async function scriptedWorker(): Promise<Scripted> {
  const sockets = new Set<Socket>();
  const self: Scripted = { url: '', answer: { type: 'application/json', body: '{}' }, accepts: [], close: async () => {} };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.subarray(end + 4 + length);
        if (head.startsWith('GET /ping ')) {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{"status":"ok","load":0}');
          continue;
        }
        self.accepts.push(/\r\naccept: *([^\r]*)/i.exec(head)?.[1] ?? '');
        const body = Buffer.from(self.answer.body);
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${self.answer.type}\r\nContent-Length: ${body.length}\r\n\r\n`);
        socket.write(body);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  self.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return self;
}

test('countwords chunk answers: lines and JSON add up; anything else is a 502', async (t) => {
  const worker = await scriptedWorker();
  t.after(() => worker.close());
  const d = await startProcess('dispatcher', ['--host', '127.0.0.1', '--port', '0', '--upstreams', worker.url, '--log-level', 'error'], {
    context: t,
  });
  await waitFor('ready', async () => ((await send(`${d.url}/ready`)).status === 200 ? true : undefined), 10_000);
  const count = () => send(`${d.url}/countwords`, { method: 'POST', body: 'any text: the script answers', timeoutMs: 30_000 });

  worker.answer = { type: 'application/vnd.dhttp.word-counts', body: 'the 2\ncafé 1\nCAFÉ 1\nx 3\n' };
  let r = await count();
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { café: 2, the: 2, x: 3 });
  assert.match(worker.accepts[0] ?? '', /^application\/vnd\.dhttp\.word-counts\b/);

  // A worker that knows no lines answers JSON.
  worker.answer = { type: 'application/json; charset=utf-8', body: '{"the":2,"x":3}' };
  r = await count();
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { the: 2, x: 3 });

  for (const answer of [
    { type: 'application/vnd.dhttp.word-counts', body: 'the 0\n' },
    { type: 'application/vnd.dhttp.word-counts', body: 'the 2' },
    { type: 'application/vnd.dhttp.word-counts', body: '{"the":2}' },
    { type: 'application/vnd.dhttp.word-counts; charset=utf-8', body: 'two words 1\n' },
    { type: 'application/json', body: 'the 2\n' },
    { type: 'application/json', body: '{"two words":1}' },
    { type: 'application/json', body: '{"the":0}' },
  ]) {
    worker.answer = answer;
    r = await count();
    assert.equal(r.status, 502, `${JSON.stringify(answer)}: ${r.text}`);
  }
});
