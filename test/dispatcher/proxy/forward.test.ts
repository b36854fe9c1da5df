import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { UpstreamSet } from '../../../src/dispatcher/upstreams/upstream-set.js';
import { RoundRobin } from '../../../src/dispatcher/balance/selection.js';
import { Forwarder, type ForwarderOptions } from '../../../src/dispatcher/proxy/forward.js';
import { upstreamRequest } from '../../../src/dispatcher/proxy/upstream-request.js';
import { pino } from 'pino';
import { httpError } from '../../../src/common/errors.js';
import type { EventLogger } from '../../../src/dispatcher/logger.js';
import { deadAddress, listen, recordingLogger, serveWith, type FrontServer } from '../helpers/front.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A plain node:http client request (no keep-alive), body streamed from `chunks`. */
function send(
  url: string,
  opts: { method?: string; path?: string; headers?: Record<string, string>; chunks?: string[] } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url + (opts.path ?? '/'), { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.chunks) Readable.from(opts.chunks).pipe(req);
    else req.end();
  });
}

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A worker stand-in counting its requests. */
async function upstream(behaviour: Behaviour): Promise<FrontServer & { hits: number }> {
  const s = { hits: 0 };
  const server = http.createServer((req, res) => {
    s.hits++;
    behaviour(req, res);
  });
  const front = await listen(server);
  return Object.defineProperty(front, 'hits', { get: () => s.hits }) as unknown as FrontServer & { hits: number };
}

/** Answers with what it received: method, target, headers and body. */
const echo: Behaviour = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
  });
};

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

/** A forwarder over `addresses` (all marked active) behind a node:http front. */
async function proxy(addresses: string[], options: Partial<ForwarderOptions> = {}) {
  const set = new UpstreamSet();
  for (const a of addresses) set.add(a).markUp();
  const log = recordingLogger();
  const forwarder = new Forwarder({
    upstreams: set,
    policy: new RoundRobin(),
    tryDurationMs: 2000,
    tryIntervalMs: 5,
    upstreamTimeoutMs: 2000,
    logger: log,
    ...options,
  });
  const front = await serveWith((req, res) => forwarder.forward(req, res));
  closers.push(
    () => front.close(),
    () => set.close(),
  );
  return { set, front, log, forwarder };
}

const json = (r: Reply): Record<string, unknown> => JSON.parse(r.body) as Record<string, unknown>;

