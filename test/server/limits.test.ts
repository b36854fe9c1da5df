/** Every engine limit, tested at its edge (issue 3, "Limits"). */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { HttpServer } from '../../src/server/server.js';
import { get, sendRaw } from './helpers/raw-client.js';
import { startTestServer } from './helpers/test-app.js';

const H = 'Host: localhost\r\n';

describe('size limits', () => {
  let server: HttpServer;
  let port: number;
  before(
    async () => ({ server, port } = await startTestServer({ maxUriBytes: 100, maxHeaderBytes: 200, maxHeaders: 5, maxBodyBytes: 10 })),
  );
  after(() => server.close());

  test('request-target of exactly maxUriBytes is served, one more is 414', async () => {
    const target = (n: number) => `/reverse?text=${'a'.repeat(n - '/reverse?text='.length)}`;
    assert.equal(target(100).length, 100);
    assert.equal((await get(port, target(100))).status, 200);
    assert.equal((await get(port, target(101))).status, 414);
  });

  test('header section of exactly maxHeaderBytes is served, one more is 431', async () => {
    // "Host: localhost\r\n" (17) + "X: v…\r\n" (len+5) + "Connection: close\r\n" (19) = 200
    const section = (n: number) => `GET /ping HTTP/1.1\r\n${H}X: ${'v'.repeat(n - 17 - 19 - 5)}\r\nConnection: close\r\n\r\n`;
    assert.equal((await sendRaw(port, [section(200)])).responses[0].status, 200);
    assert.equal((await sendRaw(port, [section(201)])).responses[0].status, 431);
  });

  test('exactly maxHeaders fields are served, one more is 431', async () => {
    const req = (n: number) => `GET /ping HTTP/1.1\r\n${H}${'A: 1\r\n'.repeat(n - 2)}Connection: close\r\n\r\n`;
    assert.equal((await sendRaw(port, [req(5)])).responses[0].status, 200);
    assert.equal((await sendRaw(port, [req(6)])).responses[0].status, 431);
  });

  test('declared body of maxBodyBytes is read, one more byte is 413 before reading', async () => {
    const ok = await sendRaw(port, [`POST /echo HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\n0123456789`], { responses: 1 });
    assert.equal(ok.responses[0].status, 200);
    assert.equal(ok.responses[0].body.toString(), '0123456789');
    const big = await sendRaw(port, [`POST /echo HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\n`]);
    assert.equal(big.responses[0].status, 413);
    assert.ok(big.closed);
  });

  test('chunked body over maxBodyBytes is 413 and the connection closes', async () => {
    const ok = await sendRaw(port, [`POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n`], {
      responses: 1,
    });
    assert.equal(ok.responses[0].status, 200);
    const big = await sendRaw(port, [
      `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n1\r\nx\r\n0\r\n\r\n`,
    ]);
    assert.equal(big.responses[0].status, 413);
    assert.ok(big.closed);
  });

  test('a route may raise its own body limit', async () => {
    const body = 'a '.repeat(50);
    const r = await sendRaw(port, [`POST /countwords HTTP/1.1\r\n${H}Content-Length: ${body.length}\r\n\r\n${body}`], { responses: 1 });
    assert.equal(r.responses[0].status, 200);
    assert.equal(r.responses[0].body.toString(), '{"a":50}');
  });
});

