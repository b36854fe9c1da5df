/** Protocol behaviour of the engine over real sockets. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { HttpServer } from '../../src/server/server.js';
import { get, sendRaw } from './helpers/raw-client.js';
import { abortedSlow, startTestServer } from './helpers/test-app.js';

const H = 'Host: localhost\r\n';
let server: HttpServer;
let port: number;
before(async () => ({ server, port } = await startTestServer()));
after(() => server.close());

test('pipelined responses come back in request order even when the first is slow', async () => {
  const ex = await sendRaw(
    port,
    [`GET /slow?ms=150 HTTP/1.1\r\n${H}\r\nGET /reverse?text=ab HTTP/1.1\r\n${H}\r\nGET /ping HTTP/1.1\r\n${H}\r\n`],
    { responses: 3 },
  );
  assert.deepEqual(
    ex.responses.map((r) => r.body.toString()),
    ['{"slept":true}', '{"text":"ab","result":"ba"}', '{"status":"ok","load":0}'],
  );
});

test('100 Continue is sent only when the handler reads the body', async () => {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const got: string[] = [];
  sock.on('data', (d) => got.push(d.toString()));
  sock.write(`POST /echo HTTP/1.1\r\n${H}Content-Length: 3\r\nExpect: 100-continue\r\n\r\n`);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(got.join(''), 'HTTP/1.1 100 Continue\r\n\r\n');
  sock.write('abc');
  await new Promise((r) => setTimeout(r, 100));
  assert.match(got.join(''), /HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nabc$/);
  sock.destroy();
});

test('a final status before the body closes the connection instead of reading it', async () => {
  const ex = await sendRaw(port, [`POST /nonexistent HTTP/1.1\r\n${H}Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n`]);
  assert.equal(ex.responses[0].status, 404);
  assert.equal(ex.responses[0].headers.connection, 'close');
  assert.ok(ex.closed);
});

test('HEAD gets the same headers as GET and no body', async () => {
  const g = await get(port, '/reverse?text=abc');
  const ex = await sendRaw(port, [`HEAD /reverse?text=abc HTTP/1.1\r\n${H}\r\nGET /ping HTTP/1.1\r\n${H}\r\n`], {
    responses: 2,
    head: (i) => i === 0,
  });
  assert.equal(ex.responses[0].headers['content-length'], g.headers['content-length']);
  assert.equal(ex.responses[0].body.length, 0);
  assert.equal(ex.responses[1].body.toString(), '{"status":"ok","load":0}');
});

test('streamed responses are chunked for HTTP/1.1 and close-delimited for HTTP/1.0', async () => {
  const r11 = await get(port, '/stream?n=3');
  assert.equal(r11.headers['transfer-encoding'], 'chunked');
  assert.equal(r11.body.toString(), 'line 0\nline 1\nline 2\n');
  const r10 = await sendRaw(port, ['GET /stream?n=2 HTTP/1.0\r\n\r\n']);
  assert.equal(r10.responses[0].headers['transfer-encoding'], undefined);
  assert.equal(r10.responses[0].body.toString(), 'line 0\nline 1\n');
  assert.ok(r10.closed);
});

test('X-Request-Id: a sane client id is echoed, anything else replaced', async () => {
  assert.equal((await get(port, '/ping', { 'X-Request-Id': 'abc.DEF:1-2_3' })).headers['x-request-id'], 'abc.DEF:1-2_3');
  const bad = await get(port, '/ping', { 'X-Request-Id': 'has space<>' });
  assert.match(bad.headers['x-request-id'], /^[A-Za-z0-9._:-]{1,128}$/);
  assert.notEqual(bad.headers['x-request-id'], 'has space<>');
  const long = await get(port, '/ping', { 'X-Request-Id': 'a'.repeat(129) });
  assert.notEqual(long.headers['x-request-id'], 'a'.repeat(129));
  const a = await get(port, '/ping');
  const b = await get(port, '/ping');
  assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
});

test('errors are JSON with code, message and the request id; 405 has Allow', async () => {
  const r = await get(port, '/nope', { 'X-Request-Id': 'rid-1' });
  assert.equal(r.status, 404);
  assert.deepEqual(JSON.parse(r.body.toString()), { error: { code: 'NOT_FOUND', message: 'no route for /nope' }, request_id: 'rid-1' });
  const m = await sendRaw(port, [`DELETE /ping HTTP/1.1\r\n${H}Connection: close\r\n\r\n`]);
  assert.equal(m.responses[0].status, 405);
  assert.match(m.responses[0].headers.allow, /GET/);
  assert.equal(JSON.parse(m.responses[0].body.toString()).error.code, 'METHOD_NOT_ALLOWED');
});

test('a crashing handler gives 500 JSON and the connection keeps serving', async () => {
  const ex = await sendRaw(port, [`GET /crash HTTP/1.1\r\n${H}\r\nGET /ping HTTP/1.1\r\n${H}\r\n`], { responses: 2 });
  assert.equal(ex.responses[0].status, 500);
  assert.equal(JSON.parse(ex.responses[0].body.toString()).error.code, 'INTERNAL');
  assert.equal(ex.responses[1].status, 200);
});

test('Date header is present and HTTP-date formatted', async () => {
  const r = await get(port, '/ping');
  assert.match(r.headers.date, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
});

test('a client that half-closes while its answer is worked on has given up: aborted, closed, no answer (as node:http and nginx)', async () => {
  const before = abortedSlow.count;
  const sock = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  sock.on('data', (d) => chunks.push(d));
  sock.end(`GET /slow?ms=50 HTTP/1.1\r\n${H}\r\n`);
  await new Promise((r) => sock.on('close', r));
  assert.equal(Buffer.concat(chunks).length, 0);
  for (let i = 0; i < 100 && abortedSlow.count === before; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(abortedSlow.count, before + 1, 'the handler saw its request aborted');
});

test('a client that half-closes after requests answered at once gets those answers', async () => {
  const sock = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  sock.on('data', (d) => chunks.push(d));
  sock.end(`GET /ping HTTP/1.1\r\n${H}\r\nGET /ping HTTP/1.1\r\n${H}\r\n`);
  await new Promise((r) => sock.on('close', r));
  assert.equal(
    Buffer.concat(chunks)
      .toString()
      .match(/HTTP\/1\.1 200 OK/g)?.length,
    2,
  );
});

test('Connection: close: the server closes once the answer is out, without waiting for the client to close its side', async () => {
  // allowHalfOpen: the client keeps its side open after the server's FIN, as a slow one might.
  const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const chunks: Buffer[] = [];
  sock.on('data', (d) => chunks.push(d));
  sock.write(`GET /ping HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
  await new Promise((r) => sock.once('end', r));
  assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 200 OK[\s\S]*"status":"ok"/);
  // A server still waiting for the client's FIN takes these bytes quietly until its close
  // grace (2 s); one that has closed answers the first that reaches it with a reset.
  const t0 = performance.now();
  let reset = false;
  sock.once('close', () => {
    reset = true;
  });
  sock.on('error', () => {});
  for (let i = 0; i < 20 && !reset; i++) {
    sock.write('x');
    await new Promise((r) => setTimeout(r, 50));
  }
  sock.destroy();
  assert.ok(reset, `still open after ${Math.round(performance.now() - t0)} ms`);
});

test('Connection: close with an answer larger than the socket buffers: every byte arrives before the FIN, however late the client reads', async () => {
  // The server closes at once only when the kernel holds the whole answer; here Node still
  // holds most of it, and closing then would drop it.
  const bytes = 16 * 1024 * 1024;
  const sock = net.connect({ port, host: '127.0.0.1' });
  sock.pause();
  sock.write(`GET /big?bytes=${bytes} HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
  await new Promise((r) => setTimeout(r, 300));
  let got = 0;
  let error: Error | undefined;
  sock.on('data', (d: Buffer) => {
    got += d.length;
  });
  sock.on('error', (err) => {
    error = err;
  });
  const ended = new Promise((r) => sock.once('end', r));
  sock.resume();
  await Promise.race([ended, new Promise((r) => sock.once('close', r))]);
  sock.destroy();
  assert.equal(error, undefined);
  assert.ok(got > bytes && got < bytes + 400, `received ${got} bytes for a body of ${bytes}`);
});

test('graceful shutdown finishes in-flight requests, then closes idle connections', async () => {
  const s = await startTestServer();
  const idle = net.connect(s.port, '127.0.0.1');
  await new Promise((r) => idle.once('connect', r));
  const idleClosed = new Promise((r) => idle.on('close', r));
  const inflight = sendRaw(s.port, [`GET /slow?ms=300 HTTP/1.1\r\n${H}\r\n`], { timeoutMs: 3000 });
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  await s.server.close();
  const ex = await inflight;
  assert.equal(ex.responses[0].status, 200);
  assert.equal(ex.responses[0].headers.connection, 'close');
  await idleClosed;
  assert.ok(Date.now() - t0 < 2000);
  await assert.rejects(() => get(s.port, '/ping'));
});

test('graceful shutdown is bounded by shutdownTimeout', async () => {
  const s = await startTestServer({ shutdownTimeoutMs: 200 });
  const inflight = sendRaw(s.port, [`GET /slow?ms=5000 HTTP/1.1\r\n${H}\r\n`], { timeoutMs: 3000 });
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  await s.server.close();
  assert.ok(Date.now() - t0 < 1000);
  const ex = await inflight;
  assert.ok(ex.closed);
});
