/**
 * The dispatcher's GET/HEAD fast path (src/dispatcher/pass-through.ts) end to end: a real
 * dispatcher in front of scripted workers on raw sockets, so the bytes each side sees are
 * checked exactly, and the hand-back to the Forwarder on every failure it covers.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import fc from 'fast-check';
import { startDispatcher, type Dispatcher } from '../../../src/dispatcher/app.js';
import { EventRecorder, startMiniWorker, testDispatcherConfig, waitFor } from '../helpers/app-worker.js';
import { deadAddress } from '../helpers/fake-exchange.js';
import { VIA_ENTRY } from '../../../src/dispatcher/loop-guard.js';

const closers: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

interface Scripted {
  url: string;
  /** Request heads as received, in order. */
  heads: string[];
  /** Connections that carried a request other than a health check. */
  connections: number;
  /** Per read that carried requests other than health checks: how many it carried. */
  reads: number[];
  sockets: Set<Socket>;
  /** Stops listening and drops every connection: the worker is gone. */
  kill(): Promise<void>;
}

/**
 * A worker on a raw socket: for every request head it calls `answer` (which writes what it
 * likes on the socket). Requests are assumed bodiless, which is all the fast path sends.
 */
async function scriptedWorker(answer: (head: string, socket: Socket, index: number, inRead: number) => void): Promise<Scripted> {
  const w: Scripted = { url: '', heads: [], connections: 0, reads: [], sockets: new Set(), kill: async () => {} };
  const server = net.createServer((socket) => {
    let counted = false;
    w.sockets.add(socket);
    socket.on('close', () => w.sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      // `inRead`: the request's place among those of this read (pipelined ones arrive together).
      let inRead = 0;
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
        // Health checks are answered here: they are not what these tests look at.
        if (head.startsWith('GET /ping ')) {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{"status":"ok","load":0}');
          continue;
        }
        if (!counted) w.connections++;
        counted = true;
        w.heads.push(head);
        answer(head, socket, w.heads.length - 1, inRead++);
      }
      if (inRead > 0) w.reads.push(inRead);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  w.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed: Promise<void> | undefined;
  w.kill = () =>
    (closed ??= new Promise<void>((resolve) => {
      for (const s of w.sockets) s.destroy();
      server.close(() => resolve());
    }));
  closers.push(() => w.kill());
  return w;
}

async function dispatcherFor(urls: string[], args: string[] = []): Promise<{ d: Dispatcher; log: EventRecorder }> {
  const log = new EventRecorder();
  const d = await startDispatcher(testDispatcherConfig(['--balance', 'round-robin', ...urls.flatMap((u) => ['--upstreams', u]), ...args]), {
    logger: log,
    jobs: null,
    defaultMetrics: false,
  });
  closers.push(() => d.close());
  await waitFor('workers up', () => (d.upstreams.available().length === urls.length ? true : undefined));
  return { d, log };
}

interface RawReply {
  head: string;
  status: number;
  body: string;
}

/** Sends `raw` on a new connection and reads `count` responses (Content-Length or chunked or to EOF). */
async function exchange(port: number, raw: string, count = 1, readTimeoutMs = 5000): Promise<{ replies: RawReply[]; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let buf = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (d) => (buf = Buffer.concat([buf, d])));
  socket.on('close', () => (closed = true));
  socket.write(raw, 'latin1');
  const replies: RawReply[] = [];
  const deadline = Date.now() + readTimeoutMs;
  while (replies.length < count && Date.now() < deadline) {
    const text = buf.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end !== -1) {
      const head = text.slice(0, end + 2);
      const status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      const chunked = /\r\ntransfer-encoding: *chunked/i.test(head);
      const rest = text.slice(end + 4);
      const bodyless = raw.startsWith('HEAD') || status === 204 || status === 304;
      let used = -1;
      if (bodyless) used = 0;
      else if (length !== null) used = rest.length >= Number(length[1]) ? Number(length[1]) : -1;
      else if (chunked) used = chunkedLength(rest);
      else if (closed) used = rest.length;
      if (used !== -1) {
        replies.push({ head, status, body: rest.slice(0, used) });
        buf = buf.subarray(end + 4 + used);
        continue;
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 30));
  socket.destroy();
  return { replies, closed };
}

/** Bytes taken by a complete chunked body at the start of `s` (trailers included), or -1. */
function chunkedLength(s: string): number {
  let p = 0;
  for (;;) {
    const le = s.indexOf('\r\n', p);
    if (le === -1) return -1;
    const size = parseInt(s.slice(p, le), 16);
    p = le + 2;
    if (size === 0) {
      const end = s.indexOf('\r\n\r\n', p - 2);
      return end === -1 ? -1 : end + 4;
    }
    p += size + 2;
    if (p > s.length) return -1;
  }
}

/** The data of a complete chunked body (extensions and trailers dropped). */
function dechunk(s: string): string {
  let out = '';
  let p = 0;
  for (;;) {
    const le = s.indexOf('\r\n', p);
    const size = parseInt(s.slice(p, le), 16);
    if (size === 0) return out;
    out += s.slice(le + 2, le + 2 + size);
    p = le + 2 + size + 2;
  }
}

/**
 * `n` clients, connected first, then each sends `GET path` in the same tick: the dispatcher
 * reads them all in one turn of its event loop. Resolves to their replies.
 */
async function burst(port: number, path: string, n: number): Promise<RawReply[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
          s.on('error', () => {});
        }),
    ),
  );
  // Accepted by the dispatcher before anything is sent.
  await new Promise((r) => setTimeout(r, 30));
  const texts = sockets.map(() => '');
  sockets.forEach((s, i) => s.on('data', (c: Buffer) => (texts[i] += c.toString('latin1'))));
  for (const s of sockets) s.write(`GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`);
  const complete = (t: string): boolean => {
    const end = t.indexOf('\r\n\r\n');
    const m = /\r\ncontent-length: *(\d+)/i.exec(t);
    return end !== -1 && m !== null && t.length >= end + 4 + Number(m[1]);
  };
  await waitFor('burst answered', () => (texts.every(complete) ? true : undefined));
  for (const s of sockets) s.destroy();
  return texts.map((t) => {
    const end = t.indexOf('\r\n\r\n');
    return { head: t.slice(0, end + 2), status: Number(t.slice(9, 12)), body: t.slice(end + 4) };
  });
}