describe('Forwarder', () => {
  test('round trip: method, target, Host kept, proxy headers added, request id passed', async () => {
    const w = await upstream(echo);
    closers.push(() => w.close());
    const { front, set } = await proxy([w.url]);
    const r = await send(front.url, {
      path: '/fibonacci?num=10&x=%20y',
      headers: { 'x-request-id': 'abc-123', 'x-forwarded-for': '203.0.113.9', forwarded: 'for=203.0.113.9' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-request-id'], 'abc-123');
    const got = json(r) as { method: string; url: string; headers: Record<string, string> };
    assert.equal(got.method, 'GET');
    assert.equal(got.url, '/fibonacci?num=10&x=%20y');
    assert.equal(got.headers.host, `127.0.0.1:${front.port}`);
    assert.equal(got.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(got.headers['x-forwarded-proto'], 'http');
    assert.equal(got.headers.forwarded, 'for=203.0.113.9, for=127.0.0.1;proto=http');
    assert.equal(got.headers['x-request-id'], 'abc-123');
    const u = set.list()[0];
    assert.equal(u.load, 0);
    assert.equal(u.completed, 1);
    assert.ok(u.latency > 0);
  });

  test('hop-by-hop fields are stripped both ways (raw bytes on both sides)', async () => {
    let seen = '';
    const raw = net.createServer((sock) => {
      sock.on('data', (d) => {
        seen += d.toString('latin1');
        if (!seen.includes('\r\n\r\n')) return;
        sock.end(
          'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, X-Hop-Res\r\nX-Hop-Res: secret\r\n' +
            'Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nX-End: kept\r\nDate: Mon, 01 Jan 2001 00:00:00 GMT\r\n\r\nok',
        );
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => raw.close(() => r())));
    const { front } = await proxy([`http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`]);

    const reply = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(front.port, '127.0.0.1');
      let data = '';
      sock.on('data', (d) => (data += d.toString('latin1')));
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
      sock.write(
        'GET /x HTTP/1.1\r\nHost: example.test\r\nConnection: close, X-Hop-Req\r\nX-Hop-Req: 1\r\nKeep-Alive: 300\r\n' +
          'TE: trailers\r\nProxy-Authorization: Basic Zm9v\r\nProxy-Connection: keep-alive\r\nUpgrade: websocket\r\nX-End: yes\r\n\r\n',
      );
    });
    const reqHead = seen.toLowerCase();
    for (const f of ['x-hop-req', 'keep-alive: 300', 'te:', 'proxy-authorization', 'proxy-connection', 'upgrade']) {
      assert.ok(!reqHead.includes(f), `request still has ${f}:\n${seen}`);
    }
    assert.match(reqHead, /\r\nx-end: yes\r\n/);
    assert.match(reqHead, /\r\nhost: example.test\r\n/);
    const resHead = reply.toLowerCase();
    assert.match(resHead, /^http\/1.1 200/);
    assert.match(resHead, /\r\nx-end: kept\r\n/);
    for (const f of ['x-hop-res', 'proxy-connection', 'upgrade', '2001']) {
      assert.ok(!resHead.includes(f), `response still has ${f}:\n${reply}`);
    }
    assert.ok(reply.endsWith('ok'));
  });

  test('a worker field that cannot be forwarded (NUL, bare CR) gives a 502, not a cut connection', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bad: a\0b\r\n\r\nok',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Also-Bad: a\rb\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    ];
    for (const answer of answers) {
      const raw = net.createServer((sock) => {
        sock.on('error', () => {});
        sock.on('data', (d) => {
          if (d.includes('\r\n\r\n')) sock.end(answer);
        });
      });
      await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
      closers.push(() => new Promise((r) => raw.close(() => r())));
      const { front, log } = await proxy([`http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`]);
      const r = await send(front.url, { path: '/x' });
      assert.equal(r.status, 502, r.body);
      const err = json(r).error as { code: string; message: string };
      assert.equal(err.code, 'BAD_GATEWAY');
      assert.match(err.message, /invalid character in header field value/);
      assert.ok(!log.events.some((e) => e.event === 'upstream_failed_mid_response'), 'nothing reached the client before the 502');
    }
  });

  test('streams a chunked POST body up and a chunked response down', async () => {
    const w = await upstream((req, res) => {
      let n = 0;
      let text = '';
      req.on('data', (c: Buffer) => {
        n++;
        text += c.toString();
      });
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'text/plain', 'x-got-te': String(req.headers['transfer-encoding']) });
        // Several writes, no Content-Length: a chunked response.
        for (let i = 0; i < 5; i++) res.write(`part${i}:${text.length};`);
        res.end(`chunks=${n >= 1}`);
      });
    });
    closers.push(() => w.close());
    const { front } = await proxy([w.url]);
    const r = await send(front.url, { method: 'POST', path: '/countwords', chunks: ['hello ', 'world ', 'x'.repeat(100_000)] });
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-got-te'], 'chunked');
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.body, 'part0:100012;part1:100012;part2:100012;part3:100012;part4:100012;chunks=true');
  });

  test('a Content-Length POST is forwarded with its length; HEAD keeps Content-Length', async () => {
    const w = await upstream((req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': '1234' }).end();
        return;
      }
      echo(req, res);
    });
    closers.push(() => w.close());
    const { front } = await proxy([w.url]);
    const r = await send(front.url, { method: 'POST', headers: { 'content-length': '11' }, chunks: ['hello world'] });
    const got = json(r) as { body: string; headers: Record<string, string> };
    assert.equal(got.body, 'hello world');
    assert.equal(got.headers['content-length'], '11');
    const h = await send(front.url, { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], '1234');
    assert.equal(h.body, '');
  });

  test('a dead upstream is retried on a live one and marked down at once', async () => {
    const w = await upstream(echo);
    closers.push(() => w.close());
    const dead = await deadAddress();
    const { front, set, log } = await proxy([dead, w.url]);
    const r = await send(front.url, { method: 'POST', path: '/api', chunks: ['payload'] });
    assert.equal(r.status, 200);
    assert.equal((json(r) as { body: string }).body, 'payload', 'body sent whole to the live worker');
    const d = set.get(dead);
    assert.equal(d?.active, false);
    assert.match(d?.lastError ?? '', /ECONNREFUSED/);
    assert.equal(d?.failed, 1);
    assert.ok(log.events.some((e) => e.event === 'retry' && e.kind === 'connect'));
  });

  test('active but failing upstreams give 502 after the retries', async () => {
    const reset: Behaviour = (req) => req.socket.destroy();
    const a = await upstream(reset);
    const b = await upstream(reset);
    const c = await upstream(reset);
    closers.push(
      () => a.close(),
      () => b.close(),
      () => c.close(),
    );
    const { front, set } = await proxy([a.url, b.url, c.url], { retries: 1 });
    const r = await send(front.url);
    assert.equal(r.status, 502);
    assert.equal((json(r) as { error: { code: string } }).error.code, 'BAD_GATEWAY');
    assert.equal(a.hits + b.hits + c.hits, 2, 'one try + one retry');
    assert.ok(
      set.list().every((u) => u.active),
      'a reset is not a reason to mark down',
    );
  });

  test('every upstream dead: marked down, held, then 503 NO_WORKER with Retry-After', async () => {
    const { front, set, log } = await proxy([await deadAddress(), await deadAddress()], { tryDurationMs: 150 });
    const t0 = performance.now();
    const r = await send(front.url);
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal((json(r) as { error: { code: string } }).error.code, 'NO_WORKER');
    assert.ok(performance.now() - t0 >= 100);
    assert.ok(set.list().every((u) => !u.active && u.failed === 1));
    assert.ok(log.events.some((e) => e.event === 'hold'));
  });

  test('hold: no upstream active, one comes up within tryDuration → answered', async () => {
    const w = await upstream(echo);
    closers.push(() => w.close());
    const { front, set } = await proxy([w.url], { tryDurationMs: 5000 });
    const u = set.list()[0];
    u.markDown('restarting');
    setTimeout(() => u.markUp(), 100);
    const t0 = performance.now();
    const r = await send(front.url, { method: 'POST', chunks: ['kept'] });
    assert.equal(r.status, 200);
    assert.equal((json(r) as { body: string }).body, 'kept');
    assert.ok(performance.now() - t0 >= 90);
  });

  test('hold: past tryDuration → 503 with Retry-After; an empty set holds too', async () => {
    const { front } = await proxy([], { tryDurationMs: 60, retryAfterSeconds: 7 });
    const r = await send(front.url);
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '7');
  });

  test('a GET whose upstream dies before the response head is retried', async () => {
    const dies = await upstream((req) => req.socket.destroy());
    const w = await upstream(echo);
    closers.push(
      () => dies.close(),
      () => w.close(),
    );
    const { front, set } = await proxy([dies.url, w.url]);
    const r = await send(front.url, { path: '/sleep?seconds=0' });
    assert.equal(r.status, 200);
    assert.equal(dies.hits, 1);
    assert.equal(set.get(dies.url)?.failed, 1);
  });

  test('a POST whose upstream resets after receiving the body is not retried → 502', async () => {
    const dies = await upstream((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    const w = await upstream(echo);
    closers.push(
      () => dies.close(),
      () => w.close(),
    );
    const { front } = await proxy([dies.url, w.url]);
    const r = await send(front.url, { method: 'POST', path: '/api/v1/compute/fast', chunks: ['{"number":', '3}'] });
    assert.equal(r.status, 502);
    assert.equal(dies.hits, 1);
    assert.equal(w.hits, 0, 'never replayed');
  });

  test('an upstream that does not answer in time → 504 (a GET is retried once)', async () => {
    // undici's head/body timers tick every ~0.5 s: each timeout here takes 0.5–1 s.
    const a = await upstream(() => {});
    const b = await upstream(() => {});
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    const { front, set } = await proxy([a.url, b.url], { upstreamTimeoutMs: 100, retries: 1 });
    const r = await send(front.url);
    assert.equal(r.status, 504);
    assert.equal((json(r) as { error: { code: string } }).error.code, 'GATEWAY_TIMEOUT');
    assert.equal(a.hits + b.hits, 2);
    assert.ok(set.list().every((u) => u.active && u.failed === 1 && u.load === 0));
  });

  test('an upstream dying mid-body after the head went out cuts the client connection', async () => {
    const w = await upstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const spare = await upstream(echo);
    closers.push(
      () => w.close(),
      () => spare.close(),
    );
    const { front } = await proxy([w.url, spare.url]);
    await assert.rejects(send(front.url), /aborted|socket hang up|ECONNRESET/);
    assert.equal(spare.hits, 0);
  });

  test('a client that goes away aborts the upstream request', async () => {
    let upstreamClosed: () => void = () => {};
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const w = await upstream((_req, res) => {
      res.on('close', () => upstreamClosed());
    });
    closers.push(() => w.close());
    const { front, set } = await proxy([w.url]);
    const req = http.request(`${front.url}/sleep?seconds=60`, { agent: false });
    req.on('error', () => {});
    req.end();
    for (let i = 0; i < 200 && w.hits === 0; i++) await new Promise((r) => setTimeout(r, 5));
    req.destroy();
    await closed;
    const u = set.list()[0];
    for (let i = 0; i < 200 && u.load > 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(u.load, 0);
    assert.equal(u.failed, 0, "not the worker's fault");
  });

  test("the client's own body error (e.g. the engine's 413) is answered as such, not retried", async () => {
    const w = await upstream(echo);
    const spare = await upstream(echo);
    closers.push(
      () => w.close(),
      () => spare.close(),
    );
    const set = new UpstreamSet();
    for (const a of [w.url, spare.url]) set.add(a).markUp();
    closers.push(() => set.close());
    const forwarder = new Forwarder({ upstreams: set, policy: new RoundRobin(), tryDurationMs: 1000 });
    const front = await serveWith((req, res) => {
      const body = new Readable({ read() {} });
      body.push('first bytes');
      setTimeout(() => body.destroy(httpError('PAYLOAD_TOO_LARGE', 'body exceeds 1 MiB')), 20);
      return forwarder.forward({ ...req, body, hasBody: true, contentLength: null }, res);
    });
    closers.push(() => front.close());
    const r = await send(front.url, { method: 'POST', chunks: ['x'] });
    assert.equal(r.status, 413);
    assert.equal((json(r) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
    // The body is taken (up to --proxy-buffer) before a worker is chosen: none was contacted.
    assert.equal(w.hits + spare.hits, 0);
    assert.ok(set.list().every((u) => u.failed === 0 && u.load === 0 && u.active));
  });

  test('a pino logger fits the EventLogger parameter', () => {
    const logger: EventLogger = pino({ enabled: false });
    logger.info({ event: 'x' }, 'typed');
  });

  test('upstreamRequest: the shared helper, via the pool and via the probe connection', async () => {
    const w = await upstream(echo);
    closers.push(() => w.close());
    const set = new UpstreamSet();
    const u = set.add(w.url);
    closers.push(() => set.close());
    for (const via of ['pool', 'probe'] as const) {
      const res = await upstreamRequest(u, {
        method: 'POST',
        path: '/chunk?i=1',
        headers: { 'content-type': 'text/plain' },
        body: 'abc',
        timeoutMs: 1000,
        via,
      });
      assert.equal(res.statusCode, 200);
      assert.equal(((await res.body.json()) as { body: string }).body, 'abc');
    }
  });
});