describe('timeouts', () => {
  let server: HttpServer;
  let port: number;
  before(async () => ({ server, port } = await startTestServer({ headerTimeoutMs: 300, bodyTimeoutMs: 300, keepAliveTimeoutMs: 400 })));
  after(() => server.close());

  test('a head not complete within headerTimeout gets 408 and a close (slowloris)', async () => {
    const t0 = Date.now();
    // One header line every 100 ms: each write is progress, but the head as a whole is late.
    const parts = ['GET /ping HTTP/1.1\r\n', ...Array.from({ length: 20 }, (_, i) => `X-${i}: y\r\n`)];
    const ex = await sendRaw(port, parts, { pauseMs: 100, timeoutMs: 3000 });
    assert.equal(ex.responses[0]?.status, 408);
    assert.ok(ex.closed);
    assert.ok(Date.now() - t0 < 1500, 'cut off near the header timeout, not after the whole trickle');
  });

  test('a body stalled longer than bodyTimeout gets 408', async () => {
    const ex = await sendRaw(port, [`POST /echo HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\n01234`], { timeoutMs: 2000 });
    assert.equal(ex.responses[0]?.status, 408);
    assert.ok(ex.closed);
  });

  test('a slow but steady body within bodyTimeout between bytes is accepted', async () => {
    const parts = [`POST /echo HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\n`, 'a', 'b', 'c', 'd', 'e'];
    const ex = await sendRaw(port, parts, { pauseMs: 150, responses: 1, timeoutMs: 3000 });
    assert.equal(ex.responses[0]?.status, 200);
    assert.equal(ex.responses[0]?.body.toString(), 'abcde');
  });

  test('an idle keep-alive connection is closed quietly after keepAliveTimeout', async () => {
    const t0 = Date.now();
    const ex = await sendRaw(port, [`GET /ping HTTP/1.1\r\n${H}\r\n`], { timeoutMs: 3000 });
    assert.equal(ex.responses.length, 1, 'only the response, no 408');
    assert.ok(ex.closed);
    const took = Date.now() - t0;
    assert.ok(took >= 350 && took < 2000, `closed after ${took} ms`);
  });

  test('a large answer read slowly is not cut off by keepAliveTimeout: idle starts once the client has it all', async () => {
    const bytes = 32 * 1024 * 1024; // more than the kernel buffers hold: the server waits for the client
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => sock.once('connect', resolve));
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    sock.pause();
    sock.write(`GET /big?bytes=${bytes} HTTP/1.1\r\n${H}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // over 3 keep-alive timeouts without reading
    const chunks: Buffer[] = [];
    let received = 0;
    const ping = `GET /ping HTTP/1.1\r\n${H}Connection: close\r\n\r\n`;
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      received += c.length;
      // The whole first answer is in: the next request goes on the same connection at once.
      if (received - c.length < bytes && received >= bytes) sock.write(ping);
    });
    sock.on('error', () => {});
    sock.resume();
    await closed;
    const all = Buffer.concat(chunks);
    const headEnd = all.indexOf('\r\n\r\n') + 4;
    const body = all.subarray(headEnd, headEnd + bytes);
    assert.equal(body.length, bytes, 'the whole first answer');
    assert.equal(body.indexOf('y'), -1);
    assert.match(
      all.subarray(headEnd + bytes).toString('latin1'),
      /^HTTP\/1\.1 200 /,
      'the second request on the same connection is answered',
    );
  });

  test('under one second of keep-alive there is no Keep-Alive hint (no honest whole number)', async () => {
    const ex = await sendRaw(port, [`GET /ping HTTP/1.1\r\n${H}\r\n`], { timeoutMs: 3000 });
    assert.equal(ex.responses[0]?.headers.connection, undefined, 'a persistent response');
    assert.equal(ex.responses[0]?.headers['keep-alive'], undefined);
  });
});

describe('a new connection waits for its first request up to headerTimeout, not keepAliveTimeout', () => {
  let server: HttpServer;
  let port: number;
  before(async () => ({ server, port } = await startTestServer({ headerTimeoutMs: 1500, keepAliveTimeoutMs: 300 })));
  after(() => server.close());

  test('a request sent after more than keepAliveTimeout of silence is answered', async () => {
    // The empty first part is the connect; the request follows after the pause.
    const ex = await sendRaw(port, ['', `GET /ping HTTP/1.1\r\n${H}Connection: close\r\n\r\n`], { pauseMs: 900, timeoutMs: 4000 });
    assert.equal(ex.responses[0]?.status, 200);
  });

  test('a connection that never sends is closed quietly after headerTimeout', async () => {
    const t0 = Date.now();
    const ex = await sendRaw(port, [], { timeoutMs: 6000 });
    const took = Date.now() - t0;
    assert.ok(ex.closed);
    assert.equal(ex.responses.length, 0, 'nothing was asked: nothing is answered');
    assert.ok(took >= 1400 && took < 4500, `closed after ${took} ms`);
  });
});

describe('the Keep-Alive hint', () => {
  let server: HttpServer;
  let port: number;
  before(async () => ({ server, port } = await startTestServer({ keepAliveTimeoutMs: 2500 })));
  after(() => server.close());

  test('persistent responses carry Keep-Alive: timeout=N, N the idle timeout in whole seconds', async () => {
    const ex = await sendRaw(
      port,
      [
        `GET /ping HTTP/1.1\r\n${H}\r\nGET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /ping HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
      ],
      { timeoutMs: 3000 },
    );
    assert.equal(ex.responses.length, 3);
    const [http11, http10, last] = ex.responses;
    assert.equal(http11.headers['keep-alive'], 'timeout=2');
    assert.equal(http11.headers.connection, undefined);
    assert.equal(http10.headers['keep-alive'], 'timeout=2');
    assert.equal(http10.headers.connection, 'keep-alive');
    // The last one closes: no hint.
    assert.equal(last.headers['keep-alive'], undefined);
    assert.equal(last.headers.connection, 'close');
    assert.ok(ex.closed);
  });

  test('the default 5 s timeout is announced as timeout=5', async () => {
    const other = await startTestServer({});
    try {
      // A second request closes the connection, so the exchange ends without waiting 5 s.
      const ex = await sendRaw(other.port, [`GET /ping HTTP/1.1\r\n${H}\r\nGET /ping HTTP/1.1\r\n${H}Connection: close\r\n\r\n`], {
        timeoutMs: 5000,
      });
      assert.equal(ex.responses.length, 2);
      assert.equal(ex.responses[0].headers['keep-alive'], 'timeout=5');
    } finally {
      await other.server.close();
    }
  });
});

describe('connection limits', () => {
  test('maxRequestsPerConnection: the Nth response says close and the connection closes', async () => {
    const { server, port } = await startTestServer({ maxRequestsPerConnection: 3 });
    try {
      const ex = await sendRaw(port, [`GET /ping HTTP/1.1\r\n${H}\r\n`.repeat(4)], { timeoutMs: 2000 });
      assert.equal(ex.responses.length, 3);
      assert.equal(ex.responses[1].headers.connection, undefined);
      assert.equal(ex.responses[2].headers.connection, 'close');
      assert.ok(ex.closed);
    } finally {
      await server.close();
    }
  });

  test('maxConnections: the extra connection gets 503 and a close, existing ones keep working', async () => {
    const { server, port } = await startTestServer({ maxConnections: 2 });
    const socks: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = net.connect(port, '127.0.0.1');
        await new Promise((r) => s.once('connect', r));
        socks.push(s);
      }
      await new Promise((r) => setTimeout(r, 50));
      const extra = await sendRaw(port, [`GET /ping HTTP/1.1\r\n${H}\r\n`]);
      assert.equal(extra.responses[0]?.status, 503);
      assert.ok(extra.closed);
      const data = new Promise<string>((r) => socks[0].once('data', (d) => r(d.toString())));
      socks[0].write(`GET /ping HTTP/1.1\r\n${H}\r\n`);
      assert.match(await data, /^HTTP\/1\.1 200 /);
      assert.equal(server.connectionsRefused, 1);
    } finally {
      for (const s of socks) s.destroy();
      await server.close();
    }
  });
});