function field(head: string, name: string): string | undefined {
  const m = new RegExp(`\\r\\n${name}: *([^\\r]*)`, 'i').exec(head);
  return m?.[1];
}

const OK = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;

describe('dispatcher pass-through (GET/HEAD fast path)', () => {
  test('relays the request head with proxy fields added and hop-by-hop fields removed, both ways', async () => {
    const w = await scriptedWorker((_h, s) =>
      s.write(
        OK(
          'hello',
          'X-Worker: w\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nDate: Mon, 01 Jan 2001 00:00:00 GMT\r\nX-Request-Id: other\r\n',
        ),
      ),
    );
    const { d } = await dispatcherFor([w.url]);
    const { replies } = await exchange(
      d.port,
      'GET /a/b?c=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: t\r\nConnection: X-Drop\r\nX-Drop: 1\r\nKeep-Alive: 1\r\nTE: trailers\r\n' +
        'X-Forwarded-For: 10.0.0.1\r\nX-Request-Id: trace-1\r\n\r\n',
    );
    assert.equal(replies.length, 1);
    const r = replies[0];
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello');
    assert.equal(field(r.head, 'x-worker'), 'w');
    assert.equal(field(r.head, 'x-request-id'), 'trace-1', "the client's id, not the worker's");
    assert.notEqual(field(r.head, 'date'), 'Mon, 01 Jan 2001 00:00:00 GMT', "Date is the dispatcher's");
    assert.equal(field(r.head, 'x-hop'), undefined, 'a field the worker named in Connection is dropped');
    assert.equal(field(r.head, 'keep-alive'), 'timeout=5', "the dispatcher's own keep-alive hint");
    assert.equal(r.head.match(/\r\nkeep-alive:/gi)?.length, 1);

    const up = w.heads[0];
    assert.ok(up.startsWith('GET /a/b?c=1 HTTP/1.1\r\n'), up);
    assert.equal(field(up, 'host'), 'example.test');
    assert.equal(field(up, 'user-agent'), 't');
    for (const gone of ['connection', 'x-drop', 'keep-alive', 'te']) assert.equal(field(up, gone), undefined, `${gone} removed`);
    assert.equal(field(up, 'x-forwarded-for'), '10.0.0.1, 127.0.0.1');
    assert.equal(field(up, 'forwarded'), 'for=127.0.0.1;proto=http');
    assert.equal(field(up, 'x-forwarded-proto'), 'http');
    assert.equal(field(up, 'x-request-id'), 'trace-1');
    assert.equal(d.passThrough?.taken, 1);
    assert.equal(d.passThrough?.handedBack, 0);
  });

  test('a plain head goes up byte for byte, plus the proxy fields; a new request id is made when the client has none', async () => {
    const w = await scriptedWorker((_h, s) => s.write(OK('x')));
    const { d } = await dispatcherFor([w.url]);
    const { replies } = await exchange(d.port, 'GET /p HTTP/1.1\r\nHost: h\r\nX-Mixed-Case: Value \t\r\n\r\n');
    const id = field(replies[0].head, 'x-request-id');
    assert.match(id ?? '', /^[A-Za-z0-9._:-]{1,128}$/);
    assert.equal(
      w.heads[0],
      'GET /p HTTP/1.1\r\nHost: h\r\nX-Mixed-Case: Value \t\r\n' +
        `x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nforwarded: for=127.0.0.1;proto=http\r\nvia: ${VIA_ENTRY}\r\nx-request-id: ${id}\r\n\r\n`,
    );
  });

  test('keep-alive both sides: sequential and pipelined requests share one worker connection and keep their order', async () => {
    // Answers out of step: the first request waits longest, so order is the dispatcher's doing.
    const w = await scriptedWorker((head, s) => {
      const path = head.slice(4, head.indexOf(' ', 4));
      setTimeout(() => s.write(OK(path)), path === '/1' ? 60 : 5);
    });
    const { d } = await dispatcherFor([w.url]);
    const { replies, closed } = await exchange(
      d.port,
      'GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: h\r\n\r\n',
      3,
    );
    assert.deepEqual(
      replies.map((r) => r.body),
      ['/1', '/2', ''],
    );
    assert.equal(closed, false);
    assert.equal(w.heads.length, 3);
    assert.equal(w.connections, 1, 'one upstream connection reused');
    assert.equal(d.passThrough?.taken, 3);
  });

  test('a client that half-closes after its request still gets the answer, then the connection closes', async () => {
    const w = await scriptedWorker((_h, s) => setTimeout(() => s.write(OK('late')), 30));
    const { d } = await dispatcherFor([w.url]);
    const client = net.connect(d.port, '127.0.0.1');
    let text = '';
    client.on('data', (c: Buffer) => (text += c.toString('latin1')));
    const closed = new Promise((r) => client.on('close', r));
    client.end('GET /half HTTP/1.1\r\nHost: h\r\n\r\n');
    await closed;
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\nConnection: close\r\n/);
    assert.ok(text.endsWith('\r\n\r\nlate'), text);
  });

  test('chunked bodies pass with their framing; 204 and HEAD have none', async () => {
    const chunked = '4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nX-Trailer: t\r\n\r\n';
    const w = await scriptedWorker((head, s) => {
      if (head.startsWith('GET /chunked')) s.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`);
      else if (head.startsWith('GET /empty')) s.write('HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n');
      else s.write(OK('0123456789'));
    });
    const { d } = await dispatcherFor([w.url]);
    const a = await exchange(d.port, 'GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(a.replies[0].body, chunked);
    assert.equal(field(a.replies[0].head, 'transfer-encoding'), 'chunked');
    const b = await exchange(d.port, 'GET /empty HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(b.replies[0].status, 204);
    assert.equal(b.replies[0].body, '');
    // HEAD then GET on one connection: the HEAD answer must not swallow the GET's bytes.
    const c = await exchange(d.port, 'HEAD /len HTTP/1.1\r\nHost: h\r\n\r\nGET /len HTTP/1.1\r\nHost: h\r\n\r\n', 1);
    assert.equal(field(c.replies[0].head, 'content-length'), '10', "HEAD keeps the worker's length");
    assert.ok(c.replies[0].body === '', 'no body after a HEAD answer');
  });

  test('a close-delimited answer reaches the client whole, with Connection: close', async () => {
    const w = await scriptedWorker((_h, s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close'));
    const { d } = await dispatcherFor([w.url]);
    const { replies, closed } = await exchange(d.port, 'GET /x HTTP/1.1\r\nHost: h\r\n\r\nGET /never HTTP/1.1\r\nHost: h\r\n\r\n', 1);
    assert.equal(replies[0].body, 'until close');
    assert.equal(field(replies[0].head, 'connection'), 'close');
    assert.equal(closed, true);
    assert.equal(w.heads.length, 1, 'nothing more is read from that client');
  });

  test('a large answer is streamed with backpressure: a client that does not read stalls the worker', async () => {
    const size = 64 * 1024 * 1024;
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    let written = 0;
    const w = await scriptedWorker((_h, s) => {
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      const pump = (): void => {
        while (written < size) {
          written += piece.length;
          if (!s.write(piece)) {
            s.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    const { d } = await dispatcherFor([w.url]);
    const client = net.connect(d.port, '127.0.0.1');
    client.on('error', () => {});
    client.pause();
    client.write('GET /big HTTP/1.1\r\nHost: h\r\n\r\n');
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(written < size / 4, `worker wrote ${written} bytes while the client read none`);
    let received = 0;
    client.on('data', (c: Buffer) => (received += c.length));
    client.resume();
    await waitFor('whole body', () => (received >= size ? true : undefined), 20_000);
    client.destroy();
    assert.equal(written, size);
  });

  test("a client slower than --upstream-timeout is not cut: the wait is its own, not the worker's", async () => {
    const size = 16 * 1024 * 1024;
    const w = await scriptedWorker((_h, s) => {
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      s.write(Buffer.alloc(size, 0x62));
    });
    const { d } = await dispatcherFor([w.url], ['--upstream-timeout', '200ms']);
    const client = net.connect(d.port, '127.0.0.1');
    client.on('error', () => {});
    client.pause();
    client.write('GET /big HTTP/1.1\r\nHost: h\r\n\r\n');
    await new Promise((r) => setTimeout(r, 700));
    let received = 0;
    let closed = false;
    client.on('close', () => (closed = true));
    client.on('data', (c: Buffer) => (received += c.length));
    client.resume();
    await waitFor('whole body', () => (received >= size || closed ? true : undefined), 20_000);
    assert.equal(closed, false, 'not cut');
    assert.ok(received > size, `${received} bytes (head + body)`);
    client.destroy();
  });

  test('a refused worker is marked down and the request is handed to the Forwarder, which retries', async () => {
    const gone = await scriptedWorker((_h, s) => s.write(OK('gone')));
    const w = await scriptedWorker((_h, s) => s.write(OK('live')));
    // Health checks far apart: only the forwarding can notice the worker is gone.
    const { d, log } = await dispatcherFor([gone.url, w.url], ['--health-interval', '60s']);
    await gone.kill();
    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) bodies.push((await exchange(d.port, 'GET /r HTTP/1.1\r\nHost: h\r\n\r\n')).replies[0]?.body);
    assert.deepEqual(bodies, ['live', 'live', 'live', 'live']);
    const goneUpstream = d.upstreams.list().find((u) => u.address === gone.url);
    assert.equal(goneUpstream?.active, false, 'passive health marked it down');
    assert.ok((d.passThrough?.handedBack ?? 0) >= 1);
    assert.ok(log.named('retry').length >= 1);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    const relayed = Number(/^dhttp_dispatcher_pass_through_total\{outcome="relayed"\} (\d+)$/m.exec(metrics)?.[1]);
    const handedBack = Number(/^dhttp_dispatcher_pass_through_total\{outcome="handed_back"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.equal(handedBack, d.passThrough?.handedBack);
    assert.equal(relayed + handedBack, d.passThrough?.taken);
    assert.ok(relayed >= 3, `${relayed} relayed`);
  });

  test('a worker resetting before its answer: another worker answers', async () => {
    const bad = await scriptedWorker((_h, s) => s.destroy());
    const good = await scriptedWorker((_h, s) => s.write(OK('good')));
    const { d } = await dispatcherFor([bad.url, good.url]);
    for (let i = 0; i < 4; i++) {
      const { replies } = await exchange(d.port, 'GET /r HTTP/1.1\r\nHost: h\r\n\r\n');
      assert.equal(replies[0]?.status, 200);
      assert.equal(replies[0]?.body, 'good');
    }
    assert.ok(bad.heads.length >= 1, 'the bad worker was tried');
  });

  test("a malformed answer becomes a 502 (after the Forwarder's own try)", async () => {
    const w = await scriptedWorker((_h, s) => s.write('HTTP/1.1 200 OK\r\nX-A: a\nb\r\nContent-Length: 2\r\n\r\nok'));
    const { d } = await dispatcherFor([w.url], ['--retries', '0']);
    const { replies } = await exchange(d.port, 'GET /bad HTTP/1.1\r\nHost: h\r\nX-Request-Id: bad-1\r\n\r\n');
    assert.equal(replies[0].status, 502);
    assert.match(replies[0].body, /"code":"BAD_GATEWAY"/);
    assert.match(replies[0].body, /"request_id":"bad-1"/);
  });

  test('an answer with both Content-Length and Transfer-Encoding is refused on both paths: 502', async () => {
    const w = await scriptedWorker((_h, s) =>
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    );
    const { d } = await dispatcherFor([w.url], ['--retries', '0']);
    const { replies } = await exchange(d.port, 'GET /both HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(replies[0]?.status, 502);
    assert.equal(w.heads.length, 2, 'the relay, then the general path once');
  });

  test('a worker that does not answer in --upstream-timeout gets a 504 at once, not a second wait', async () => {
    const w = await scriptedWorker(() => {});
    const { d } = await dispatcherFor([w.url], ['--upstream-timeout', '300ms']);
    const t0 = performance.now();
    const { replies } = await exchange(d.port, 'GET /hang HTTP/1.1\r\nHost: h\r\n\r\n');
    const ms = performance.now() - t0;
    assert.equal(replies[0].status, 504);
    assert.match(replies[0].body, /"code":"GATEWAY_TIMEOUT"/);
    assert.ok(ms < 1500, `answered after ${ms} ms`);
    assert.equal(w.heads.length, 1, 'not sent again');
  });

  test('--upstream-timeout bounds the wait between body pieces, not the whole answer', async () => {
    const w = await scriptedWorker((head, s) => {
      if (head.startsWith('GET /drip')) {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n');
        let sent = 0;
        const t = setInterval(() => {
          s.write('x');
          if (++sent === 8) clearInterval(t);
        }, 100);
      } else {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nxx');
      }
    });
    const { d } = await dispatcherFor([w.url], ['--upstream-timeout', '300ms']);
    const drip = await exchange(d.port, 'GET /drip HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(drip.replies[0]?.body, 'xxxxxxxx', '800 ms in all, never 300 ms without a byte');
    const stall = await exchange(d.port, 'GET /stall HTTP/1.1\r\nHost: h\r\n\r\n', 1, 2000);
    assert.equal(stall.replies.length, 0);
    assert.equal(stall.closed, true, 'a body that stops is cut');
  });

  test('a worker dying mid-body cuts the client connection and is counted as failed', async () => {
    const w = await scriptedWorker((_h, s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      setTimeout(() => s.destroy(), 20);
    });
    const { d, log } = await dispatcherFor([w.url]);
    const { replies, closed } = await exchange(d.port, 'GET /cut HTTP/1.1\r\nHost: h\r\n\r\n', 1, 1000);
    assert.equal(replies.length, 0, 'no complete answer');
    assert.equal(closed, true);
    await waitFor('failure counted', () => (d.upstreams.list()[0].failed === 1 ? true : undefined));
    assert.equal(log.named('upstream_failed_mid_response').length, 1);
  });

  test('a client leaving mid-exchange closes the worker connection and releases the load', async () => {
    const w = await scriptedWorker(() => {});
    const { d } = await dispatcherFor([w.url]);
    const client = net.connect(d.port, '127.0.0.1');
    client.on('error', () => {});
    client.write('GET /slow HTTP/1.1\r\nHost: h\r\n\r\n');
    await waitFor('request at the worker', () => (w.heads.length === 1 ? true : undefined));
    const upstream = d.upstreams.list()[0];
    assert.equal(upstream.load, 1);
    client.resetAndDestroy();
    await waitFor('worker connection closed', () => (w.sockets.size === 1 ? true : undefined)); // the health probe's remains
    await waitFor('load released', () => (upstream.load === 0 ? true : undefined));
    assert.equal(upstream.failed, 0, 'no verdict on the worker');
  });

  test('differential: the fast path and the general path give the client the same answer', async () => {
    // Random worker answers; each is fetched as GET /r/N (fast path) and as an absolute-form
    // GET http://h/r/N (never taken: the general path). What the client sees must agree:
    // status, the multiset of fields (names case-insensitive, values OWS-trimmed) less Date
    // and X-Request-Id, and the body after de-chunking.
    const name = fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/);
    const value = fc.stringMatching(/^[!-~]([ -~]{0,16}[!-~])?$/);
    const hop = fc.constantFrom(
      'Connection: keep-alive',
      'Keep-Alive: timeout=5',
      'Proxy-Connection: x',
      'Upgrade: h2c',
      'Date: Mon, 01 Jan 2001 00:00:00 GMT',
      'X-Request-Id: w',
    );
    const answers = fc.sample(
      fc.record({
        status: fc.constantFrom(200, 201, 204, 301, 404, 500),
        fields: fc.array(
          fc.oneof(
            fc.tuple(name, value).map(([n, v]) => `${n}: ${v}`),
            hop,
          ),
          { maxLength: 6 },
        ),
        body: fc.string({ maxLength: 3000 }),
        chunked: fc.boolean(),
      }),
      { numRuns: 30, seed: 20261203 },
    );
    const w = await scriptedWorker((head, s) => {
      const a = answers[Number(/\/r\/(\d+) /.exec(head)?.[1])];
      const body = a.status === 204 ? '' : a.body;
      const framing =
        a.status === 204 ? '' : a.chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${Buffer.byteLength(body)}\r\n`;
      const wire =
        a.status === 204 || !a.chunked
          ? body
          : `${body.length > 0 ? `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n` : ''}0\r\n\r\n`;
      s.write(`HTTP/1.1 ${a.status} X\r\n${a.fields.map((f) => `${f}\r\n`).join('')}${framing}\r\n${wire}`);
    });
    const { d } = await dispatcherFor([w.url]);
    const view = (r: RawReply | undefined): { status: number; fields: string[]; body: string } => {
      assert.ok(r !== undefined, 'an answer');
      const fields = r.head
        .split('\r\n')
        .slice(1, -1)
        .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()])
        .filter(([n]) => !['date', 'x-request-id', 'keep-alive', 'connection', 'transfer-encoding', 'content-length'].includes(n))
        .map(([n, v]) => `${n}: ${v}`)
        .sort();
      const chunked = /\r\ntransfer-encoding: *chunked/i.test(r.head);
      return { status: r.status, fields, body: chunked ? dechunk(r.body) : r.body };
    };
    for (let i = 0; i < answers.length; i++) {
      const fast = await exchange(d.port, `GET /r/${i} HTTP/1.1\r\nHost: h\r\n\r\n`);
      const general = await exchange(d.port, `GET http://h/r/${i} HTTP/1.1\r\nHost: h\r\n\r\n`);
      assert.deepEqual(view(fast.replies[0]), view(general.replies[0]), `answer ${i}: ${JSON.stringify(answers[i])}`);
    }
    assert.equal(d.passThrough?.taken, answers.length, 'the origin-form requests took the fast path');
  });

  test('pipelining: requests for a target answered quickly reach the worker together; new and slow targets never do', async () => {
    const w = await scriptedWorker((head, s) => {
      const path = head.slice(4, head.indexOf(' ', 4));
      if (path === '/slow') setTimeout(() => s.write(OK(path)), 30);
      else s.write(OK(path));
    });
    const { d } = await dispatcherFor([w.url]);
    const pt = d.passThrough as NonNullable<typeof d.passThrough>;
    const upstream = d.upstreams.list()[0];
    // Learnt from answers: three of each (a loaded machine may need more for /q to look quick).
    for (let i = 0; i < 3; i++) await exchange(d.port, 'GET /slow HTTP/1.1\r\nHost: h\r\n\r\n');
    await waitFor('/q known quick', async () => {
      await exchange(d.port, 'GET /q HTTP/1.1\r\nHost: h\r\n\r\n');
      return pt.quick.isQuick('GET', '/q', upstream.probeMs) ? true : undefined;
    });
    assert.equal(pt.quick.isQuick('GET', '/slow', upstream.probeMs), false, `probe ${upstream.probeMs} ms`);

    for (const path of ['/new', '/slow']) {
      const reads = w.reads.length;
      const replies = await burst(d.port, path, 4);
      assert.deepEqual(
        replies.map((r) => r.body),
        [path, path, path, path],
      );
      assert.deepEqual(w.reads.slice(reads), [1, 1, 1, 1], `${path}: each request on its own`);
    }
    // Learnt; kept so for the burst whatever the timing of this machine (durations of 10 µs).
    for (let i = 0; i < 3; i++) pt.quick.record('GET', '/q', 0.01);
    const before = { reads: w.reads.length, pipelined: pt.pipelined, connections: w.connections };
    const replies = await burst(d.port, '/q', 8);
    assert.deepEqual(
      replies.map((r) => r.status),
      Array(8).fill(200),
    );
    assert.deepEqual(
      replies.map((r) => r.body),
      Array(8).fill('/q'),
    );
    assert.equal(pt.pipelined - before.pipelined, 8);
    const reads = w.reads.slice(before.reads);
    assert.equal(
      reads.reduce((a, b) => a + b, 0),
      8,
    );
    assert.ok(reads.length < 8 && Math.max(...reads) >= 2, `pipelined: requests per read ${JSON.stringify(reads)}`);
    const metrics = await (await fetch(`http://127.0.0.1:${d.port}/metrics`)).text();
    assert.match(metrics, new RegExp(`^dhttp_dispatcher_pass_through_pipelined_total ${pt.pipelined}$`, 'm'));
  });

  test('pipelining: when the worker closes after the first answer, the requests written after it go again, quietly, and are answered', async () => {
    let cut = 0;
    /** Requests that came after the cut one, in its read: never answered on that connection. */
    let behind = 0;
    const w = await scriptedWorker((head, s, _i, inRead) => {
      const path = head.slice(4, head.indexOf(' ', 4));
      if (s.writableEnded) {
        behind++;
      } else if (inRead === 0 && cut === 0) {
        // The first of a pipelined read is answered, then the worker closes: the rest never is.
        cut++;
        s.end(OK(path, 'Connection: close\r\n'));
      } else {
        s.write(OK(path));
      }
    });
    const { d, log } = await dispatcherFor([w.url]);
    const pt = d.passThrough as NonNullable<typeof d.passThrough>;
    // Known quick (learning itself is the test above; here it must not depend on timing).
    for (let i = 0; i < 3; i++) pt.quick.record('GET', '/q2', 0.01);
    const replies = await burst(d.port, '/q2', 6);
    assert.deepEqual(
      replies.map((r) => r.status),
      Array(6).fill(200),
    );
    assert.deepEqual(
      replies.map((r) => r.body),
      Array(6).fill('/q2'),
    );
    assert.equal(cut, 1);
    assert.ok(behind >= 1, `pipelined: requests per read ${JSON.stringify(w.reads)}`);
    assert.equal(pt.handedBack, behind, 'each request written after the cut one was handed back');
    // An orderly close (as every --max-requests-per-connection): no warning, no failure counted.
    assert.equal(log.events.filter((e) => e.event === 'retry').length, 0);
    assert.equal(d.upstreams.list()[0].failed, 0);
  });

  test("not taken: the dispatcher's own routes, other methods, absolute-form targets, HTTP/1.0, bodies", async () => {
    const w = await startMiniWorker('m');
    closers.push(() => w.close());
    const { d } = await dispatcherFor([w.url]);
    const before = d.passThrough?.taken;
    const own = await exchange(d.port, 'GET /workers HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(own.replies[0].status, 200);
    assert.match(own.replies[0].body, /"ID"/);
    const abs = await exchange(d.port, `GET http://h/ping HTTP/1.1\r\nHost: h\r\n\r\n`);
    assert.equal(abs.replies[0].status, 200);
    const old = await exchange(d.port, 'GET /ping HTTP/1.0\r\n\r\n');
    assert.equal(old.replies[0].status, 200);
    const post = await exchange(d.port, 'POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc');
    assert.equal(post.replies[0].body, 'abc');
    const del = await exchange(d.port, 'DELETE /ping HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(del.replies[0].status, 405);
    assert.equal(d.passThrough?.taken, before);
  });

  test('no worker available: not taken, the Forwarder holds the request and answers 503', async () => {
    const dead = await deadAddress();
    const log = new EventRecorder();
    const d = await startDispatcher(testDispatcherConfig(['--upstreams', dead, '--try-duration', '300ms', '--try-interval', '50ms']), {
      logger: log,
      jobs: null,
      defaultMetrics: false,
    });
    closers.push(() => d.close());
    await waitFor('worker down', () => (d.upstreams.available().length === 0 ? true : undefined));
    const { replies } = await exchange(d.port, 'GET /ping HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(replies[0].status, 503);
    assert.equal(field(replies[0].head, 'retry-after'), '1');
    assert.equal(d.passThrough?.taken, 0);
  });

  test('with --upstream-client undici there is no fast path', async () => {
    const w = await startMiniWorker('u');
    closers.push(() => w.close());
    const { d } = await dispatcherFor([w.url], ['--upstream-client', 'undici']);
    assert.equal(d.passThrough, undefined);
    const { replies } = await exchange(d.port, 'GET /ping HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(replies[0].status, 200);
  });
});
