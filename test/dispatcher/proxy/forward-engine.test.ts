/** The forwarder behind the real engine (src/http/server.ts), end to end over sockets. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHttpServer } from '../../../src/server/server.js';
import { UpstreamSet } from '../../../src/dispatcher/upstreams/upstream-set.js';
import { RoundRobin } from '../../../src/dispatcher/balance/selection.js';
import { Forwarder } from '../../../src/dispatcher/proxy/forward.js';
import { deadAddress, listen } from '../helpers/front.js';

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

function send(
  port: number,
  method: string,
  path: string,
  chunks?: string[],
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const c of chunks ?? []) req.write(c);
    req.end();
  });
}

async function setup(addresses: string[]) {
  const set = new UpstreamSet();
  for (const a of addresses) set.add(a).markUp();
  const forwarder = new Forwarder({ upstreams: set, policy: new RoundRobin(), tryDurationMs: 100, tryIntervalMs: 5 });
  const errors: unknown[] = [];
  const server = createHttpServer({ onError: (err) => errors.push(err) }, (req, res) => forwarder.forward(req, res));
  const { port } = await server.listen(0, '127.0.0.1');
  closers.push(
    () => server.close(),
    () => set.close(),
  );
  return { port, set, errors };
}

test('engine + forwarder: chunked POST up, chunked answer down, one X-Request-Id', async () => {
  const w = await listen(
    http.createServer((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-request-id': String(req.headers['x-request-id']) });
        res.write('got ');
        res.end(String(n));
      });
    }),
  );
  closers.push(() => w.close());
  const { port } = await setup([w.url]);
  const r = await send(port, 'POST', '/countwords', ['abc', 'x'.repeat(70_000)]);
  assert.equal(r.status, 200);
  assert.equal(r.body, 'got 70003');
  assert.equal(typeof r.headers.date, 'string');
  assert.ok(typeof r.headers['x-request-id'] === 'string' && !r.headers['x-request-id'].includes(','), 'one X-Request-Id');
});

test("engine + forwarder: HEAD keeps the worker's Content-Length", async () => {
  const w = await listen(http.createServer((_req, res) => res.writeHead(200, { 'content-length': '42' }).end()));
  closers.push(() => w.close());
  const { port } = await setup([w.url]);
  const r = await send(port, 'HEAD', '/index.html');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], '42');
});

test('engine + forwarder: no worker → 503 NO_WORKER JSON with Retry-After', async () => {
  const { port, set } = await setup([await deadAddress()]);
  const r = await send(port, 'GET', '/x');
  assert.equal(r.status, 503);
  assert.equal(r.headers['retry-after'], '1');
  assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'NO_WORKER');
  assert.equal(set.list()[0].active, false);
});

test('engine + forwarder: a worker dying mid-body cuts the client connection', async () => {
  const w = await listen(
    http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 20);
    }),
  );
  closers.push(() => w.close());
  const { port, errors } = await setup([w.url]);
  await assert.rejects(send(port, 'GET', '/stream'), /aborted|socket hang up|ECONNRESET/);
  assert.ok(errors.length >= 1, 'logged as a 5xx');
});

test('engine + forwarder: a client leaving while the worker thinks closes the upstream exchange', async () => {
  let workerSawClose!: () => void;
  const closed = new Promise<void>((r) => (workerSawClose = r));
  const w = await listen(
    http.createServer((req) => {
      // Never answers: only the dispatcher giving up ends this exchange.
      req.socket.on('close', () => workerSawClose());
    }),
  );
  closers.push(() => w.close());
  const { port, set } = await setup([w.url]);
  const client = http.request({ host: '127.0.0.1', port, path: '/slow', agent: false });
  client.on('error', () => {});
  client.end();
  await new Promise((r) => client.once('socket', r));
  // Wait until the worker has the request, then the client goes away.
  const upstream = set.list()[0];
  for (let i = 0; i < 200 && upstream.load === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(upstream.load, 1, 'request in flight on the worker');
  // A reset, not a FIN: a half-close after the request is allowed and still gets its answer.
  client.socket?.resetAndDestroy();
  await closed;
  const load = (): number => upstream.load;
  for (let i = 0; i < 200 && load() !== 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(load(), 0, 'the in-flight count is released');
  assert.equal(upstream.failed, 0, 'a client leaving is no failure of the worker');
});
